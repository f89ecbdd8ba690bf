from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from declarations.agencies import (
    AgencyImportError,
    ParsedAgency,
    agencies_import,
    agencies_parse,
    csv_text,
    sacd_agency_for,
    sacem_agency_for,
    sample_path,
)
from declarations.models import SacdAgency, SacemAgency

# --- Parsing -----------------------------------------------------------------------------------


def test_sacem_rows_are_grouped_by_email_with_sorted_codes():
    text = (
        "LOCAL,CP,Mail\n"
        "Délégation de Lyon,69002,Delegation-Lyon@sacem.example\n"
        "Délégation de Paris,75011,delegation-paris@sacem.example\n"
        "Délégation de Lyon,69001,delegation-lyon@sacem.example\n"
        ",,\n"
        "Délégation de Lyon,69001,delegation-lyon@sacem.example\n"
    )
    assert agencies_parse("sacem", text) == [
        ParsedAgency("Délégation de Lyon", "delegation-lyon@sacem.example", ("69001", "69002")),
        ParsedAgency("Délégation de Paris", "delegation-paris@sacem.example", ("75011",)),
    ]


def test_semicolons_bom_and_header_variants_are_accepted():
    text = (
        "\ufeff Local ; cp ;MAIL;Remarque\r\n"
        "Délégation de Nice;06000;delegation-nice@sacem.example;\r\n"
        "Délégation de Nice; 6100 ;delegation-nice@sacem.example;ancien\r\n"
    )
    assert agencies_parse("sacem", text) == [
        ParsedAgency("Délégation de Nice", "delegation-nice@sacem.example", ("06000", "06100"))
    ]


def test_excel_separator_line_and_blank_lines_are_skipped():
    text = (
        "sep=,\n\n,,\nLOCAL,CP,Mail\nLyon,69001,lyon@sacem.example\nLyon,69x,lyon@sacem.example\n"
    )
    with pytest.raises(AgencyImportError) as raised:
        agencies_parse("sacem", text)
    assert raised.value.errors[0].startswith("Ligne 6 : code postal « 69x » invalide")
    assert agencies_parse("sacem", text.rsplit("Lyon,69x", 1)[0])[0].codes == ("69001",)


def test_bytes_are_decoded_from_utf8_with_bom_or_windows_1252():
    text = "Département;mail\n69;lyon@sacd.example\n"
    assert csv_text(text.encode("utf-8-sig")) == text
    assert csv_text(text.encode("cp1252")) == text
    assert agencies_parse("sacd", csv_text(text.encode("cp1252")))[0].codes == ("69",)


def test_sacd_special_departements_and_optional_name():
    text = (
        "departement,mail\n"
        "Monaco,marseille@sacd.example\n"
        "2A,corse@sacd.example\n"
        "2b,corse@sacd.example\n"
        "6,marseille@sacd.example\n"
        "380,grenoble@sacd.example\n"
    )
    assert agencies_parse("sacd", text) == [
        ParsedAgency("corse@sacd.example", "corse@sacd.example", ("20",)),
        ParsedAgency("grenoble@sacd.example", "grenoble@sacd.example", ("380",)),
        ParsedAgency("marseille@sacd.example", "marseille@sacd.example", ("06", "980")),
    ]


def test_every_bad_line_is_reported_with_its_number():
    text = (
        "LOCAL;CP;Mail\n"
        "Délégation de Lyon;69001;delegation-lyon@sacem.example\n"
        "Délégation de Lyon;690;delegation-lyon@sacem.example\n"
        "Délégation de Paris;75001;pas-une-adresse\n"
        "\n"
        ";75002;delegation-paris@sacem.example\n"
    )
    with pytest.raises(AgencyImportError) as raised:
        agencies_parse("sacem", text)
    assert raised.value.errors == [
        "Ligne 3 : code postal « 690 » invalide (5 chiffres attendus, par exemple 69001).",
        "Ligne 4 : adresse e-mail « pas-une-adresse » invalide.",
        "Ligne 6 : LOCAL manquant(s).",
    ]
    assert raised.value.message.startswith("Rien n'a été importé.")


def test_bad_sacd_departement_is_reported():
    with pytest.raises(AgencyImportError) as raised:
        agencies_parse("sacd", "Département;mail\n2C;corse@sacd.example\n")
    assert raised.value.errors[0].startswith("Ligne 2 : département « 2C » invalide")


def test_missing_column_and_empty_list_are_refused():
    with pytest.raises(AgencyImportError, match="colonne\\(s\\) CP introuvable"):
        agencies_parse("sacem", "LOCAL;Code;Mail\nLyon;69001;lyon@sacem.example\n")
    with pytest.raises(AgencyImportError, match="aucune délégation"):
        agencies_parse("sacem", "LOCAL;CP;Mail\n;;\n")
    with pytest.raises(AgencyImportError, match="vide"):
        agencies_parse("sacd", "")


# --- Import ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_creates_updates_and_deletes_by_email():
    SacemAgency.objects.create(
        name="Délégation de Lyon", email="delegation-lyon@sacem.example", postal_codes=["69001"]
    )
    SacemAgency.objects.create(
        name="Délégation de Nice", email="delegation-nice@sacem.example", postal_codes=["06000"]
    )
    closed = SacemAgency.objects.create(
        name="Ancienne délégation", email="fermee@sacem.example", postal_codes=["59000"]
    )
    text = (
        "LOCAL;CP;Mail\n"
        "Délégation de Lyon;69002;DELEGATION-LYON@sacem.example\n"
        "Délégation de Lyon;69001;delegation-lyon@sacem.example\n"
        "Délégation de Nice;06000;delegation-nice@sacem.example\n"
        "Délégation de Paris;75011;delegation-paris@sacem.example\n"
    )

    report = agencies_import("sacem", text)

    assert (report.created, report.updated, report.deleted, report.unchanged) == (1, 1, 1, 1)
    assert report.summary == (
        "Délégations SACEM : 1 créée(s), 1 mise(s) à jour, 1 supprimée(s), 1 inchangée(s)."
    )
    assert dict(SacemAgency.objects.values_list("email", "postal_codes")) == {
        "delegation-lyon@sacem.example": ["69001", "69002"],
        "delegation-nice@sacem.example": ["06000"],
        "delegation-paris@sacem.example": ["75011"],
    }
    assert not SacemAgency.objects.filter(pk=closed.pk).exists()


@pytest.mark.django_db
def test_a_bad_file_changes_nothing():
    SacdAgency.objects.create(name="Corse", email="corse@sacd.example", postal_code_prefixes=["20"])
    text = "Département;mail\n69;lyon@sacd.example\n999999;paris@sacd.example\n"

    with pytest.raises(AgencyImportError, match="Ligne 3"):
        agencies_import("sacd", text)

    assert list(SacdAgency.objects.values_list("email", flat=True)) == ["corse@sacd.example"]


@pytest.mark.django_db
def test_a_code_listed_twice_is_imported_with_a_warning():
    text = "LOCAL,CP,Mail\nZ,69001,z@sacem.example\nA,69001,a@sacem.example\n"
    report = agencies_import("sacem", text)
    assert report.warnings == (
        "Le code postal 69001 est couvert par plusieurs délégations (A, Z) : la première par "
        "ordre alphabétique, A, le recevra.",
    )


# --- Routing -----------------------------------------------------------------------------------


@pytest.fixture
def samples(db):
    for kind in ("sacem", "sacd"):
        agencies_import(kind, sample_path(kind).read_text(encoding="utf-8"))


def _email(agency) -> str | None:
    return agency.email if agency else None


@pytest.mark.parametrize(
    ("postal_code", "email"),
    [
        ("69003", "delegation-lyon@sacem.example"),
        ("75020", "delegation-paris@sacem.example"),
        (" 75 011 ", "delegation-paris@sacem.example"),
        ("98000", "delegation-nice@sacem.example"),
        ("20000", "delegation-corse@sacem.example"),
        ("69010", None),  # not a code of any delegation: exact match only
        ("690", None),
        ("", None),
    ],
)
def test_sacem_routing_is_an_exact_postal_code_match(samples, postal_code, email):
    assert _email(sacem_agency_for(postal_code)) == email


@pytest.mark.parametrize(
    ("postal_code", "email"),
    [
        ("69001", "delegation-lyon@sacd.example"),
        ("38200", "delegation-lyon@sacd.example"),  # département 38
        ("38000", "delegation-grenoble@sacd.example"),  # "380" beats "38"
        ("38 000", "delegation-grenoble@sacd.example"),
        ("20000", "delegation-corse@sacd.example"),  # Ajaccio, 2A
        ("20200", "delegation-corse@sacd.example"),  # Bastia, 2B
        ("2A004", "delegation-corse@sacd.example"),
        ("98000", "delegation-marseille@sacd.example"),  # Monaco
        ("06000", "delegation-marseille@sacd.example"),
        ("59000", None),
        ("abc", None),
    ],
)
def test_sacd_routing_takes_the_longest_prefix(samples, postal_code, email):
    assert _email(sacd_agency_for(postal_code)) == email


@pytest.mark.django_db
def test_ties_go_to_the_first_name_whatever_the_creation_order():
    SacemAgency.objects.create(name="Zénith", email="a@sacem.example", postal_codes=["69001"])
    SacemAgency.objects.create(name="Alpha", email="z@sacem.example", postal_codes=["69001"])
    SacdAgency.objects.create(name="Zénith", email="a@sacd.example", postal_code_prefixes=["69"])
    SacdAgency.objects.create(
        name="Alpha", email="z@sacd.example", postal_code_prefixes=["69", "75"]
    )
    SacdAgency.objects.create(name="Beta", email="b@sacd.example", postal_code_prefixes=["690"])

    assert sacem_agency_for("69001").name == "Alpha"
    assert sacd_agency_for("69100").name == "Alpha"
    assert sacd_agency_for("69001").name == "Beta"  # a longer prefix still wins


# --- Command -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_loads_the_sample_then_finds_nothing_to_change():
    out = StringIO()
    call_command("agencies_import", "sacem", "--sample", stdout=out)
    assert out.getvalue().strip() == (
        "Délégations SACEM : 6 créée(s), 0 mise(s) à jour, 0 supprimée(s), 0 inchangée(s)."
    )
    out = StringIO()
    call_command("agencies_import", "sacem", "--sample", stdout=out)
    assert "0 créée(s), 0 mise(s) à jour, 0 supprimée(s), 6 inchangée(s)" in out.getvalue()


@pytest.mark.django_db
def test_command_imports_a_file(tmp_path):
    path = tmp_path / "sacd.csv"
    path.write_bytes("Département;Délégation;mail\n2A;Corse;corse@sacd.example\n".encode("cp1252"))
    out = StringIO()
    call_command("agencies_import", "sacd", str(path), stdout=out)
    assert "Délégations SACD : 1 créée(s)" in out.getvalue()
    assert SacdAgency.objects.get().postal_code_prefixes == ["20"]


@pytest.mark.django_db
def test_command_errors_exit_non_zero_and_change_nothing(tmp_path):
    SacemAgency.objects.create(name="Lyon", email="lyon@sacem.example", postal_codes=["69001"])
    path = tmp_path / "sacem.csv"
    path.write_text("LOCAL,CP,Mail\nParis,750011,paris@sacem.example\n", encoding="utf-8")

    # CommandError makes manage.py print the message and exit with its returncode.
    with pytest.raises(CommandError, match="Ligne 2 : code postal « 750011 » invalide") as raised:
        call_command("agencies_import", "sacem", str(path))
    assert raised.value.returncode == 1
    with pytest.raises(CommandError, match="Impossible de lire"):
        call_command("agencies_import", "sacem", str(tmp_path / "absent.csv"))
    with pytest.raises(CommandError, match="soit un fichier CSV, soit --sample"):
        call_command("agencies_import", "sacem")

    assert list(SacemAgency.objects.values_list("email", flat=True)) == ["lyon@sacem.example"]
