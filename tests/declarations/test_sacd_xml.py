"""The SACD XML declaration: a pure function of the snapshot (no database)."""

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from declarations.sacd_xml import sacd_amount, sacd_xml
from declarations.snapshot import Address

from .samples import ORGANISATION, PARIS, VENUE, amount, performance, snapshot

GOLDEN = Path(__file__).parent / "golden" / "sacd_declaration.xml"


def golden_snapshot():
    """Two evenings: the sample's, then a 2.1 % one in another hall without an end time; the
    organisation's head office differs from the venue and the show has circus fees."""
    base = snapshot(performances=2)
    second = performance(
        2,
        ends_at=None,
        paid_tickets=40,
        free_tickets=0,
        ticketing=amount("538.69", "550.00"),
        vat_rate=Decimal("0.021"),
        venue=replace(VENUE, name="Grande salle", capacity=300, venue_type="ESPACE_POLYVALENT"),
    )
    return replace(
        base,
        organisation=replace(
            ORGANISATION, address=Address("3 place des Terreaux", "69001", "Lyon")
        ),
        show=replace(
            base.show,
            name="Le Cracheur de feu & ses braises",
            circus_fees=amount("250.00", "263.75"),
        ),
        performances=(base.performances[0], second),
        made_at=datetime(2026, 4, 1, 22, 30, tzinfo=UTC),  # 00:30 on 2 April in Paris
    )


def parsed(text: str) -> ET.Element:
    return ET.fromstring(text.encode())


def representations(text: str) -> list[ET.Element]:
    return parsed(text).findall("Representations/Representation")


def test_matches_the_golden_file():
    assert sacd_xml(golden_snapshot()) == GOLDEN.read_text(encoding="utf-8")


def test_starts_with_the_utf8_declaration_and_parses():
    text = sacd_xml(snapshot())
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Declaration>\n  <Header>')
    root = parsed(text)
    assert root.tag == "Declaration"
    assert [child.tag for child in root] == ["Header", "Representations"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("13.745", "13.75"),
        ("13.744", "13.74"),
        ("0.005", "0.01"),
        ("2500.00", "2500"),
        ("1E+3", "1000"),
        ("12.50", "12.5"),
        ("0.00", "0"),
        ("-0.001", "0"),
        ("1234567.891", "1234567.89"),
    ],
)
def test_amounts_are_plain_numbers_rounded_half_up(value, text):
    assert sacd_amount(Decimal(value)) == text


def test_amounts_of_the_document_are_rounded_half_up_and_vat_adds_up():
    base = snapshot(performances=1)
    data = replace(
        base,
        performances=(performance(1, ticketing=amount("13.745", "15.00"), paid_tickets=8),),
        show=replace(base.show, expenses=amount("1000.005", "1055.01")),
    )
    (item,) = representations(sacd_xml(data))
    assert item.findtext("Billetterie/rep_mt_billets") == "13.75"
    # 15.00 − 13.75: the VAT of the rounded amounts, not the rounding of 1.255.
    assert item.findtext("Billetterie/rep_mt_tva_billets") == "1.25"
    assert item.findtext("Exploitation/rep_mt_depenses") == "1000.01"
    assert item.findtext("Salle/salle_prix_moyen") == "1.88"  # 15 / 8 = 1.875


@pytest.mark.parametrize(
    ("rate", "text"),
    [("0", "0"), ("0.021", "2.1"), ("0.0550", "5.5"), ("0.1", "10"), ("0.2000", "20")],
)
def test_vat_rate_is_sent_as_a_percentage(rate, text):
    data = snapshot(performances=1)
    data = replace(data, performances=(performance(1, vat_rate=Decimal(rate)),))
    (item,) = representations(sacd_xml(data))
    assert item.findtext("Billetterie/rep_tx_tva_billets") == text


def test_average_price_is_left_out_without_paid_tickets():
    data = snapshot(performances=1)
    data = replace(
        data,
        performances=(performance(1, paid_tickets=0, free_tickets=50, ticketing=amount("0", "0")),),
    )
    (item,) = representations(sacd_xml(data))
    assert item.find("Salle/salle_prix_moyen") is None
    assert item.findtext("Billetterie/rep_nb_billets_pay") == "0"
    assert item.findtext("Billetterie/rep_nb_billets_exo") == "50"


def test_dates_and_times_are_in_paris_across_the_dst_change():
    before = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # 21:00 Paris, winter time
    after = datetime(2026, 3, 29, 19, 0, tzinfo=UTC)  # 21:00 Paris, summer time
    summer = datetime(2026, 7, 10, 18, 30, tzinfo=UTC)  # 20:30 Paris
    past_midnight = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # 00:30 on the 29th in Paris
    data = replace(
        snapshot(),
        performances=(
            performance(1, starts_at=before, ends_at=before.replace(hour=22)),
            performance(2, starts_at=after, ends_at=None),
            performance(3, starts_at=summer, ends_at=None),
            performance(4, starts_at=past_midnight, ends_at=None),
        ),
    )
    items = representations(sacd_xml(data))
    moments = [
        (i.findtext("rep_date_debut"), i.findtext("rep_horaire"), i.findtext("rep_date_fin"))
        for i in items
    ]
    assert moments == [
        ("2026/03/28", "21:00", "2026/03/28"),
        ("2026/03/29", "00:30", "2026/03/29"),
        ("2026/03/29", "21:00", "2026/03/29"),
        ("2026/07/10", "20:30", "2026/07/10"),
    ]


def test_an_end_after_midnight_ends_the_next_day():
    starts_at = datetime(2026, 5, 9, 22, 0, tzinfo=PARIS)
    data = replace(
        snapshot(),
        performances=(performance(1, starts_at=starts_at, ends_at=starts_at.replace(day=10)),),
    )
    (item,) = representations(sacd_xml(data))
    assert item.findtext("rep_date_debut") == "2026/05/09"
    assert item.findtext("rep_date_fin") == "2026/05/10"


def test_declaration_date_is_the_paris_date_it_was_made():
    data = replace(snapshot(), made_at=datetime(2026, 12, 31, 23, 15, tzinfo=UTC))
    assert parsed(sacd_xml(data)).findtext("Header/dec_date") == "2027/01/01"


def test_representations_are_sorted_by_start_and_expenses_go_on_the_first_only():
    data = snapshot(performances=3)
    data = replace(data, performances=tuple(reversed(data.performances)))
    root = parsed(sacd_xml(data))
    items = root.findall("Representations/Representation")
    assert root.findtext("Header/dec_nb") == "3"
    assert [i.findtext("rep_ref_dec") for i in items] == ["7_101", "7_102", "7_103"]
    assert items[0].findtext("Exploitation/rep_mt_depenses") == "3000"
    assert items[0].findtext("Exploitation/rep_mt_frais") == "400"
    for later in items[1:]:
        exploitation = later.find("Exploitation")
        assert exploitation is not None and len(exploitation) == 0


def test_circus_fees_are_taken_out_of_the_expenses():
    base = snapshot(performances=1)
    data = replace(base, show=replace(base.show, circus_fees=amount("1200.50", "1266.53")))
    (item,) = representations(sacd_xml(data))
    assert item.findtext("Exploitation/rep_mt_depenses") == "1799.5"


def test_the_diffuseur_is_the_organisation_at_its_head_office():
    data = replace(
        snapshot(performances=1),
        organisation=replace(
            ORGANISATION, address=Address("1 quai Saint-Antoine", "69002", "Lyon")
        ),
    )
    (item,) = representations(sacd_xml(data))
    diffuseur = {child.tag: child.text for child in item.find("Diffuseur")}
    assert diffuseur == {
        "diff_nom": "Théâtre de la Lune Rousse",
        "diff_type_ref": "SIREN",
        "diff_ref": "784125635",
        "diff_adresse_1": "1 quai Saint-Antoine",
        "diff_code_postal": "69002",
        "diff_ville": "Lyon",
        "diff_pays": "FR",
    }
    assert item.findtext("Salle/salle_nom") == "Salle des Lilas"


def test_version_two_is_a_correction_of_the_same_references():
    first = representations(sacd_xml(snapshot()))
    second = representations(sacd_xml(snapshot(version=2)))
    assert [i.findtext("rep_version") for i in first] == ["1", "1"]
    assert [i.findtext("rep_version") for i in second] == ["2", "2"]
    assert [i.findtext("rep_ref_dec") for i in second] == [i.findtext("rep_ref_dec") for i in first]


def test_strings_are_cut_to_128_characters():
    long_name = "Une très longue épopée " * 10  # 230 characters
    data = snapshot(performances=1)
    data = replace(
        data,
        show=replace(data.show, name=long_name, producer_name="P" * 200),
        performances=(performance(1, venue=replace(VENUE, name="S" * 129)),),
    )
    (item,) = representations(sacd_xml(data))
    assert item.findtext("rep_titre") == long_name[:128].rstrip()
    assert item.findtext("Producteur/prod_nom") == "P" * 128
    assert item.findtext("Salle/salle_nom") == "S" * 128


def test_special_characters_are_escaped_and_cut_before_escaping():
    name = 'Roméo & Juliette <version courte> "d\'après" Shakespeare'
    data = snapshot(performances=1)
    data = replace(data, show=replace(data.show, name=name))
    text = sacd_xml(data)
    assert "Roméo &amp; Juliette &lt;version courte&gt;" in text
    (item,) = representations(text)
    assert item.findtext("rep_titre") == name

    # 127 letters then "&": the cut keeps the whole character, never half of "&amp;".
    data = replace(data, show=replace(data.show, name="a" * 127 + "&bcd"))
    text = sacd_xml(data)
    assert ("a" * 127 + "&amp;</rep_titre>") in text
    (item,) = representations(text)
    assert item.findtext("rep_titre") == "a" * 127 + "&"


def test_characters_xml_cannot_carry_are_dropped():
    data = snapshot(performances=1)
    data = replace(data, show=replace(data.show, name="Le Cracheur\x0b de feu\x00"))
    (item,) = representations(sacd_xml(data))
    assert item.findtext("rep_titre") == "Le Cracheur de feu"


def test_no_float_or_exponent_ever_reaches_the_document():
    data = snapshot(performances=1)
    data = replace(
        data,
        show=replace(
            data.show,
            expenses=amount("1E+4", "1.2E+4"),
            introduction_fees=amount("0E-10", "0"),
        ),
        performances=(performance(1, ticketing=amount("1E+3", "1055")),),
    )
    text = sacd_xml(data)
    (item,) = representations(text)
    assert item.findtext("Exploitation/rep_mt_depenses") == "10000"
    assert item.findtext("Exploitation/rep_mt_frais") == "0"
    assert item.findtext("Billetterie/rep_mt_billets") == "1000"
    assert item.findtext("Billetterie/rep_mt_tva_billets") == "55"
    assert "E+" not in text and "E-" not in text
