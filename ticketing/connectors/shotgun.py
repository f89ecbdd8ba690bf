"""Shotgun connector (smartboard API, `…/api/shotgun`), in ticket-ledger mode.

Why the ledger: `GET /tickets/sold?after=<instant>` lists the organizer's tickets updated after
an instant, account-wide, and every ticket carries its event's id, name and dates. That one
listing is enough: a run fetches only the tickets that changed — ⌈changed / 50⌉ requests, at
least one, 50 being Shotgun's fixed page size — and never recounts an event. Recounting each
touched event through `?event_id=` as the prior service did would fetch every page of it
again. Its guard refusing accounts over 500 pages is gone too: every page is read.

Shotgun facts (its documentation is private; reference notes §2.5):
- credentials in the query string: `organizer_id` and the API token as `key`, or as `token`
  for tokens issued before 2025-07-01 (the JWT's `iat`, read without verification);
- cursor pagination: `cursor=true` for the first page, then the id of the last ticket, as in
  the answer's `pagination.next` (null on the last page);
- `ticket_price` is in euros incl. VAT and already net of Shotgun's and the buyer's fees;
  `vat_rate` is a fraction (0.055); the currency is `eur`;
- one Shotgun event is one show with one performance (both ids `str(event_id)`);
- only `valid` tickets count: a `resold` ticket was replaced by the buyer's new one, the other
  statuses are refunded, cancelled or not (yet) paid.

Changes are listed in ticket id order, not by event, so tickets are buffered per event and
handed over every BUFFER_LIMIT tickets to keep memory bounded: after a very large change (a
first sync) one show can come more than once in a run, each time with more of its tickets;
the ledger merges them.
"""

import base64
import binascii
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx

from ticketing.connectors.base import (
    Credentials,
    MemoLookup,
    PerformanceData,
    PermanentError,
    ShowData,
    TicketData,
    TransientError,
    no_memo,
)
from ticketing.connectors.http import UNAVAILABLE, ProviderClient

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
BUFFER_LIMIT = 50_000  # about 25 MB of tickets
# `after` is compared with Shotgun's clock and its updates may land a little late: re-reading a
# few minutes costs nothing, since the ledger keeps the latest state of each ticket anyway.
OVERLAP = timedelta(minutes=5)
LEGACY_TOKEN_ISSUED_BEFORE = 1_751_320_800  # 2025-07-01 00:00 Paris, as a JWT `iat`
COUNTED_STATUS = "valid"
STATUSES = frozenset(
    {
        "valid",
        "resold",
        "refunded",
        "canceled",
        "pending_organizer_approval",
        "rejected",
        "payment_plan_pending",
    }
)

REFUSED = (
    "Shotgun refuse l'identifiant d'organisateur ou le jeton d'API. Vérifiez-les dans Shotgun "
    "(Settings › Integrations › Shotgun APIs), puis enregistrez-les à nouveau ici."
)
FORBIDDEN = (
    "Ce jeton Shotgun ne donne pas accès à cet organisateur : vérifiez l'identifiant "
    "d'organisateur ou créez le jeton depuis le compte de cet organisateur."
)
FIREWALL = (
    "Shotgun bloque temporairement nos requêtes : la synchronisation reprendra dans quelques "
    "minutes."
)
UNREADABLE = "Shotgun a envoyé une réponse illisible : la synchronisation reprendra plus tard."
REJECTED = (
    "Shotgun a refusé notre demande (erreur {status}). Si cela se reproduit, contactez le support."
)


def build(credentials: Credentials, client: ProviderClient, *, provider: str) -> "Shotgun":
    return Shotgun(credentials, client, provider=provider)


class Shotgun:
    def __init__(self, credentials: Credentials, client: ProviderClient, *, provider: str):
        self.provider = provider
        self._client = client
        self._auth = auth_params(credentials)

    def check_credentials(self) -> None:
        # A window in the future lists nothing: only the credentials are tried.
        future = _iso(datetime.now(UTC) + timedelta(days=730))
        self._get("tickets/sold", {"after": future, "before": future, "cursor": "true"})

    def shows_changed_since(
        self, since: datetime, memos: MemoLookup = no_memo
    ) -> Iterator[ShowData]:
        batch = _Batch()
        for record in self._tickets_updated_after(_aware(since) - OVERLAP):
            batch.add(record)
            if batch.size >= BUFFER_LIMIT:
                yield from batch.drain()
        yield from batch.drain()

    def _tickets_updated_after(self, after: datetime) -> Iterator[object]:
        params = {"after": _iso(after), "cursor": "true"}
        previous: int | None = None
        while True:
            payload = self._get("tickets/sold", params)
            records, pagination = payload.get("data"), payload.get("pagination")
            if not isinstance(records, list) or not isinstance(pagination, dict):
                raise TransientError(UNREADABLE)
            yield from records
            if not pagination.get("next"):
                return
            cursor = _next_cursor(pagination["next"], records)
            # A cursor that does not move forward would loop for ever.
            if cursor is None or (previous is not None and cursor <= previous):
                raise TransientError(UNREADABLE)
            previous = cursor
            params = {**params, "cursor": str(cursor)}

    def _get(self, path: str, params: dict[str, str]) -> dict:
        response = self._client.get(path, params={**self._auth, **params})
        if response.status_code != 200:
            raise _error(response)
        try:
            payload = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise TransientError(UNREADABLE) from None
        if not isinstance(payload, dict):
            raise TransientError(UNREADABLE)
        return payload


def auth_params(credentials: Credentials) -> dict[str, str]:
    token = credentials.secret_key.strip()
    issued_at = jwt_issued_at(token)
    legacy = issued_at is not None and issued_at < LEGACY_TOKEN_ISSUED_BEFORE
    return {"organizer_id": credentials.access_key.strip(), "token" if legacy else "key": token}


def jwt_issued_at(token: str) -> int | None:
    """The `iat` claim of a JWT, unverified; None when the token is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    issued_at = claims.get("iat") if isinstance(claims, dict) else None
    if isinstance(issued_at, int | float) and not isinstance(issued_at, bool):
        return int(issued_at)
    return None


def _error(response: httpx.Response) -> Exception:
    status = response.status_code
    if status == 401:
        return PermanentError(REFUSED)
    if status == 403:
        # Shotgun's own refusals are JSON; an HTML page comes from the firewall in front.
        if "json" in response.headers.get("Content-Type", ""):
            return PermanentError(FORBIDDEN)
        return TransientError(FIREWALL)
    if status >= 500:
        return TransientError(UNAVAILABLE)
    return PermanentError(REJECTED.format(status=status))


def _next_cursor(next_url: object, records: list) -> int | None:
    cursor = httpx.URL(str(next_url)).params.get("cursor", "")
    if cursor.isdigit():
        return int(cursor)
    last = records[-1] if records else None
    ticket_id = last.get("ticket_id") if isinstance(last, dict) else None
    return ticket_id if _is_integer(ticket_id) else None


class MalformedRecord(Exception):
    """A record that cannot be read; `message` is the French warning shown on the show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class _Event:
    id: str
    name: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    tickets: list[TicketData] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def note(self, record: dict) -> None:
        """Event details, from the first ticket that has them readable."""
        name = record.get("event_name")
        if self.name is None and isinstance(name, str) and name.strip():
            self.name = name.strip()
        if self.starts_at is None:
            self.starts_at = _optional_instant(record.get("event_start_time"))
        if self.ends_at is None:
            self.ends_at = _optional_instant(record.get("event_end_time"))

    def show_data(self, extra_warnings: list[str]) -> ShowData:
        warnings = [*extra_warnings, *self.warnings]
        if self.name is None:
            warnings.append(f"Événement {self.id} : nom absent.")
        performances: tuple[PerformanceData, ...] = ()
        tickets: tuple[TicketData, ...] = ()
        if self.starts_at is None:
            warnings.append(
                f"Événement {self.id} : date de début illisible, représentation ignorée "
                f"({len(self.tickets)} billets)."
            )
        else:
            ends_at = self.ends_at if self.ends_at and self.ends_at >= self.starts_at else None
            performances = (PerformanceData(self.id, self.starts_at, ends_at),)
            tickets = tuple(self.tickets)
        return ShowData(
            external_id=self.id,
            name=self.name or f"Événement Shotgun {self.id}",
            performances=performances,
            tickets=tickets,
            warnings=tuple(warnings),
        )


class _Batch:
    """Changed tickets grouped by event until they are handed over."""

    def __init__(self) -> None:
        self.events: dict[str, _Event] = {}
        self.orphan_warnings: list[str] = []
        self.size = 0

    def add(self, record: object) -> None:
        try:
            event_id = _event_id(record)
        except MalformedRecord as error:
            self.orphan_warnings.append(error.message)
            return
        event = self.events.setdefault(event_id, _Event(event_id))
        event.note(record)
        try:
            event.tickets.append(_ticket(record, event_id))
        except MalformedRecord as error:
            event.warnings.append(error.message)
        else:
            self.size += 1

    def drain(self) -> Iterator[ShowData]:
        events, self.events, self.size = self.events, {}, 0
        # A record without a readable event belongs to no show: reported on the next one.
        orphans, self.orphan_warnings = self.orphan_warnings, []
        for event in events.values():
            yield event.show_data(orphans)
            orphans = []
        if orphans:
            logger.warning("%s unreadable Shotgun ticket(s) with no event", len(orphans))


def _event_id(record: object) -> str:
    if not isinstance(record, dict):
        raise MalformedRecord("Billet illisible ignoré.")
    event_id = record.get("event_id")
    if not _is_integer(event_id):
        raise MalformedRecord("Billet sans événement ignoré.")
    return str(event_id)


def _ticket(record: dict, event_id: str) -> TicketData:
    ticket_id = record.get("ticket_id")
    if not _is_integer(ticket_id):
        raise MalformedRecord("Billet sans identifiant ignoré.")
    label = f"Billet {ticket_id} ignoré"
    currency = record.get("currency")
    if not isinstance(currency, str) or currency.lower() != "eur":
        raise MalformedRecord(f"{label} : devise « {_short(currency)} » non gérée (euros seuls).")
    status = record.get("ticket_status")
    if status not in STATUSES:
        raise MalformedRecord(f"{label} : statut « {_short(status)} » inconnu.")
    price = record.get("ticket_price")
    if not _is_amount(price) or price < 0:
        raise MalformedRecord(f"{label} : prix illisible.")
    rate = record.get("vat_rate")
    if not _is_amount(rate) or not 0 <= rate < 1:
        raise MalformedRecord(f"{label} : taux de TVA illisible.")
    updated_at = _optional_instant(record.get("ticket_updated_at"))
    if updated_at is None:
        raise MalformedRecord(f"{label} : date de mise à jour illisible.")
    return TicketData(
        external_id=str(ticket_id),
        performance_external_id=event_id,
        cancelled=status != COUNTED_STATUS,
        price_incl_vat=Decimal(price),
        vat_rate=Decimal(rate),
        updated_at=updated_at,
    )


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_amount(value: object) -> bool:
    # JSON numbers are parsed as Decimal (never float), integers as int.
    return _is_integer(value) or (isinstance(value, Decimal) and value.is_finite())


def _optional_instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def _aware(moment: datetime) -> datetime:
    """Times without an offset are Paris time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _short(value: object) -> str:
    return str(value)[:30]
