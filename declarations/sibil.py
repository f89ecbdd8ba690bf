"""SIBIL, the Ministry of Culture's ticketing statistics: what we send and what we hand over.

Pure functions of a `DeclarationSnapshot` (no HTTP, no database); the web service client is
`declarations.clients.sibil`.

- One SIBIL declaration per performance: SIBIL analyses by calendar quarter, refuses a
  declaration straddling two quarters and accepts one venue per declaration, while a show can
  tour. The external key `<show id>_<performance id>` is stable, so a resend updates the same
  SIBIL record instead of creating a duplicate.
- SIBIL's performance domains are an admin-managed list without stable codes that differs
  between environments: our 14 categories are mapped by pattern on the domain labels.
- Amounts stay `Decimal` in the bodies and are written as exact JSON numbers by `sibil_json`
  (the standard `json` module would refuse Decimals, and floats would not be exact).
- For those who declare by hand, `sibil_quarter_csv` gives a quarter's figures as a CSV file.
"""

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from declarations.choices import Audience, PerformanceType, VenueType
from declarations.rules import to_cents
from declarations.snapshot import DeclarationSnapshot, PerformanceSnapshot, ShowSnapshot

PARIS = ZoneInfo("Europe/Paris")
ZERO_EUROS = Decimal("0.00")
STATUS_RECORDED = "ENREGISTRE"
YOUNG_AUDIENCES = frozenset({Audience.YOUNG.value, Audience.SCHOOL.value})
# Day of the month following a quarter before which its SIBIL data is due.
DEADLINE_DAY = 10


class SibilError(Exception):
    """Anything that stops a SIBIL declaration. `message` is French, shown to the user, and says
    what to do; `retriable` is True when the same request may succeed later (timeouts, SIBIL
    down or overloaded), False when someone must act first."""

    def __init__(
        self,
        message: str,
        *,
        retriable: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.retriable = retriable
        self.status = status  # SIBIL's HTTP status, when it answered
        self.retry_after = retry_after  # seconds, from a Retry-After header


class SibilDomainNotFound(SibilError):
    """None of SIBIL's active domains matches one of our categories: SIBIL changed its list and
    `DOMAIN_PATTERNS` must follow."""


@dataclass(frozen=True)
class SibilDomain:
    """A SIBIL "domaine de représentation"."""

    id: int
    label: str  # `libelle`
    active: bool = True


# Searched in the domain label, case- and accent-insensitively (labels are folded the same way),
# over active domains in SIBIL's order: the first match wins.
DOMAIN_PATTERNS: dict[str, str] = {
    PerformanceType.OUTDOOR: r"arts de la rue$",
    PerformanceType.CABARET: r"cabaret|music.?hall",
    PerformanceType.CIRCUS: r"cirque",
    PerformanceType.MUSICAL_THEATRE: r"theatre musical",
    PerformanceType.DANCE: r"danse de creation",
    PerformanceType.COMEDY: r"humour",
    PerformanceType.PUPPETRY: r"marionnettes",
    PerformanceType.CLASSICAL_MUSIC: r"musique classique",
    PerformanceType.POPULAR_MUSIC: r"genres assimiles",
    PerformanceType.WORLD_MUSIC: r"musiques du monde",
    PerformanceType.HERITAGE: r"autre",
    PerformanceType.NO_DOMINANT: r"autre",
    PerformanceType.ICE_AND_PARKS: r"autre",
    PerformanceType.THEATRE: r"mime",
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def domain_for(performance_type: str, domains: list[SibilDomain]) -> SibilDomain:
    """The SIBIL domain of one of our `PerformanceType` values."""
    pattern = DOMAIN_PATTERNS.get(performance_type)
    if pattern is None:
        raise ValueError(f"Unknown performance type: {performance_type!r}")
    regex = re.compile(pattern)
    for domain in domains:
        if domain.active and regex.search(_fold(domain.label)):
            return domain
    label = PerformanceType(performance_type).label
    raise SibilDomainNotFound(
        f"La catégorie « {label} » ne correspond plus à aucun domaine de représentation de "
        "SIBIL, qui a sans doute modifié sa liste. Signalez-le à l'équipe de la plateforme ; "
        "en attendant, vous pouvez déclarer ce spectacle directement sur SIBIL."
    )


# --- Declaration bodies -------------------------------------------------------------------------


def external_id(show: ShowSnapshot, performance: PerformanceSnapshot) -> str:
    """`idExtBilletterie`: short (SIBIL refused two full UUIDs) and stable across resends."""
    return f"{show.id}_{performance.id}"


def iso_instant(moment: datetime) -> str:
    """An aware datetime as an ISO-8601 UTC instant, to the second: 2026-03-14T19:30:00Z."""
    if moment.tzinfo is None:
        raise ValueError("A naive datetime has no instant.")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def average_price(revenue_incl_vat: Decimal, paid_tickets: int) -> Decimal:
    """Ticketing revenue incl. VAT per paid ticket, to the cent; 0 without any paid ticket."""
    if paid_tickets <= 0:
        return ZERO_EUROS
    return to_cents(revenue_incl_vat / paid_tickets)


def spaced_siren(siren: str) -> str:
    """552100554 → 552 100 554 (anything else is left as it is)."""
    digits = siren.replace(" ", "")
    if len(digits) != 9 or not digits.isdigit():
        return siren
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def producer_credit(show: ShowSnapshot) -> str:
    """`critere2`: SIBIL asks for a "Conception" credit; we give the producer."""
    return f"{show.producer_name} (SIREN {spaced_siren(show.producer_siren)})"


def sibil_declaration(
    show: ShowSnapshot, performance: PerformanceSnapshot, domain_id: int
) -> dict[str, Any]:
    """The DeclarationDTO of one performance (amounts as Decimals: send it with `sibil_json`)."""
    venue = performance.venue
    if venue.venue_type not in VenueType.values:
        raise SibilError(
            f"Le type du lieu « {venue.name} » n'est pas renseigné : choisissez-le dans le "
            "formulaire de déclaration, puis relancez l'envoi."
        )
    ticketing = to_cents(performance.ticketing.incl_vat)
    return {
        "idExtBilletterie": external_id(show, performance),
        "gestionnaireMultiple": False,
        "dateHeureRepresentationUnique": iso_instant(performance.starts_at),
        "nbRepresentations": 1,
        "nbBilletsTotalBilletterie": performance.paid_tickets + performance.free_tickets,
        "recetteTotalBilletterie": ticketing,
        "prixMoyenTotalBilletterie": average_price(ticketing, performance.paid_tickets),
        # The full-price and subscription breakdown is not known.
        "nbBilletsTarifPlein": 0,
        "recetteTarifPlein": ZERO_EUROS,
        "prixMoyenTarifPlein": ZERO_EUROS,
        "nbBilletsTarifAbonnementForfait": 0,
        "nbBilletsExoneres": performance.free_tickets,
        "jauge": venue.capacity,
        "jeunePublic": performance.audience in YOUNG_AUDIENCES,
        "domaineRepresentationId": domain_id,
        "lieuChamps": {
            "nom": venue.name,
            "adresse": venue.address.street,
            "codePostal": venue.address.postal_code,
            "ville": venue.address.city,
            "typeLieu": venue.venue_type,
        },
        "spectacleChamps": {
            "domaineSpectacleId": domain_id,
            "critere1": show.name,
            "critere2": producer_credit(show),
        },
        "statutDeclaration": STATUS_RECORDED,
    }


def sibil_declarations(snapshot: DeclarationSnapshot, domain_id: int) -> list[dict[str, Any]]:
    """One DeclarationDTO per performance, by start."""
    performances = sorted(snapshot.performances, key=lambda item: (item.starts_at, item.id))
    return [sibil_declaration(snapshot.show, item, domain_id) for item in performances]


def sibil_json(body: Any) -> str:
    """`body` as JSON text, Decimals written as exact numbers ("1200.00" → 1200.00).

    A few lines of encoder rather than floats: `float(Decimal("0.1") * 3)` style errors can never
    reach SIBIL, and the stored payload is byte for byte what was sent."""
    if isinstance(body, Decimal):
        if not body.is_finite():
            raise ValueError(f"{body} is not a JSON number")
        return format(body, "f")
    if isinstance(body, dict):
        items = (
            f"{json.dumps(str(key), ensure_ascii=False)}:{sibil_json(value)}"
            for key, value in body.items()
        )
        return "{" + ",".join(items) + "}"
    if isinstance(body, list | tuple):
        return "[" + ",".join(sibil_json(value) for value in body) + "]"
    if isinstance(body, float):
        raise TypeError("Amounts must be Decimals, never floats.")
    return json.dumps(body, ensure_ascii=False)


# --- Quarters -----------------------------------------------------------------------------------


def paris_date(moment: date | datetime) -> date:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("A naive datetime has no Paris date.")
        return moment.astimezone(PARIS).date()
    return moment


def sibil_quarter(day: date | datetime) -> tuple[date, date]:
    """The calendar quarter containing `day` (an aware datetime counts by its Paris date), as
    [start, end): the first day of the quarter and the first day of the next one."""
    day = paris_date(day)
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, end


def sibil_deadline(quarter_end: date) -> date:
    """The day before which a quarter's SIBIL data is due: the 10th of the month after the
    quarter. `quarter_end` is the end returned by `sibil_quarter` (its last day works too)."""
    last_day = quarter_end - timedelta(days=1)
    following = date(last_day.year, last_day.month, 28) + timedelta(days=4)
    return following.replace(day=DEADLINE_DAY)


# --- Quarterly CSV for declaring by hand ---------------------------------------------------------

CSV_HEADER = (
    "Spectacle",
    "Date de la représentation",
    "Heure",
    "Lieu",
    "Adresse du lieu",
    "Code postal",
    "Ville",
    "Type de lieu",
    "Jauge",
    "Jeune public",
    "Domaine (catégorie du spectacle)",
    "Billets payants",
    "Billets exonérés",
    "Total des billets",
    "Recette de billetterie TTC (€)",
    "Recette de billetterie HT (€)",
    "Prix moyen TTC (€)",
    "Producteur",
    "Identifiant externe",
)
# Excel runs a cell starting with one of these as a formula; names come from ticketing systems.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _euros(value: Decimal) -> str:
    return format(to_cents(value), "f").replace(".", ",")


def _choice_label(choices: type, value: str) -> str:
    return choices(value).label if value in choices.values else value


def sibil_quarter_csv(snapshots: Iterable[DeclarationSnapshot], start: date, end: date) -> str:
    """Every performance of `snapshots` starting (Paris date) in [start, end), one row each, by
    start: semicolon-separated, decimal comma, with a byte order mark so that Excel reads UTF-8."""
    rows = []
    for snapshot in snapshots:
        show = snapshot.show
        for performance in snapshot.performances:
            if start <= paris_date(performance.starts_at) < end:
                rows.append((performance.starts_at, show.name, performance.id, show, performance))
    rows.sort(key=lambda row: row[:3])
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for *_, show, performance in rows:
        writer.writerow(_csv_row(show, performance))
    return "\ufeff" + output.getvalue()


def _csv_row(show: ShowSnapshot, performance: PerformanceSnapshot) -> list[str]:
    venue = performance.venue
    local = performance.starts_at.astimezone(PARIS)
    incl_vat = to_cents(performance.ticketing.incl_vat)
    return [
        _text(show.name),
        local.strftime("%d/%m/%Y"),
        local.strftime("%H:%M"),
        _text(venue.name),
        _text(venue.address.street),
        venue.address.postal_code,
        _text(venue.address.city),
        _choice_label(VenueType, venue.venue_type),
        str(venue.capacity),
        "Oui" if performance.audience in YOUNG_AUDIENCES else "Non",
        _choice_label(PerformanceType, show.performance_type),
        str(performance.paid_tickets),
        str(performance.free_tickets),
        str(performance.paid_tickets + performance.free_tickets),
        _euros(incl_vat),
        _euros(performance.ticketing.excl_vat),
        _euros(average_price(incl_vat, performance.paid_tickets)),
        _text(producer_credit(show)),
        external_id(show, performance),
    ]


def paris_midnight(day: date) -> datetime:
    """The aware instant a Paris day starts (to select a quarter's performances in a query)."""
    return datetime.combine(day, time(), tzinfo=PARIS)
