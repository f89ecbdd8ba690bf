"""The SACEM and SACD delegations: import of the organisms' CSV lists and routing of a venue
postal code to the delegation that receives the declaration (SACEM) or its attachments (SACD).

The organisms send their lists as spreadsheets; support saves them as CSV and imports them with
`manage.py agencies_import` or from the admin. An import replaces the whole list, all or nothing.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction

from declarations.models import SacdAgency, SacemAgency

AgencyKind = Literal["sacem", "sacd"]
AGENCY_KINDS: tuple[AgencyKind, ...] = ("sacem", "sacd")

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_REPORTED_ERRORS = 20

_COLUMN_HINTS = {
    "sacem": "LOCAL (nom de la délégation), CP (code postal) et Mail",
    "sacd": "Département, mail et, si vous l'avez, le nom de la délégation",
}
# Normalised header (lower case, no accent, no space or punctuation) → field.
_HEADERS = {
    "sacem": {
        "local": "name",
        "nom": "name",
        "delegation": "name",
        "agence": "name",
        "cp": "code",
        "codepostal": "code",
        "mail": "email",
        "email": "email",
        "courriel": "email",
        "adressemail": "email",
        "adresseemail": "email",
    },
    "sacd": {
        "departement": "code",
        "dept": "code",
        "dep": "code",
        "local": "name",
        "nom": "name",
        "delegation": "name",
        "agence": "name",
        "mail": "email",
        "email": "email",
        "courriel": "email",
        "adressemail": "email",
        "adresseemail": "email",
    },
}
_REQUIRED = {"sacem": ("name", "code", "email"), "sacd": ("code", "email")}
_COLUMN_LABELS = {"name": "LOCAL", "code": "CP", "email": "Mail"}
_SACD_COLUMN_LABELS = {"name": "nom de la délégation", "code": "Département", "email": "mail"}

# SACD "Département" values that are not digits: Monaco's postal codes are 980xx, and both
# Corsican départements (2A, 2B) have postal codes starting with 20.
_SACD_SPECIAL_CODES = {"monaco": "980", "2a": "20", "2b": "20"}


class AgencyImportError(Exception):
    """The file cannot be imported; `errors` are French sentences, most with a line number."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(self.message)

    @property
    def message(self) -> str:
        shown = self.errors[:MAX_REPORTED_ERRORS]
        hidden = len(self.errors) - len(shown)
        lines = [*shown, f"… et {hidden} autre(s) erreur(s)."] if hidden else shown
        return "Rien n'a été importé. Corrigez le fichier puis recommencez :\n" + "\n".join(lines)


@dataclass(frozen=True)
class ParsedAgency:
    name: str
    email: str
    codes: tuple[str, ...]  # sorted, without duplicates


@dataclass(frozen=True)
class ImportReport:
    kind: AgencyKind
    created: int
    updated: int
    deleted: int
    unchanged: int
    warnings: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        return (
            f"Délégations {self.kind.upper()} : {self.created} créée(s), "
            f"{self.updated} mise(s) à jour, {self.deleted} supprimée(s), "
            f"{self.unchanged} inchangée(s)."
        )


def sample_path(kind: AgencyKind) -> Path:
    """The fictional list shipped for the demo and the tests (e-mails on `.example`)."""
    return DATA_DIR / f"{kind}_agencies_sample.csv"


def csv_text(data: bytes) -> str:
    """Decodes a CSV file: UTF-8 with or without BOM, else Windows-1252, the encoding French
    Excel uses for "CSV (séparateur : point-virgule)"."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise AgencyImportError(
            ["Encodage du fichier non reconnu : enregistrez-le au format « CSV UTF-8 »."]
        ) from error


def _header_key(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if c.isalnum()).lower()


def _clean(value: str) -> str:
    # Spreadsheets leave non-breaking and thin spaces in cells.
    return re.sub(r"\s+", " ", value.replace("\ufeff", "")).strip()


def _delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if header.count(";") >= header.count(",") and ";" in header else ","


def sacem_code_clean(value: str) -> str | None:
    """A SACEM postal code as listed by the organism ("1000" from Excel → "01000"), or None."""
    code = re.sub(r"\s", "", value)
    if re.fullmatch(r"\d{4}", code):
        code = "0" + code  # Excel drops the leading zero of 01000–09999
    return code if re.fullmatch(r"\d{5}", code) else None


def sacd_prefix_clean(value: str) -> str | None:
    """A SACD prefix from its "Département" value ("69", "750", "2A" → "20", "Monaco" →
    "980"), or None."""
    code = re.sub(r"\s", "", value)
    if code.lower() in _SACD_SPECIAL_CODES:
        return _SACD_SPECIAL_CODES[code.lower()]
    if re.fullmatch(r"\d", code):
        code = "0" + code  # Excel drops the leading zero of départements 01–09
    return code if re.fullmatch(r"\d{2,5}", code) else None


def _code_error(kind: AgencyKind, line: int, value: str) -> str:
    if kind == "sacem":
        return f"Ligne {line} : code postal « {value} » invalide (5 chiffres attendus, par exemple 69001)."
    return (
        f"Ligne {line} : département « {value} » invalide (2 à 5 chiffres, 2A, 2B ou Monaco "
        "attendus, par exemple 69 ou 750)."
    )


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """The non-blank rows with their line numbers. Excel may write a first line "sep=;"."""
    text = text.lstrip("\ufeff")
    declared = re.fullmatch(r"sep=(.)", text.split("\n", 1)[0].strip())
    delimiter = declared.group(1) if declared else _delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for row in reader:
        if (declared and reader.line_num == 1) or not any(_clean(cell) for cell in row):
            continue
        yield reader.line_num, row


def agencies_parse(kind: AgencyKind, text: str) -> list[ParsedAgency]:
    """The agencies of a CSV file, grouped by (lower-cased) e-mail, sorted by e-mail.

    Raises AgencyImportError listing every bad line."""
    labels = _COLUMN_LABELS if kind == "sacem" else _SACD_COLUMN_LABELS
    rows = _rows(text)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise AgencyImportError(["Le fichier est vide."]) from None
    except csv.Error as error:
        raise AgencyImportError([f"Ligne 1 : fichier CSV illisible ({error})."]) from error
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        field = _HEADERS[kind].get(_header_key(title))
        if field and field not in columns:
            columns[field] = index
    missing = [labels[field] for field in _REQUIRED[kind] if field not in columns]
    if missing:
        raise AgencyImportError(
            [
                f"Ligne {header_line} : colonne(s) {', '.join(missing)} introuvable(s). La ligne"
                f" d'en-tête doit nommer les colonnes {_COLUMN_HINTS[kind]}, séparées par "
                "des virgules ou des points-virgules."
            ]
        )

    errors: list[str] = []
    names: dict[str, str] = {}
    codes: dict[str, set[str]] = {}
    line = header_line
    try:
        for line, row in rows:
            cells = {field: _clean(row[i]) if i < len(row) else "" for field, i in columns.items()}
            empty = [labels[field] for field in _REQUIRED[kind] if not cells[field]]
            if empty:
                errors.append(f"Ligne {line} : {', '.join(empty)} manquant(s).")
                continue
            code = (sacem_code_clean if kind == "sacem" else sacd_prefix_clean)(cells["code"])
            if code is None:
                errors.append(_code_error(kind, line, cells["code"]))
            email = cells["email"].lower()
            try:
                validate_email(email)
            except ValidationError:
                errors.append(f"Ligne {line} : adresse e-mail « {cells['email']} » invalide.")
                continue
            if code is None:
                continue
            if not names.get(email):
                names[email] = cells.get("name", "")
            codes.setdefault(email, set()).add(code)
    except csv.Error as error:
        errors.append(f"Ligne {line + 1} : fichier CSV illisible ({error}).")
    if errors:
        raise AgencyImportError(errors)
    if not codes:
        raise AgencyImportError(
            ["Le fichier ne contient aucune délégation : une liste vide n'est jamais importée."]
        )
    return [
        ParsedAgency(name=names[email] or email, email=email, codes=tuple(sorted(codes[email])))
        for email in sorted(codes)
    ]


def _shared_codes_warnings(kind: AgencyKind, agencies: Iterable[ParsedAgency]) -> list[str]:
    owners: dict[str, list[str]] = {}
    for agency in agencies:
        for code in agency.codes:
            owners.setdefault(code, []).append(agency.name)
    label = "code postal" if kind == "sacem" else "préfixe"
    return [
        f"Le {label} {code} est couvert par plusieurs délégations ({', '.join(sorted(names))}) : "
        f"la première par ordre alphabétique, {min(names)}, le recevra."
        for code, names in sorted(owners.items())
        if len(names) > 1
    ]


def agencies_import(kind: AgencyKind, text: str) -> ImportReport:
    """Replaces the agencies of `kind` with those of the CSV `text`, matched by e-mail: new
    ones are created, listed ones updated, the others deleted. All or nothing."""
    parsed = agencies_parse(kind, text)
    model = SacemAgency if kind == "sacem" else SacdAgency
    codes_field = "postal_codes" if kind == "sacem" else "postal_code_prefixes"
    created = updated = unchanged = 0
    with transaction.atomic():
        # Two imports at once would both create the same e-mails; routing reads still go on.
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")  # noqa: S608
        existing = {agency.email.lower(): agency for agency in model.objects.all()}
        for item in parsed:
            agency = existing.pop(item.email, None)
            if agency is None:
                model.objects.create(name=item.name, email=item.email, **{codes_field: item.codes})
                created += 1
            elif agency.name != item.name or list(getattr(agency, codes_field)) != list(item.codes):
                agency.name = item.name
                setattr(agency, codes_field, list(item.codes))
                agency.save(update_fields=["name", codes_field])
                updated += 1
            else:
                unchanged += 1
        deleted, _ = model.objects.filter(pk__in=[a.pk for a in existing.values()]).delete()
    return ImportReport(
        kind=kind,
        created=created,
        updated=updated,
        deleted=deleted,
        unchanged=unchanged,
        warnings=tuple(_shared_codes_warnings(kind, parsed)),
    )


def postal_code_normalise(postal_code: str) -> str:
    """Removes every space ("69 001", non-breaking spaces)."""
    return re.sub(r"\s", "", postal_code or "")


def sacem_agency_for(postal_code: str) -> SacemAgency | None:
    """The SACEM delegation listing exactly this postal code, or None.

    When several delegations list it, the first by name (then e-mail) wins: the choice is the
    same on every call and survives a re-import, unlike one by id."""
    code = postal_code_normalise(postal_code)
    if not re.fullmatch(r"\d{5}", code):
        return None
    return (
        SacemAgency.objects.filter(postal_codes__contains=[code]).order_by("name", "email").first()
    )


def sacd_agency_for(postal_code: str) -> SacdAgency | None:
    """The SACD delegation whose longest prefix starts the postal code, or None.

    A longer prefix ("380") beats its département ("38"). Corsican codes (20xxx) match "20",
    Monaco's (980xx) match "980". Among delegations listing the same longest prefix, the first
    by name (then e-mail) wins."""
    code = postal_code_normalise(postal_code).upper()
    if code[:2] in ("2A", "2B"):
        code = "20" + code[2:]
    if not re.fullmatch(r"\d{2,5}", code):
        return None
    candidates = [code[:length] for length in range(2, len(code) + 1)]
    agencies = SacdAgency.objects.filter(postal_code_prefixes__overlap=candidates)

    def rank(agency: SacdAgency) -> tuple[int, str, str]:
        longest = max(len(p) for p in agency.postal_code_prefixes if p in candidates)
        return (-longest, agency.name, agency.email)

    return min(agencies, key=rank, default=None)
