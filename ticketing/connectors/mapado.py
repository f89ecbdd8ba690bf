"""Mapado (https://ticketing.mapado.net/): API Platform, Hydra collections, `Authorization:
Bearer <app token>` (no access key).

Mode: ticket ledger. Mapado lists tickets by update time (`/v1/tickets?updatedSince=`) with
their status, price and event date, so an incremental run fetches only the tickets that changed
and the sync engine recomputes the performances they belong to from its ledger, instead of
recounting every ticket of every touched show as the prior connector did.

Flow of `shows_changed_since(since)`:
1. `/v1/tickets?user=me&updatedSince=…` (10,000 a page): the changed tickets. When they all fit
   in that first page (every incremental run but the largest), they are kept and grouped by
   show; otherwise only their event dates are read (`fields=eventDate`, pages 2…);
2. `/v1/event_dates?@id=…&fields=@id,ticketing`: the ticketing (show) of each changed date;
3. `/v1/ticketings?@id=…`: title, type, currency, venue country and dates of each show;
4. `/v1/event_dates?@id=…&fields=…ticketPriceList{…}`: start, end and priced categories (with
   their VAT) of every date of those shows;
5. only when step 1 spanned several pages, per show `/v1/tickets?ticketing=…&updatedSince=…`.
`@id` filters carry at most 500 short ids (longer URLs get `414 Request-URI Too Large`), and at
most one page or one show of tickets is in memory at a time.
Requests, with C changed tickets on D dates of N shows having D' dates in all:
- C ≤ 10,000: 1 + ⌈D/500⌉ + ⌈N/500⌉ + ⌈D'/500⌉, i.e. 4 for most runs, 1 when nothing changed;
- otherwise: ⌈C/10,000⌉ + ⌈D/500⌉ + ⌈N/500⌉ + ⌈D'/500⌉ + Σ per show ⌈its changes/10,000⌉
  (a first sync of 200 shows × 10 dates × 150 tickets: 30 + 4 + 1 + 4 + 200 = 239).

Rules: only `payed` tickets count (`refunded`, `cancelled`, `booked` are kept in the ledger as
cancelled); `facialValue` is in cents, and a ticket without one (or a negative one) is worth its
price category's value; VAT rates are fractions, per price category; times without offset are
Paris time. Ticketings that are not dated events (subscriptions, offers) and shows abroad are not
shows to declare and are left out. A date without start is skipped alone, with a warning.
A show priced in another currency than the euro, or with a foreign VAT rate on a price
(`foreignTaxRateOnPrice`), cannot be declared from its tickets: it is returned with its
performances, no tickets and a warning, so the rest of the account still syncs and the user
sees why its figures are missing. An unreadable ticket is skipped and counted in the warnings.
The VAT rate of a performance is left to the ledger, from that performance's own paid tickets:
nothing is carried over from one date to another, unlike the prior connector's map.
"""

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

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
from ticketing.connectors.http import ProviderClient

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
TICKETS_PER_PAGE = 10_000
IDS_PER_REQUEST = 500
FRENCH_COUNTRIES = {None, "", "FR", "CORSE"}  # no country means France for Mapado
COUNTED_STATUS = "payed"
EXCLUDED_STATUSES = {"refunded", "cancelled", "booked"}
SKIPPED_TYPES = {"undated_event", "offer"}  # subscriptions, gift and solidarity offers
TICKET_FIELDS = "@id,status,facialValue,ticketPrice,eventDate,updatedAt,imported"
TICKETING_FIELDS = "@id,type,title,currency,eventDateList,venue{countryCode}"
DATE_FIELDS = (
    "@id,startDate,endDate,startOfEventDay,"
    "ticketPriceList{@id,currency,facialValue,tax{rate,countryCode}}"
)

REFUSED = (
    "Le test de connexion à Mapado a échoué : le jeton d'authentification est refusé. "
    "Vérifiez-le, ou créez-en un nouveau depuis le compte collaborateur en lecture seule "
    "dédié, puis enregistrez-le ici."
)
FORBIDDEN = (
    "Mapado reconnaît le jeton mais refuse l'accès aux billets : donnez au collaborateur "
    "du jeton l'accès en lecture à la billetterie, puis relancez la synchronisation."
)
UNREADABLE = "Mapado a envoyé une réponse illisible : la synchronisation reprendra plus tard."
FOREIGN_VAT = (
    "Un tarif de ce spectacle porte une TVA étrangère : les spectacles en France avec une TVA "
    "étrangère ne sont pas gérés, ses billets n'ont pas été repris. Contactez le support."
)
NOT_EURO = (
    "Ce spectacle est vendu dans une autre monnaie que l'euro : ses billets n'ont pas été "
    "repris. Saisissez ses chiffres à la main."
)
NO_START = "Une séance sans date a été ignorée, avec ses billets."
BAD_START = "Une séance à la date illisible a été ignorée, avec ses billets."


def build(credentials: Credentials, client: ProviderClient, *, provider: str) -> "MapadoConnector":
    return MapadoConnector(credentials.secret_key, client, provider=provider)


@dataclass(frozen=True)
class _Price:
    vat_rate: Decimal
    amount: Decimal  # euros incl. VAT
    currency: str | None
    foreign_vat: bool


@dataclass(frozen=True)
class _Ticketing:
    id: int
    title: str
    currency: str | None
    date_ids: tuple[int, ...]


@dataclass
class _Show:
    """What one show's tickets are read against."""

    performances: list[PerformanceData] = field(default_factory=list)
    date_ids: set[int] = field(default_factory=set)
    skipped_dates: set[int] = field(default_factory=set)
    prices: dict[int, _Price] = field(default_factory=dict)
    unreadable_prices: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


class MapadoConnector:
    def __init__(self, token: str, client: ProviderClient, *, provider: str):
        self.provider = provider
        self._client = client
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/ld+json"}

    def check_credentials(self) -> None:
        self._get("/v1/tickets", {"user": "me", "itemsPerPage": "1", "fields": "@id"})

    def shows_changed_since(
        self, since: datetime, memos: MemoLookup = no_memo
    ) -> Iterator[ShowData]:
        updated_since = since.astimezone(UTC).isoformat(timespec="seconds")
        first_page = self._get("/v1/tickets", self._changes_params(updated_since, TICKET_FIELDS))
        changes = first_page["hydra:member"]
        changed_dates = {_iri_id(t.get("eventDate")) for t in changes if isinstance(t, dict)}
        few = _next_link(first_page) is None
        if not few:
            # Too many changes to hold: only their dates now, each show's tickets later.
            changes = []
            changed_dates |= self._changed_date_ids(updated_since)
        changed_dates.discard(None)
        if not changed_dates:
            return
        show_of_date = self._ticketing_of_dates(changed_dates)
        ticketings = self._ticketings(set(show_of_date.values()))
        dates = self._date_details(
            date_id for ticketing in ticketings for date_id in ticketing.date_ids
        )
        changes_by_show: dict[int, list[dict]] = {}
        for change in changes:
            show_id = show_of_date.get(_iri_id(change.get("eventDate")))
            changes_by_show.setdefault(show_id, []).append(change)
        for ticketing in ticketings:
            show = _show_from_dates(ticketing, dates)
            if not show.performances:
                logger.info("Mapado ticketing %s has no dated performance", ticketing.id)
                continue
            raw_tickets = (
                changes_by_show.get(ticketing.id, [])
                if few
                else self._members("/v1/tickets", self._show_params(ticketing.id, updated_since))
            )
            yield _show_data(ticketing, show, raw_tickets)

    # --- Steps ---------------------------------------------------------------------------------

    @staticmethod
    def _changes_params(updated_since: str, fields: str, page: int = 1) -> dict[str, str]:
        params = {
            "user": "me",
            "updatedSince": updated_since,
            "itemsPerPage": str(TICKETS_PER_PAGE),
            "fields": fields,
        }
        return params | {"page": str(page)} if page > 1 else params

    @staticmethod
    def _show_params(ticketing_id: int, updated_since: str) -> dict[str, str]:
        return {
            "user": "me",
            "ticketing": f"/v1/ticketings/{ticketing_id}",
            "updatedSince": updated_since,
            "itemsPerPage": str(TICKETS_PER_PAGE),
            "fields": TICKET_FIELDS,
        }

    def _changed_date_ids(self, updated_since: str) -> set[int | None]:
        """The dates of the changed tickets from the second page on, asking for nothing else."""
        params = self._changes_params(updated_since, "eventDate", page=2)
        return {_iri_id(ticket.get("eventDate")) for ticket in self._members("/v1/tickets", params)}

    def _ticketing_of_dates(self, date_ids: set[int]) -> dict[int, int]:
        found = {}
        for date in self._members_by_ids("/v1/event_dates", date_ids, "@id,ticketing"):
            date_id, ticketing_id = _iri_id(date.get("@id")), _iri_id(date.get("ticketing"))
            if date_id is not None and ticketing_id is not None:
                found[date_id] = ticketing_id
        return found

    def _ticketings(self, ids: set[int]) -> list[_Ticketing]:
        kept = []
        for raw in self._members_by_ids("/v1/ticketings", ids, TICKETING_FIELDS):
            ticketing = _ticketing(raw)
            if ticketing is not None:
                kept.append(ticketing)
        return sorted(kept, key=lambda t: t.id)

    def _date_details(self, ids: Iterable[int]) -> dict[int, dict]:
        details = {}
        for raw in self._members_by_ids("/v1/event_dates", set(ids), DATE_FIELDS):
            date_id = _iri_id(raw.get("@id"))
            if date_id is not None:
                details[date_id] = raw
        return details

    # --- HTTP ----------------------------------------------------------------------------------

    def _members_by_ids(self, path: str, ids: set[int], fields: str) -> Iterator[dict]:
        for chunk in _chunks(sorted(ids), IDS_PER_REQUEST):
            params = {
                "@id": ",".join(map(str, chunk)),
                "itemsPerPage": str(len(chunk)),
                "fields": fields,
            }
            yield from self._members(path, params)

    def _members(self, path: str, params: dict[str, str]) -> Iterator[dict]:
        """Every member of a collection, page after page (`hydra:nextPage`, or the newer
        `hydra:view` / `hydra:next`)."""
        seen = set()
        body = self._get(path, params)
        while True:
            yield from (m for m in body["hydra:member"] if isinstance(m, dict))
            next_page = _next_link(body)
            if next_page is None or next_page in seen:
                return
            seen.add(next_page)
            body = self._get(next_page)

    def _get(self, path: str, params: dict[str, str] | None = None) -> dict:
        response = self._client.get(path, params=params, headers=self._headers)
        if response.status_code == 401:
            raise PermanentError(REFUSED)
        if response.status_code == 403:
            raise PermanentError(FORBIDDEN)
        if response.status_code >= 400:
            logger.warning("Mapado answered %s on %s", response.status_code, path.split("?")[0])
            raise PermanentError(
                f"Mapado a refusé notre demande (erreur {response.status_code}) : "
                "contactez le support de l'Assistant déclaration."
            )
        try:
            body = response.json()
        except ValueError:
            raise TransientError(UNREADABLE) from None
        if not isinstance(body, dict) or not isinstance(body.get("hydra:member"), list):
            raise TransientError(UNREADABLE)
        return body


# --- Parsing -------------------------------------------------------------------------------------


def _next_link(body: dict) -> str | None:
    view = body.get("hydra:view")
    link = body.get("hydra:nextPage") or (
        view.get("hydra:next") if isinstance(view, dict) else None
    )
    return link if isinstance(link, str) else None


def _show_data(ticketing: _Ticketing, show: _Show, raw_tickets: Iterable[dict]) -> ShowData:
    prices = show.prices.values()
    reason = None
    if ticketing.currency not in (None, "EUR") or any(
        p.currency not in (None, "EUR") for p in prices
    ):
        reason = NOT_EURO
    elif any(p.foreign_vat for p in prices):
        reason = FOREIGN_VAT
    tickets: tuple[TicketData, ...] = ()
    if reason is not None:
        show.warnings.append(reason)  # its tickets are not even fetched
    else:
        tickets = _show_tickets(raw_tickets, show)
    return ShowData(
        external_id=str(ticketing.id),
        name=ticketing.title,
        performances=tuple(sorted(show.performances, key=lambda p: p.starts_at)),
        tickets=tickets,
        warnings=tuple(show.warnings),
    )


def _show_tickets(raw_tickets: Iterable[dict], show: _Show) -> tuple[TicketData, ...]:
    tickets, skipped = [], Counter()
    for raw in raw_tickets:
        ticket = _ticket(raw, show)
        if isinstance(ticket, TicketData):
            tickets.append(ticket)
        elif ticket is not None:
            skipped[ticket] += 1
    show.warnings.extend(
        f"{count} billet{'s' if count > 1 else ''} ignoré{'s' if count > 1 else ''} : {why}."
        for why, count in sorted(skipped.items())
    )
    return tuple(tickets)


def _chunks(items: list[int], size: int) -> Iterator[tuple[int, ...]]:
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


def _iri_id(value: Any) -> int | None:
    """`/v1/event_dates/123` (or an embedded object with that `@id`) → 123."""
    if isinstance(value, dict):
        value = value.get("@id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"(?:/v1/\w+/)?(\d+)", value.strip())
        if match:
            return int(match.group(1))
    return None


def _moment(value: Any) -> datetime | None:
    """ISO 8601; without an offset, Paris time. None when absent; ValueError when unreadable."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(value)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def _ticketing(raw: dict) -> _Ticketing | None:
    ticketing_id = _iri_id(raw.get("@id"))
    kind = raw.get("type")
    if ticketing_id is None or kind in SKIPPED_TYPES:
        return None
    if kind != "dated_events":
        logger.warning("Mapado ticketing %s has an unknown type, skipped", ticketing_id)
        return None
    venue = raw.get("venue")
    country = venue.get("countryCode") if isinstance(venue, dict) else None
    if country not in FRENCH_COUNTRIES:
        return None  # a show abroad owes no French declaration
    dates = raw.get("eventDateList")
    title = raw.get("title")
    return _Ticketing(
        id=ticketing_id,
        title=title.strip()
        if isinstance(title, str) and title.strip()
        else f"Mapado {ticketing_id}",
        currency=raw.get("currency"),
        date_ids=tuple(
            date_id
            for date_id in (_iri_id(d) for d in (dates if isinstance(dates, list) else ()))
            if date_id is not None
        ),
    )


def _show_from_dates(ticketing: _Ticketing, details: dict[int, dict]) -> _Show:
    show = _Show()
    for date_id in ticketing.date_ids:
        raw = details.get(date_id)
        if raw is None:
            continue  # deleted between the two requests
        try:
            starts_at = _moment(raw.get("startDate")) or _moment(raw.get("startOfEventDay"))
            ends_at = _moment(raw.get("endDate"))
        except ValueError:
            show.skipped_dates.add(date_id)
            show.warnings.append(BAD_START)
            continue
        if starts_at is None:
            show.skipped_dates.add(date_id)
            show.warnings.append(NO_START)
            continue
        if ends_at is not None and ends_at < starts_at:
            ends_at = None
        show.performances.append(PerformanceData(str(date_id), starts_at, ends_at))
        show.date_ids.add(date_id)
        for price in raw.get("ticketPriceList") or ():
            _add_price(show, price)
    return show


def _add_price(show: _Show, raw: Any) -> None:
    price_id = _iri_id(raw)
    if price_id is None or not isinstance(raw, dict):
        return
    tax = raw.get("tax")
    try:
        if not isinstance(tax, dict):
            raise ValueError(tax)
        rate = _decimal(tax.get("rate"))
        cents = _decimal(raw.get("facialValue"))
        if not (0 <= rate < 1) or cents < 0:
            raise ValueError(rate)
    except ValueError:
        show.unreadable_prices.add(price_id)
        return
    show.prices[price_id] = _Price(
        vat_rate=rate,
        amount=cents / 100,
        currency=raw.get("currency"),
        foreign_vat=tax.get("countryCode") not in FRENCH_COUNTRIES,
    )


def _ticket(raw: dict, show: _Show) -> TicketData | str | None:
    """The ticket, or why it was skipped (French, for the warnings), or None when it belongs
    to a date already reported as skipped."""
    ticket_id = _iri_id(raw.get("@id"))
    date_id = _iri_id(raw.get("eventDate"))
    status = raw.get("status")
    if ticket_id is None:
        return "identifiant manquant"
    if date_id in show.skipped_dates:
        return None
    if status != COUNTED_STATUS and status not in EXCLUDED_STATUSES:
        return "statut inconnu"
    if date_id not in show.date_ids:
        return "séance inconnue"
    price_id = _iri_id(raw.get("ticketPrice"))
    if price_id is None:
        # Tickets migrated from another software may have no price: nothing tells their VAT.
        return "importé sans tarif" if raw.get("imported") else "tarif manquant"
    price = show.prices.get(price_id)
    if price is None:
        return "tarif illisible" if price_id in show.unreadable_prices else "tarif inconnu"
    try:
        updated_at = _moment(raw.get("updatedAt"))
        facial = raw.get("facialValue")
        cents = None if facial is None else _decimal(facial)
    except ValueError:
        return "donnée illisible"
    if updated_at is None:
        return "date de mise à jour manquante"
    amount = price.amount if cents is None or cents < 0 else cents / 100
    return TicketData(
        external_id=str(ticket_id),
        performance_external_id=str(date_id),
        cancelled=status != COUNTED_STATUS,
        price_incl_vat=amount,
        vat_rate=price.vat_rate,
        updated_at=updated_at,
    )
