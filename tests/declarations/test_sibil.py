"""SIBIL rules without HTTP: domain mapping, declaration bodies, quarters, the quarterly CSV."""

import csv
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from declarations.choices import PerformanceType, VenueType
from declarations.sibil import (
    CSV_HEADER,
    SibilDomain,
    SibilDomainNotFound,
    SibilError,
    domain_for,
    paris_midnight,
    sibil_deadline,
    sibil_declarations,
    sibil_json,
    sibil_quarter,
    sibil_quarter_csv,
)
from ticketing.sandbox import sibil as fake_sibil

from .samples import PARIS, VENUE, amount, performance, snapshot

SANDBOX_DOMAINS = [
    SibilDomain(id=domain_id, label=label, active=active)
    for domain_id, label, active in fake_sibil.DOMAINS
]
EXPECTED_DOMAINS = {
    "outdoor": "Arts de la rue",
    "cabaret": "Cabaret, music-hall, revue",
    "circus": "Cirque de création",
    "musical_theatre": "Comédie musicale, théâtre musical",
    "dance": "Danse contemporaine, danse de création",
    "comedy": "Humour, sketch, one man show, stand-up",
    "puppetry": "Marionnettes, théâtre d'objets",
    "classical_music": "Musique classique et contemporaine",
    "popular_music": "Chanson, variétés, pop, rock, électro, rap et genres assimilés",
    "world_music": "Musiques du monde et musiques traditionnelles",
    "heritage": "Autre spectacle vivant",
    "no_dominant": "Autre spectacle vivant",
    "ice_and_parks": "Autre spectacle vivant",
    "theatre": "Théâtre, conte, mime",
}


def with_performances(*items):
    return replace(snapshot(performances=0), performances=items)


# --- Domains ------------------------------------------------------------------------------------


def test_every_category_maps_to_the_expected_sandbox_domain():
    assert set(EXPECTED_DOMAINS) == set(PerformanceType.values)
    mapped = {value: domain_for(value, SANDBOX_DOMAINS).label for value in PerformanceType.values}
    assert mapped == EXPECTED_DOMAINS


def test_inactive_domains_are_skipped_even_when_listed_first():
    inactive = SibilDomain(id=3, label="Humour (ancienne nomenclature)", active=False)
    assert SANDBOX_DOMAINS[0] == inactive
    assert domain_for("comedy", SANDBOX_DOMAINS).id == 13


def test_the_first_active_match_wins_whatever_the_case_and_accents():
    domains = [
        SibilDomain(1, "CIRQUE TRADITIONNEL"),
        SibilDomain(2, "Cirque de création"),
        SibilDomain(3, "Comedie musicale, THEATRE MUSICAL"),
        SibilDomain(4, "Arts de la rue "),
    ]
    assert domain_for("circus", domains).id == 1
    assert domain_for("musical_theatre", domains).id == 3
    assert domain_for("outdoor", domains).id == 4


def test_outdoor_needs_a_label_ending_with_arts_de_la_rue():
    domains = [SibilDomain(1, "Arts de la rue et de l'espace public, archives")]
    with pytest.raises(SibilDomainNotFound):
        domain_for("outdoor", domains)


def test_an_unmatched_category_says_the_sibil_list_changed():
    domains = [domain for domain in SANDBOX_DOMAINS if "Autre" not in domain.label]
    with pytest.raises(SibilDomainNotFound) as raised:
        domain_for("heritage", domains)
    error = raised.value
    assert isinstance(error, SibilError)
    assert not error.retriable
    assert "« Reconstitutions historiques, sons et lumières patrimoniales »" in error.message
    assert "directement sur SIBIL" in error.message


def test_an_unknown_category_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown performance type"):
        domain_for("opera", SANDBOX_DOMAINS)


# --- Declaration bodies ---------------------------------------------------------------------


def test_one_declaration_body_has_every_field():
    body = sibil_declarations(snapshot(performances=1), domain_id=11)
    assert body == [
        {
            "idExtBilletterie": "7_101",
            "gestionnaireMultiple": False,
            "dateHeureRepresentationUnique": "2026-03-14T19:30:00Z",
            "nbRepresentations": 1,
            "nbBilletsTotalBilletterie": 100,
            "recetteTotalBilletterie": Decimal("1200.00"),
            "prixMoyenTotalBilletterie": Decimal("12.50"),
            "nbBilletsTarifPlein": 0,
            "recetteTarifPlein": Decimal("0.00"),
            "prixMoyenTarifPlein": Decimal("0.00"),
            "nbBilletsTarifAbonnementForfait": 0,
            "nbBilletsExoneres": 4,
            "jauge": 120,
            "jeunePublic": False,
            "domaineRepresentationId": 11,
            "lieuChamps": {
                "nom": "Salle des Lilas",
                "adresse": "12 rue des Lilas",
                "codePostal": "69004",
                "ville": "Lyon",
                "typeLieu": "THEATRE",
            },
            "spectacleChamps": {
                "domaineSpectacleId": 11,
                "critere1": "Le Cracheur de feu",
                "critere2": "Compagnie des Braises (SIREN 552 100 554)",
            },
            "statutDeclaration": "ENREGISTRE",
        }
    ]


def test_bodies_are_sorted_by_start_with_utc_instants_across_the_dst_change():
    # Summer time starts on Sunday 29 March 2026: 20:30 in Paris is 19:30 UTC before, 18:30 after.
    data = with_performances(performance(16), performance(1), performance(15))
    bodies = sibil_declarations(data, domain_id=11)
    assert [(b["idExtBilletterie"], b["dateHeureRepresentationUnique"]) for b in bodies] == [
        ("7_101", "2026-03-14T19:30:00Z"),
        ("7_115", "2026-03-28T19:30:00Z"),
        ("7_116", "2026-03-29T18:30:00Z"),
    ]


@pytest.mark.parametrize(
    ("paid", "incl_vat", "expected"),
    [
        (96, "1200.00", "12.50"),
        (3, "100.00", "33.33"),
        (2, "0.25", "0.13"),  # half-up, where banker's rounding would give 0.12
        (0, "0.00", "0.00"),  # only invitations: no division by zero
        (0, "15.00", "0.00"),
    ],
)
def test_the_average_price_is_per_paid_ticket_rounded_half_up(paid, incl_vat, expected):
    item = performance(1, paid_tickets=paid, ticketing=amount("0.00", incl_vat))
    [body] = sibil_declarations(with_performances(item), domain_id=11)
    assert body["prixMoyenTotalBilletterie"] == Decimal(expected)
    assert str(body["prixMoyenTotalBilletterie"]) == expected
    assert body["nbBilletsTotalBilletterie"] == paid + 4


@pytest.mark.parametrize(("audience", "young"), [("all", False), ("young", True), ("school", True)])
def test_young_and_school_audiences_are_young_public(audience, young):
    data = with_performances(performance(1, audience=audience))
    assert sibil_declarations(data, 11)[0]["jeunePublic"] is young


def test_the_venue_type_is_the_venues_own():
    tent = replace(VENUE, venue_type=VenueType.TENT.value, name="Chapiteau des Braises")
    data = with_performances(performance(1, venue=tent))
    venue = sibil_declarations(data, 11)[0]["lieuChamps"]
    assert venue["typeLieu"] == "STRUCTURE_ITINERANTE_DEMONTABLE_CHAPITEAU"
    assert venue["nom"] == "Chapiteau des Braises"


def test_a_venue_without_type_is_refused_before_sending():
    data = with_performances(performance(1, venue=replace(VENUE, venue_type="")))
    with pytest.raises(SibilError, match="type du lieu « Salle des Lilas »") as raised:
        sibil_declarations(data, 11)
    assert not raised.value.retriable


def test_a_siren_that_is_not_nine_digits_is_left_as_typed():
    data = snapshot(performances=1)
    data = replace(data, show=replace(data.show, producer_siren="12345"))
    assert sibil_declarations(data, 11)[0]["spectacleChamps"]["critere2"] == (
        "Compagnie des Braises (SIREN 12345)"
    )


def test_json_keeps_amounts_exact():
    [body] = sibil_declarations(snapshot(performances=1), domain_id=11)
    text = sibil_json(body)
    assert '"recetteTotalBilletterie":1200.00' in text
    assert '"prixMoyenTotalBilletterie":12.50' in text
    assert '"critere1":"Le Cracheur de feu"' in text
    assert '"jeunePublic":false' in text
    assert json.loads(text, parse_float=Decimal) == body
    assert sibil_json({"a": [Decimal("0.10") * 3]}) == '{"a":[0.30]}'


def test_json_refuses_floats():
    with pytest.raises(TypeError):
        sibil_json({"recetteTotalBilletterie": 0.1})


# --- Quarters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "quarter"),
    [
        (datetime(2026, 3, 31, 23, 30, tzinfo=PARIS), (date(2026, 1, 1), date(2026, 4, 1))),
        (datetime(2026, 4, 1, 0, 10, tzinfo=PARIS), (date(2026, 4, 1), date(2026, 7, 1))),
        # The same instant given in UTC is still 1 April in Paris.
        (datetime(2026, 3, 31, 22, 10, tzinfo=UTC), (date(2026, 4, 1), date(2026, 7, 1))),
        (date(2026, 1, 1), (date(2026, 1, 1), date(2026, 4, 1))),
        (date(2026, 9, 30), (date(2026, 7, 1), date(2026, 10, 1))),
        (date(2026, 12, 31), (date(2026, 10, 1), date(2027, 1, 1))),
    ],
)
def test_the_quarter_of_a_paris_day(moment, quarter):
    assert sibil_quarter(moment) == quarter


def test_a_naive_datetime_has_no_quarter():
    with pytest.raises(ValueError):
        sibil_quarter(datetime(2026, 3, 31, 23, 30))


@pytest.mark.parametrize(
    ("quarter_end", "deadline"),
    [
        (date(2026, 4, 1), date(2026, 4, 10)),
        (date(2026, 3, 31), date(2026, 4, 10)),  # the last day of the quarter works too
        (date(2026, 7, 1), date(2026, 7, 10)),
        (date(2026, 10, 1), date(2026, 10, 10)),
        (date(2027, 1, 1), date(2027, 1, 10)),
        (date(2026, 12, 31), date(2027, 1, 10)),
    ],
)
def test_the_deadline_is_the_tenth_of_the_following_month(quarter_end, deadline):
    assert sibil_deadline(quarter_end) == deadline


def test_a_quarter_and_its_deadline_chain():
    start, end = sibil_quarter(date(2026, 2, 14))
    assert sibil_deadline(end) == date(2026, 4, 10)
    assert paris_midnight(start) == datetime(2026, 1, 1, tzinfo=PARIS)


# --- Quarterly CSV --------------------------------------------------------------------------


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    assert "\r\n" in text
    return list(csv.reader(text[1:].splitlines(), delimiter=";"))


def edge_snapshot():
    """One evening on 31 March (Q1) ending a run, one just after midnight on 1 April (Q2)."""
    last_of_q1 = performance(1, starts_at=datetime(2026, 3, 31, 23, 30, tzinfo=PARIS))
    first_of_q2 = performance(
        2,
        starts_at=datetime(2026, 4, 1, 0, 10, tzinfo=PARIS),
        paid_tickets=0,
        free_tickets=30,
        ticketing=amount("0.00", "0.00"),
        audience="school",
    )
    return with_performances(first_of_q2, last_of_q1)


def test_the_csv_has_french_headers_and_figures():
    rows = read_csv(sibil_quarter_csv([edge_snapshot()], date(2026, 1, 1), date(2026, 4, 1)))
    assert rows[0] == list(CSV_HEADER)
    assert rows[0][:3] == ["Spectacle", "Date de la représentation", "Heure"]
    assert rows[1:] == [
        [
            "Le Cracheur de feu",
            "31/03/2026",
            "23:30",
            "Salle des Lilas",
            "12 rue des Lilas",
            "69004",
            "Lyon",
            "Théâtre",
            "120",
            "Non",
            "Théâtre, conte, mime",
            "96",
            "4",
            "100",
            "1200,00",
            "1137,44",
            "12,50",
            "Compagnie des Braises (SIREN 552 100 554)",
            "7_101",
        ]
    ]


def test_the_csv_keeps_the_performances_of_the_quarter_only():
    second = with_performances(
        performance(1), performance(7, starts_at=datetime(2026, 4, 2, 20, 30, tzinfo=PARIS))
    )
    second = replace(second, show=replace(second.show, id=8, name="Ballet des ombres"))
    rows = read_csv(sibil_quarter_csv([second, edge_snapshot()], *sibil_quarter(date(2026, 5, 1))))
    assert [(row[0], row[1], row[2], row[-1]) for row in rows[1:]] == [
        ("Le Cracheur de feu", "01/04/2026", "00:10", "7_102"),
        ("Ballet des ombres", "02/04/2026", "20:30", "8_107"),
    ]
    first = rows[1]
    assert first[9] == "Oui"  # school
    assert first[11:17] == ["0", "30", "30", "0,00", "0,00", "0,00"]


def test_the_csv_neutralises_formulas_in_names():
    data = edge_snapshot()
    data = replace(data, show=replace(data.show, name='=HYPERLINK("http://x.example")'))
    rows = read_csv(sibil_quarter_csv([data], date(2026, 1, 1), date(2026, 4, 1)))
    assert rows[1][0] == '\'=HYPERLINK("http://x.example")'


def test_an_empty_quarter_gives_the_header_alone():
    rows = read_csv(sibil_quarter_csv([edge_snapshot()], date(2026, 7, 1), date(2026, 10, 1)))
    assert rows == [list(CSV_HEADER)]
