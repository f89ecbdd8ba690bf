import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pypdf
import pytest

from declarations.documents import (
    CSV_HEADER,
    document_filename,
    sacem_deadline,
    sacem_pdf,
    show_tax_csv,
    show_tax_pdf,
)
from declarations.figures import key_figures
from declarations.snapshot import ZERO
from declarations.templatetags.declaration_format import PARIS, paris_date
from tests.declarations.samples import amount, performance, snapshot

NNBSP = "\u202f"
NBSP = "\u00a0"


def euros(text: str) -> str:
    """ "2 274,88" written as the documents do: narrow no-break spaces, no-break space before €."""
    return text.replace(" ", NNBSP) + NBSP + "€"


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text with line breaks and runs of spaces as one space (the layout decides
    where lines break); no-break spaces are kept."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [re.sub(r"[ \n]+", " ", page.extract_text()) for page in reader.pages]


def landscape(page) -> bool:
    return page.mediabox.width > page.mediabox.height


# Saturday 14 March 2026 at 20:30 in Paris (winter time), then Sunday 29 March at 20:30 (summer
# time since 2:00 that night: 18:30 UTC), for a young audience; made at 00:30 on 2 April in Paris.
SUMMER_START = datetime(2026, 3, 29, 18, 30, tzinfo=UTC)
SACEM_SNAPSHOT = replace(
    snapshot(0),
    performances=(
        performance(1),
        performance(
            2,
            starts_at=SUMMER_START,
            ends_at=None,
            audience="young",
            catering=amount("30.00", "33.00"),
            vat_rate=Decimal("0.021"),
            ticketing=amount("979.43", "1000.00"),
            free_tickets=10,
            paid_tickets=90,
        ),
    ),
    made_at=datetime(2026, 4, 1, 22, 30, tzinfo=UTC),
    version=2,
)


@pytest.fixture(scope="module")
def sacem_document() -> bytes:
    return sacem_pdf(SACEM_SNAPSHOT)


@pytest.fixture(scope="module")
def sacem_pages(sacem_document) -> list[str]:
    return pages_text(sacem_document)


# --- SACEM ----------------------------------------------------------------------------------


def test_sacem_first_page_is_portrait_and_the_table_landscape(sacem_document):
    reader = pypdf.PdfReader(io.BytesIO(sacem_document))

    assert len(reader.pages) == 2
    assert not landscape(reader.pages[0])
    assert landscape(reader.pages[1])
    assert round(reader.pages[0].mediabox.width) == 595  # A4: 210 mm
    assert round(reader.pages[0].mediabox.height) == 842


def test_sacem_metadata(sacem_document):
    reader = pypdf.PdfReader(io.BytesIO(sacem_document))

    assert reader.metadata.title == "Déclaration SACEM – Le Cracheur de feu"
    assert reader.trailer["/Root"]["/Lang"] == "fr"


def test_sacem_summary_page(sacem_pages):
    first = sacem_pages[0]

    assert "SACEM - Société des Auteurs, Compositeurs et Éditeurs de Musique" in first
    assert "225 avenue Charles de Gaulle, 92528 Neuilly-sur-Seine Cedex" in first
    # The last performance is in March: the deadline is the last day of April.
    assert "avant le dernier jour du mois suivant la dernière représentation" in first
    assert "jeudi 30 avril 2026" in first
    assert "État des recettes et dépenses" in first
    assert "Organisateur / structure Théâtre de la Lune Rousse" in first
    assert "SIREN 784125635" in first
    assert "N° client SACEM 4242" in first
    assert "Nom du spectacle Le Cracheur de feu" in first
    assert "Dates du samedi 14 mars 2026 au dimanche 29 mars 2026" in first
    assert "Nombre de représentations 2" in first
    assert "Esthétique du spectacle Théâtre, conte, mime" in first
    assert f"Recette billetterie HT {euros('2 116,87')}" in first
    assert f"Recette billetterie TTC {euros('2 200,00')}" in first
    assert f"Recette hors billetterie HT {euros('330,00')}" in first
    assert f"Recette hors billetterie TTC {euros('393,00')}" in first
    assert f"Dépenses totales HT {euros('3 000,00')}" in first
    assert f"Dépenses totales TTC {euros('3 165,00')}" in first
    assert f"Frais d'approche HT {euros('400,00')}" in first
    assert f"Frais d'approche TTC {euros('422,00')}" in first
    assert "Je certifie l'exactitude des renseignements ci-joints." in first
    # 22:30 UTC on 1 April is already 2 April in Paris.
    assert "Fait via l'Assistant déclaration le jeudi 2 avril 2026, par Camille Martin" in first


def test_sacem_performances_table(sacem_pages):
    table = sacem_pages[1]

    assert "Représentations – Le Cracheur de feu" in table
    assert "Samedi 14 mars 2026 à 20 h 30" in table
    assert "Dimanche 29 mars 2026 à 20 h 30" in table  # 18:30 UTC in summer time
    assert "Tout public" in table and "Jeune public" in table
    assert "Salle des Lilas 12 rue des Lilas 69004 Lyon" in table
    assert "4 gratuites 96 payantes" in table
    assert "10 gratuites 90 payantes" in table
    assert f"{euros('1 137,44')} {euros('1 200,00')} 5,5{NBSP}%" in table
    assert f"{euros('979,43')} {euros('1 000,00')} 2,1{NBSP}%" in table
    assert f"Rest. {euros('30,00')}" in table
    assert f"Conso. {euros('120,00')}" in table
    total = table[table.index("Total – 2 représentations") :]
    assert f"14 gratuites 186 payantes {euros('2 116,87')} {euros('2 200,00')}" in total
    assert f"Conso. {euros('200,00')} Rest. {euros('30,00')} Prog. {euros('100,00')}" in total
    assert f"Total {euros('330,00')}" in total
    assert f"Total {euros('393,00')}" in total


def test_sacem_footer_numbers_pages_and_states_the_version(sacem_pages):
    for number, text in enumerate(sacem_pages, start=1):
        assert f"page {number} / 2" in text
        assert "Version 2 – corrige la déclaration précédente" in text


def test_a_first_version_says_nothing_of_versions():
    pages = pages_text(sacem_pdf(snapshot(1)))

    assert not any("Version" in text for text in pages)
    assert "Dates samedi 14 mars 2026 Nombre" in pages[0]  # one performance: one date
    assert "Total – 1 représentation " in pages[1]


def test_sacem_table_flows_over_pages_with_every_performance():
    start = datetime(2026, 3, 1, 20, 30, tzinfo=PARIS)
    performances = tuple(
        performance(1, id=1000 + day, starts_at=start + timedelta(days=day)) for day in range(60)
    )
    data = replace(snapshot(0), performances=performances)

    document = sacem_pdf(data)

    reader = pypdf.PdfReader(io.BytesIO(document))
    pages = pages_text(document)
    assert len(pages) >= 4
    assert not landscape(reader.pages[0])
    assert all(landscape(page) for page in reader.pages[1:])
    tables = pages[1:]
    assert all("Date et heure" in text for text in tables)  # header row repeated
    everything = " ".join(tables)
    for item in performances:
        assert f"{paris_date(item.starts_at).capitalize()} à 20 h 30" in everything
    assert everything.count("96 payantes") == 60
    assert f"240 gratuites 5760 payantes {euros('68 246,40')} {euros('72 000,00')}" in (everything)
    assert f"page {len(pages)} / {len(pages)}" in pages[-1]


def test_sacem_deadline_crosses_the_year():
    december = replace(
        snapshot(0),
        performances=(performance(1, starts_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC)),),
    )
    # 23:30 UTC on 31 December is 1 January in Paris: the deadline is the end of February.
    assert str(sacem_deadline(key_figures(december))) == "2027-02-28"
    december_first = replace(
        snapshot(0),
        performances=(performance(1, starts_at=datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)),),
    )
    assert str(sacem_deadline(key_figures(december_first))) == "2027-01-31"


# --- CNM and ASTP ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("organism", "notice", "portal"),
    [
        ("cnm", "ne télétransmet pas au CNM", "https://monespacepro.cnm.fr/taxe/declarations"),
        ("astp", "ne télétransmet pas à l'ASTP", "https://dectanet.astp.asso.fr"),
    ],
)
def test_show_tax_pdf(organism, notice, portal):
    document = show_tax_pdf(SACEM_SNAPSHOT, organism)

    reader = pypdf.PdfReader(io.BytesIO(document))
    text = " ".join(pages_text(document))
    assert reader.metadata.title == (
        f"Taxe sur les spectacles {organism.upper()} – Le Cracheur de feu"
    )
    assert notice in text
    assert portal in text
    assert "puis notez dans l'Assistant déclaration que la déclaration est faite" in text
    assert "SIREN 784125635" in text
    assert "Dates du samedi 14 mars 2026 au dimanche 29 mars 2026" in text
    assert "Nombre de représentations 2" in text
    assert "Entrées payantes / gratuites 186 / 14 (total 200)" in text
    assert "Dimanche 29 mars 2026 à 20 h 30 Salle des Lilas, Lyon 69004 90 10" in text
    assert f"{euros('1 000,00')} {euros('979,43')} 2,1{NBSP}%" in text
    assert f"Total – 2 représentations 186 14 {euros('2 200,00')} {euros('2 116,87')}" in text
    assert "Base retenue Recette de billetterie HT" in text
    assert f"Assiette {euros('2 116,87')}" in text
    assert f"Taux 3,5{NBSP}%" in text
    assert f"Taxe due {euros('74,09')}" in text  # 74.09045
    assert "page 1 / 1" in text
    assert "Version 2 – corrige la déclaration précédente" in text


def test_show_tax_pdf_of_a_free_show():
    free = {"paid_tickets": 0, "free_tickets": 80, "ticketing": ZERO}
    data = replace(snapshot(0), performances=(performance(1, **free),))

    text = " ".join(pages_text(show_tax_pdf(data, "astp")))

    assert "Base retenue Prix de cession HT (spectacle gratuit)" in text
    assert f"Assiette {euros('2 500,00')}" in text
    assert f"Taxe due {euros('87,50')}" in text
    assert "Prix moyen d'un billet payant TTC — (aucun billet payant)" in text
    assert "Version" not in text


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


@pytest.mark.parametrize(
    ("organism", "name", "notice", "portal"),
    [
        (
            "cnm",
            "CNM – Centre national de la musique",
            "ne télétransmet pas au CNM",
            "https://monespacepro.cnm.fr/taxe/declarations",
        ),
        (
            "astp",
            "ASTP – Association pour le soutien du théâtre privé",
            "ne télétransmet pas à l'ASTP",
            "https://dectanet.astp.asso.fr",
        ),
    ],
)
def test_show_tax_csv(organism, name, notice, portal):
    text = show_tax_csv(SACEM_SNAPSHOT, organism)

    assert text.startswith("\ufeff")
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert "\r\n" in text
    rows = csv_rows(text)
    summary = {row[0]: row[1] for row in rows[: rows.index([])]}
    assert summary["Organisme"] == name
    assert summary["Structure"] == "Théâtre de la Lune Rousse"
    assert summary["SIREN"] == "784125635"
    assert summary["Spectacle"] == "Le Cracheur de feu"
    assert summary["Première représentation"] == "14/03/2026"
    assert summary["Dernière représentation"] == "29/03/2026"
    assert summary["Nombre de représentations"] == "2"
    assert summary["Base de la taxe"] == "recette de billetterie HT"
    assert summary["Assiette de la taxe (€)"] == "2116,87"
    assert summary["Taux de la taxe (%)"] == "3,5"
    assert summary["Taxe due (€)"] == "74,09"
    assert summary["Portail de déclaration"] == portal
    assert notice in summary["Remarque"]
    table = rows[rows.index([]) + 1 :]
    assert table[0] == list(CSV_HEADER)
    assert table[1:] == [
        [
            "14/03/2026",
            "20:30",
            "Salle des Lilas",
            "69004",
            "Lyon",
            "96",
            "4",
            "1200,00",
            "1137,44",
            "5,5",
        ],
        [
            "29/03/2026",
            "20:30",
            "Salle des Lilas",
            "69004",
            "Lyon",
            "90",
            "10",
            "1000,00",
            "979,43",
            "2,1",
        ],
        ["Total", "", "", "", "", "186", "14", "2200,00", "2116,87", ""],
    ]


def test_show_tax_csv_writes_large_amounts_as_spreadsheet_numbers():
    data = replace(
        snapshot(0), performances=(performance(1, ticketing=amount("123456.70", "130246.82")),)
    )

    rows = csv_rows(show_tax_csv(data, "cnm"))

    assert rows[-1][7:9] == ["130246,82", "123456,70"]
    summary = {row[0]: row[1] for row in rows if len(row) == 2}
    assert summary["Taxe due (€)"] == "4320,98"  # 4 320.9845


def test_show_tax_csv_of_a_free_show():
    data = replace(snapshot(0), performances=(performance(1, paid_tickets=0, ticketing=ZERO),))

    summary = {row[0]: row[1] for row in csv_rows(show_tax_csv(data, "astp")) if len(row) == 2}

    assert summary["Base de la taxe"] == "prix de cession HT (spectacle gratuit)"
    assert summary["Assiette de la taxe (€)"] == "2500,00"
    assert summary["Taxe due (€)"] == "87,50"


def test_show_tax_documents_refuse_other_organisms():
    with pytest.raises(ValueError):
        show_tax_csv(snapshot(1), "sacem")
    with pytest.raises(ValueError):
        show_tax_pdf(snapshot(1), "sibil")


# --- File names -----------------------------------------------------------------------------


def test_document_filename():
    assert document_filename("SACEM", snapshot(1), "pdf") == (
        "Déclaration SACEM - le-cracheur-de-feu.pdf"
    )
    assert document_filename("CNM", replace(snapshot(1), version=2), "csv") == (
        "Déclaration CNM - le-cracheur-de-feu (version 2).csv"
    )


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("L'Œil du Cyclone — Été 2026 !", "l-oeil-du-cyclone-ete-2026"),
        ("  Ça   déménage  ", "ca-demenage"),
        ("«  »", "spectacle"),
    ],
)
def test_document_filename_slugs_the_show_name(name, slug):
    data = snapshot(1)
    data = replace(data, show=replace(data.show, name=name))

    assert document_filename("SACD", data, "xml") == f"Déclaration SACD - {slug}.xml"
