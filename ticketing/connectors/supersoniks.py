"""Supersoniks and SoTicket (its white label): one API per customer, on the customer's own
domain (`https://<domain>/api/v2/`, `Authorization: Bearer <token>`).

Figures mode. The only data the API gives us are the closing statements ("bordereaux de
clôture", `GET statement/closing`): one per session, with its sales aggregated per price line,
one VAT rate per session and the session's VAT amount. There is no ticket, no update time and
no change listing, so no ticket ledger is possible; each session's figures are read from its
statement.

The listing filters on the session date, not on changes, and has no pagination. Instead of
re-reading 25 months at every run (the prior service ignored `since`), a run reads the sessions
dated from `since - LATE_CHANGES` onwards: sales happen before a session, refunds and the
closing of the statement shortly after. A show ("multi-séance") with a session in that window is
yielded with all its sessions, so the sessions it had before the window are read too (one more
request, over `SERIES_SPAN`): a show is never yielded with only part of its performances.
Requests: 1 per run, 2 when a multi-séance is in the window; 1 for `check_credentials()`.
Without pagination, one listing is held at a time and reduced to figures as it is read (2,000
sessions: a few MB).

Rules:
- only statements of events make shows: season passes and gift cards do not;
- a session's show is its multi-séance when it has one, else the session itself;
- price lines of the box office, the web site and resellers (`externals_prices`) all count; a
  line at 0 € is free tickets; a negative line is a partial refund, deducted from the revenue
  (the prior service ignored them) without changing the number of tickets;
- excl. VAT is the revenue minus the statement's VAT amount, which Supersoniks computes at each
  price's rate; the session's rate is the indicative rate only when it explains that amount
  (else another legal rate that does, else None: mixed rates);
- `tax.rate` is a fraction (0.055; `tax_value` holds the percent), pinned by the fixtures; a
  value of 1 or more is read as a percent;
- times are unix timestamps, hence absolute; a session without an end uses its duration.
"""

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

import httpx

from ticketing.connectors.base import (
    Credentials,
    Figures,
    MemoLookup,
    PerformanceData,
    PermanentError,
    ShowData,
    TransientError,
    no_memo,
    to_cents,
)
from ticketing.connectors.http import ProviderClient

logger = logging.getLogger(__name__)

LISTING = "statement/closing"
LATE_CHANGES = timedelta(days=62)  # refunds and closing after a session
SERIES_SPAN = timedelta(days=395)  # how far before the window a show's sessions may start
HORIZON = timedelta(days=3 * 365)  # sessions already on sale this far ahead
LEGAL_RATES = tuple(Decimal(rate) for rate in ("0.055", "0.021", "0.1", "0.2", "0"))
RATE_PLACES = Decimal("0.0001")
VAT_TOLERANCE = Decimal("0.01")  # the provider may round its VAT amount line by line

DOMAIN_PATTERN = re.compile(r"^(?!://)([A-Za-z0-9-_]{1,63}\.)+[A-Za-z]{2,63}$")
INVALID_DOMAIN = (
    "L'identifiant doit être le nom de domaine de votre billetterie, sans « https:// » ni "
    "« / » (par exemple billetterie.masalle.fr)."
)
LABELS = {"supersoniks": "Supersoniks", "soticket": "SoTicket"}


def validate_domain(value: str) -> str:
    """The ticketing domain as typed in the connect form, or PermanentError."""
    domain = value.strip().lower()
    if len(domain) > 253 or not DOMAIN_PATTERN.match(domain):
        raise PermanentError(INVALID_DOMAIN)
    return domain


def build(credentials: Credentials, client: ProviderClient, *, provider: str) -> "Supersoniks":
    return Supersoniks(credentials, client, provider=provider)


class _Unreadable(Exception):
    """A record that cannot be read: skipped and reported on its show."""


@dataclass
class _Serie:
    external_id: str
    name: str
    multisession: bool
    performances: dict[str, PerformanceData] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def show(self) -> ShowData:
        performances = sorted(self.performances.values(), key=lambda p: p.starts_at)
        return ShowData(
            external_id=self.external_id,
            name=self.name,
            performances=tuple(performances),
            warnings=tuple(dict.fromkeys(self.warnings)),
        )


class Supersoniks:
    def __init__(self, credentials: Credentials, client: ProviderClient, *, provider: str):
        self.provider = provider
        self.domain = validate_domain(credentials.access_key)
        self.label = LABELS.get(provider, "Supersoniks")
        self.client = client
        self._headers = {"Authorization": f"Bearer {credentials.secret_key}"}

    # --- Connector -----------------------------------------------------------------------

    def check_credentials(self) -> None:
        # A window with no session in it: the cheapest answer that proves the token works.
        later = datetime.now(UTC) + timedelta(days=2 * 365)
        self._listing(later, later)

    def shows_changed_since(
        self, since: datetime, memos: MemoLookup = no_memo
    ) -> Iterator[ShowData]:
        window_start = since - LATE_CHANGES
        series: dict[str, _Serie] = {}
        window_end = max(since, datetime.now(UTC)) + HORIZON  # a replay may start long ago
        for statement in self._listing(window_start, window_end):
            self._collect(series, statement, create=True)
        if any(serie.multisession for serie in series.values()):
            earlier = window_start - timedelta(seconds=1)
            for statement in self._listing(window_start - SERIES_SPAN, earlier):
                self._collect(series, statement, create=False)
        for serie in series.values():
            if serie.performances:
                yield serie.show()
            elif serie.warnings:
                logger.warning("Supersoniks show skipped: none of its sessions is readable")

    # --- HTTP ----------------------------------------------------------------------------

    def _listing(self, start: datetime, end: datetime) -> list:
        params = {
            "bypass_closed": "true",  # sessions whose statement is not closed yet as well
            "from": str(int(start.timestamp())),
            "to": str(int(end.timestamp())),
        }
        payload = self._json(self.client.get(LISTING, params=params, headers=self._headers))
        data = payload.get("data")
        if payload.get("success") is not True or not isinstance(data, list):
            raise PermanentError(self._message_unexpected())
        return data

    def _json(self, response: httpx.Response) -> dict:
        self._raise_for_status(response)
        try:
            # Decimal for every number with a fraction: amounts never go through floats.
            payload = json.loads(response.content, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as error:
            raise TransientError(
                f"{self.label} a envoyé une réponse illisible : la synchronisation reprendra "
                "plus tard."
            ) from error
        if not isinstance(payload, dict):
            raise PermanentError(self._message_unexpected())
        return payload

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        html = "html" in response.headers.get("Content-Type", "")
        if status == 401:
            raise PermanentError(
                f"{self.label} refuse le jeton d'accès (expiré ou invalide). Demandez un nouveau "
                f"jeton à {self.label} et enregistrez-le dans les identifiants de cette billetterie."
            )
        if status == 403 and html:
            raise PermanentError(
                f"Le pare-feu de votre billetterie {self.label} bloque nos requêtes. Demandez à "
                f"{self.label} d'autoriser les adresses de l'Assistant déclaration, puis relancez "
                "la synchronisation."
            )
        if status == 403:
            raise PermanentError(
                f"Ce jeton n'a pas accès aux bordereaux de clôture. Demandez à {self.label} un "
                "jeton qui y donne accès, puis enregistrez-le dans les identifiants."
            )
        if status == 404:
            raise PermanentError(
                f"Aucune billetterie {self.label} ne répond à l'adresse « {self.domain} » : "
                "vérifiez le nom de domaine de votre billetterie."
            )
        if status < 500:
            raise PermanentError(self._message_unexpected())
        raise TransientError(
            f"{self.label} ne répond pas pour le moment : la synchronisation reprendra plus tard."
        )

    def _message_unexpected(self) -> str:
        return (
            f"{self.label} a répondu de façon inattendue. Réessayez plus tard ; si le problème "
            "persiste, contactez-nous."
        )

    # --- Statements ----------------------------------------------------------------------

    def _collect(self, series: dict[str, _Serie], statement: object, *, create: bool) -> None:
        """Adds the statement's session to its show. With `create` False, only completes
        multi-séances already found in the window."""
        session = statement.get("session") if isinstance(statement, dict) else None
        if isinstance(session, dict) and session.get("entity_type") != "event":
            return  # season passes, gift cards: not a show
        try:
            session = _field(statement, "session", dict)
            key, name, multisession = _serie_of(session)
        except _Unreadable:
            logger.warning("Supersoniks statement without a readable show, skipped")
            return
        serie = series.get(key)
        if serie is None:
            if not create:
                return
            serie = series[key] = _Serie(key, name, multisession)
        session_id = session.get("id")
        try:
            performance = _performance(statement, session)
        except _Unreadable as error:
            serie.warnings.append(f"Représentation {session_id} : {error}, ignorée.")
            return
        serie.performances[performance.external_id] = performance


def _field(record: object, name: str, kind: type | tuple[type, ...]):
    value = record.get(name) if isinstance(record, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _Unreadable(f"champ « {name} » absent ou invalide")
    return value


def _serie_of(session: dict) -> tuple[str, str, bool]:
    """(show id, show name, is a multi-séance)."""
    multisession = session.get("multisession")
    if isinstance(multisession, dict) and multisession:
        serie_id = multisession.get("id") or multisession.get("multisession_id")
        edito = multisession.get("edito") if isinstance(multisession.get("edito"), dict) else {}
        name = edito.get("title") or multisession.get("title")
        if not isinstance(serie_id, int) or not isinstance(name, str):
            raise _Unreadable("multi-séance illisible")
        return f"multisession-{serie_id}", name.strip(), True
    session_id = _field(session, "id", int)
    name = _field(_field(session, "edito", dict), "title", str)
    return f"session-{session_id}", name.strip(), False


def _performance(statement: dict, session: dict) -> PerformanceData:
    session_id = _field(session, "id", int)
    starts_at = _timestamp(session.get("start_date"))
    if starts_at is None:
        raise _Unreadable("sans date")
    settings = session.get("settings") if isinstance(session.get("settings"), dict) else {}
    ends_at = _timestamp(session.get("end_date"))
    duration = settings.get("duration")
    if ends_at is None and isinstance(duration, int) and duration > 0:
        ends_at = starts_at + timedelta(minutes=duration)
    return PerformanceData(
        external_id=str(session_id),
        starts_at=starts_at,
        ends_at=ends_at,
        figures=_figures(statement, _session_rate(settings)),
    )


def _timestamp(value: object) -> datetime | None:
    """Unix seconds; 0 or nothing means no date."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _Unreadable(f"montant « {name} » illisible")
    try:
        return Decimal(value) if isinstance(value, int) else value
    except InvalidOperation as error:
        raise _Unreadable(f"montant « {name} » illisible") from error


def _session_rate(settings: dict) -> Decimal | None:
    tax = settings.get("tax")
    if not isinstance(tax, dict):
        return None
    rate = tax.get("rate")
    if rate is None and tax.get("tax_value") is not None:
        rate = _decimal(tax["tax_value"], "tax_value") / 100
    if rate is None:
        return None
    rate = _decimal(rate, "tax.rate")
    if rate < 0:
        raise _Unreadable("taux de TVA négatif")
    if rate >= 1:  # a percent (5.5) where a fraction (0.055) is documented
        rate /= 100
    return rate.quantize(RATE_PLACES)


def _figures(statement: dict, session_rate: Decimal | None) -> Figures:
    lines = _field(statement, "internals_prices", list) + _field(
        statement, "externals_prices", list
    )
    free = paid = 0
    incl = Decimal(0)
    for line in lines:
        if not isinstance(line, dict):
            raise _Unreadable("ligne de tarif illisible")
        amount = _decimal(line.get("amount"), "amount")
        revenue = _decimal(line.get("revenue"), "revenue")
        quantity = _field(line, "quantity", int)
        if amount == 0:
            free += quantity
        elif amount > 0:
            paid += quantity
            incl += revenue
        else:  # partial refund (quantity 0): money given back, the ticket stays sold
            incl -= abs(revenue)
    if free < 0 or paid < 0 or incl < 0:
        raise _Unreadable("totaux négatifs")
    excl = _excl_vat(statement, incl, session_rate)
    return Figures(
        revenue_incl_vat=to_cents(incl),
        revenue_excl_vat=to_cents(excl),
        vat_rate=_indicative_rate(incl, excl, session_rate) if paid else None,
        free_tickets=free,
        paid_tickets=paid,
    )


def _excl_vat(statement: dict, incl: Decimal, session_rate: Decimal | None) -> Decimal:
    vat = statement.get("tax_amount")
    if vat is not None:
        vat = _decimal(vat, "tax_amount")
        if not 0 <= vat <= incl:
            raise _Unreadable("montant de TVA incohérent")
        return incl - vat
    if session_rate is None:
        raise _Unreadable("taux de TVA absent")
    return incl / (1 + session_rate)


def _indicative_rate(incl: Decimal, excl: Decimal, session_rate: Decimal | None) -> Decimal | None:
    """The rate that explains the VAT amount, the session's first; None when none does."""
    candidates = ([session_rate] if session_rate is not None else []) + list(LEGAL_RATES)
    for rate in candidates:
        if abs(to_cents(incl / (1 + rate)) - to_cents(excl)) <= VAT_TOLERANCE:
            return rate
    return None
