"""Billetweb connector, in ticket-ledger mode.

Billetweb lists, account-wide, every attendee (ticket) updated since a date:
`GET /attendees?last_update=<unix>`. That is exactly a ticket change feed, so this connector
reports ticket changes (`ShowData.tickets`) and lets the sync engine's ledger recompute the
performances: an incremental run downloads only the tickets that changed, never a whole show
again (the prior connector re-read `/event/<id>/attendees` for every touched show).

Requests: 1 (`/attendees`) when nothing changed, else 2 + 2 × changed shows at most:
`/events?past=1` once (Billetweb has no event-by-id endpoint), then per changed show
`/event/<id>/tickets` (VAT and commission of each price category) and, for an event with
several dates, `/event/<id>/dates?past=1`. An event with a single date has no session: its one
performance is the synthetic `fallback_<eventId>_0`, which attendees reach with
`order_session` "0".

Those per-show reads are remembered (`ShowData.memo`, stored by the engine with the show): a
later run reuses them while they are under 12 hours old, the event's listed fields (name,
start, end, single/multiple, VAT rate) are unchanged and every changed ticket names a known
date and category; so a run soon after another costs 2 requests whatever the number of changed
shows. A ticket naming an unknown date or category has the show's metadata read again.

Rules: a disabled attendee is refunded (kept in the ledger as cancelled); the commission of the
category is deducted only from tickets sold online (`order_payment_type` "web"), floored at 0;
a (net) price of 0 is a free ticket; VAT is the category's `tax` (a percent; "" means the
event's `tax_rate`). Prices are euros, read as Decimal (JSON numbers included). Times are naive
Europe/Paris strings, "0000-00-00 00:00:00" meaning none.

Memory: the attendees listing of a large account is big and Billetweb does not paginate it. It
is read as a stream of JSON values (a small incremental parser over the body's byte chunks),
never as one decoded document; each attendee is reduced at once to a compact tuple of the seven
fields we use (repeated values shared), grouped by event; full `TicketData` objects exist for
one show at a time. Responses are streamed (`ProviderClient.get(..., stream=True)`), so the raw
body is never held whole either.

An unreadable record (attendee, session, category) is skipped and counted in the show's
warnings; a session without a start date is skipped alone.
"""

import codecs
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
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
    memo_fresh,
    memo_new,
    no_memo,
)
from ticketing.connectors.http import ProviderClient

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
NO_DATE = "0000-00-00 00:00:00"
SINGLE_SESSION = "0"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
CHUNK_SIZE = 64 * 1024
MEMO_VERSION = 1

FIREWALL = (
    "Billetweb rejette nos requêtes pour le moment (pare-feu ou limite de requêtes) : "
    "la synchronisation reprendra d'elle-même dans quelques minutes."
)
MISSING_RIGHTS = (
    "Votre clé d'API Billetweb est restreinte à certains événements. Dans Billetweb, réglez "
    "les droits de la clé sur « Tous sélectionnés », puis relancez la synchronisation."
)
REFUSED = (
    "Billetweb refuse ces identifiants. Vérifiez l'identifiant utilisateur et la clé d'API "
    "indiqués dans votre compte Billetweb, puis enregistrez-les à nouveau."
)
UNREADABLE = "Billetweb a envoyé une réponse illisible : la synchronisation reprendra plus tard."
UNEXPECTED = (
    "Billetweb a répondu par une erreur inattendue : la synchronisation reprendra plus tard."
)
REQUEST_REFUSED = (
    "Billetweb a refusé notre requête (erreur {status}). Si cela persiste, contactez le support."
)


def build(credentials: Credentials, client: ProviderClient, *, provider: str) -> "Billetweb":
    return Billetweb(credentials, client, provider=provider)


class _Unreadable(Exception):
    """A value or a document that cannot be read; the message (French) says what."""


class _Unknown(_Unreadable):
    """A ticket naming a session or category the show's metadata does not have."""


@dataclass(frozen=True)
class _Category:
    vat_rate: Decimal  # fraction
    commission: Decimal  # euros, taken on online sales


class Billetweb:
    def __init__(self, credentials: Credentials, client: ProviderClient, *, provider: str):
        self.provider = provider
        self._client = client
        self._auth = {
            "user": credentials.access_key.strip(),
            "key": credentials.secret_key.strip(),
            "version": "1",
        }

    def check_credentials(self) -> None:
        # The cheapest account-wide call; it is also the one a restricted key is refused.
        response = self._get("attendees", last_update=str(int(time.time())))
        for _ in self._array(response):
            pass

    def shows_changed_since(
        self, since: datetime, memos: MemoLookup = no_memo
    ) -> Iterator[ShowData]:
        changed = self._changed_attendees(since)
        if not changed:
            return
        events = self._events()
        for event_id in sorted(changed, key=_id_order):
            attendees = changed.pop(event_id)  # free each show's tickets once yielded
            event = events.get(event_id)
            if event is None:
                logger.warning("Billetweb event %s has changed tickets but is not listed", event_id)
                continue
            show = self._show(event_id, event, attendees, _usable_memo(memos(event_id), event))
            if show is not None:
                yield show

    # --- Listings -------------------------------------------------------------------------------

    def _changed_attendees(self, since: datetime) -> dict[str, list[tuple]]:
        """The compact attendees updated since `since`, grouped by event id."""
        response = self._get("attendees", last_update=str(int(since.timestamp())))
        groups: dict[str, list[tuple]] = {}
        shared: dict[tuple[type, Any], Any] = {}
        for record in self._array(response):
            event_id = _identifier(record.get("event")) if isinstance(record, dict) else None
            if event_id is None:
                logger.warning("Billetweb attendee without a readable event skipped")
                continue
            groups.setdefault(event_id, []).append(_compact(record, shared))
        return groups

    def _events(self) -> dict[str, dict]:
        events = {}
        for record in self._array(self._get("events", past="1")):
            event_id = _identifier(record.get("id")) if isinstance(record, dict) else None
            if event_id is not None:
                events[event_id] = record
        return events

    def _show(
        self, event_id: str, event: dict, attendees: list[tuple], memo: dict | None
    ) -> ShowData | None:
        """The show with its changed tickets. Its dates and price categories come from `memo`
        when it is usable and knows every session and category those tickets name; otherwise
        they are read again (and remembered for the next runs)."""
        metadata = memo if memo is not None else self._metadata(event_id, event)
        if metadata is None:
            return None
        show, all_known = _show_from(event_id, event, attendees, metadata)
        if memo is not None and not all_known:  # a date or category added since the memo
            metadata = self._metadata(event_id, event)
            if metadata is None:
                return None
            show, _ = _show_from(event_id, event, attendees, metadata)
        return show if metadata is memo else replace(show, memo=metadata)

    def _metadata(self, event_id: str, event: dict) -> dict | None:
        """The memo of the event: its sessions' and categories' fields we use, as JSON, with
        the event fields they depend on and the time they were read. None: the event is gone."""
        try:
            multiple = _boolean(event.get("multiple"))
        except _Unreadable:
            multiple = None  # ask for the dates: an event with one date has none
        dates: list = []
        if multiple is not False:
            response = self._get(f"event/{event_id}/dates", missing_ok=True, past="1")
            if response is None:
                return None
            dates = [_kept(record, ("id", "start", "end")) for record in self._array(response)]
        response = self._get(f"event/{event_id}/tickets", missing_ok=True)
        if response is None:
            return None
        categories = [
            _kept(record, ("id", "tax", "commission")) for record in self._array(response)
        ]
        return memo_new(MEMO_VERSION, event=_event_key(event), dates=dates, categories=categories)

    # --- HTTP -----------------------------------------------------------------------------------

    def _get(self, path: str, *, missing_ok: bool = False, **params: str) -> httpx.Response | None:
        """Streamed: `_array` reads the body chunk by chunk and closes it."""
        response = self._client.get(path, params={**self._auth, **params}, stream=True)
        if response.is_success:
            return response
        response.read()
        if missing_ok and response.status_code == 404:
            logger.warning("Billetweb answered 404 for %s", path.split("?")[0])
            return None
        text = response.text
        retry_after = _retry_after(response)
        if "cdn-cgi/challenge-platform" in text or "rate_limiting" in text:
            raise TransientError(FIREWALL, retry_after=retry_after)
        if response.status_code in (401, 403):
            _raise_for_error(_json_object(text) or {"error": "unauthorized"})
        if response.is_server_error:
            raise TransientError(UNEXPECTED, retry_after=retry_after)
        raise PermanentError(REQUEST_REFUSED.format(status=response.status_code))

    def _array(self, response: httpx.Response) -> Iterator[Any]:
        """The values of the JSON array `response` holds; an error object is raised as such."""
        try:
            yield from iter_json_array(response.iter_bytes(CHUNK_SIZE))
        except _ErrorObject as error:
            _raise_for_error(error.value)
        except _Unreadable:
            raise TransientError(UNREADABLE) from None
        except httpx.TransportError:
            raise TransientError(UNEXPECTED) from None
        finally:
            response.close()


def _raise_for_error(payload: Any) -> None:
    error = payload.get("error") if isinstance(payload, dict) else None
    description = str(payload.get("description", "")) if isinstance(payload, dict) else ""
    if error == "rate_limiting":
        raise TransientError(FIREWALL)
    if "limited rights" in description:
        raise PermanentError(MISSING_RIGHTS)
    if error == "unauthorized":
        raise PermanentError(REFUSED)
    raise TransientError(UNEXPECTED)


def _json_object(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


# --- Shows from their metadata ------------------------------------------------------------------


def _show_from(
    event_id: str, event: dict, attendees: list[tuple], metadata: dict
) -> tuple[ShowData, bool]:
    """The show, and whether every attendee named a known session and category."""
    warnings: list[str] = []
    name = event.get("name")
    if not isinstance(name, str) or not name.strip():
        name = f"Événement Billetweb {event_id}"
    try:
        event_rate = _percent(event.get("tax_rate"))
    except _Unreadable:
        event_rate = None
        warnings.append("Taux de TVA de l'événement illisible.")
    performances, session_ids = _sessions(event_id, event, metadata["dates"], warnings)
    categories = _categories(metadata["categories"], event_rate, warnings)
    tickets, skipped, all_known = [], Counter(), True
    sales: dict[int, _Sale | _Unreadable] = {}
    for raw in attendees:
        try:
            tickets.append(_ticket(raw, sales, session_ids, categories))
        except _Unknown as reason:
            all_known = False
            skipped[str(reason)] += 1
        except _Unreadable as reason:
            skipped[str(reason)] += 1
    warnings.extend(_skipped_message(count, reason) for reason, count in skipped.items())
    show = ShowData(
        external_id=event_id,
        name=name.strip(),
        performances=tuple(performances),
        tickets=tuple(tickets),
        warnings=tuple(warnings),
    )
    return show, all_known


def _sessions(
    event_id: str, event: dict, dates: list, warnings: list[str]
) -> tuple[list[PerformanceData], dict[str, str]]:
    """The performances and, per `order_session`, the performance it sells."""
    try:
        multiple = _boolean(event.get("multiple"))
    except _Unreadable:
        multiple = None
    if not dates and not multiple:
        return _single_session(event_id, event, warnings)
    performances, session_ids = [], {}
    for record in dates:
        performance = _performance(record, warnings)
        if performance is not None and performance.external_id not in session_ids:
            performances.append(performance)
            session_ids[performance.external_id] = performance.external_id
    return performances, session_ids


def _single_session(
    event_id: str, event: dict, warnings: list[str]
) -> tuple[list[PerformanceData], dict[str, str]]:
    """An event with one date has no session: its performance is `fallback_<id>_0`."""
    external_id = f"fallback_{event_id}_0"
    try:
        starts_at = _paris(event.get("start"))
        ends_at = _paris(event.get("end"))
    except _Unreadable:
        starts_at = ends_at = None
    if starts_at is None:
        warnings.append("Représentation sans date de début : ignorée.")
        return [], {}
    return [PerformanceData(external_id, starts_at, ends_at)], {SINGLE_SESSION: external_id}


def _categories(
    records: list, event_rate: Decimal | None, warnings: list[str]
) -> dict[str, _Category]:
    categories = {}
    for record in records:
        category_id = _identifier(record.get("id")) if isinstance(record, dict) else None
        try:
            if category_id is None:
                raise _Unreadable("identifiant manquant")
            categories[category_id] = _category(record, event_rate)
        except _Unreadable:
            warnings.append(f"Tarif {category_id or '?'} illisible : ses billets sont ignorés.")
    return categories


def _usable_memo(memo: dict | None, event: dict) -> dict | None:
    """The memo, unless it is too old, of another format, or read when the event (name, dates,
    single or multiple, VAT rate) was different."""
    memo = memo_fresh(memo, MEMO_VERSION)
    return memo if memo is not None and memo.get("event") == _event_key(event) else None


def _event_key(event: dict) -> list:
    return [_jsonable(event.get(name)) for name in ("name", "start", "end", "multiple", "tax_rate")]


def _kept(record: Any, names: tuple[str, ...]) -> Any:
    """The fields we use of a record, as JSON (an unreadable record is kept as is, as JSON)."""
    if not isinstance(record, dict):
        return _jsonable(record)
    return {name: _jsonable(record[name]) for name in names if name in record}


def _jsonable(value: Any) -> Any:
    """Billetweb's JSON numbers are read as Decimal; the memo keeps them as strings, which every
    reader here accepts as well."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


# --- Records ------------------------------------------------------------------------------------


def _compact(record: dict, shared: dict) -> tuple:
    """(id, sale fields, last update) of an attendee, nothing personal. The sale fields (session, category, price,
    status, payment) repeat across an account's tickets: equal ones are one shared tuple, which
    keeps a large listing small in memory and lets a show read each combination once."""
    get = record.get
    sale = (
        get("order_session"),
        get("ticket_id"),
        get("price"),
        get("disabled"),
        get("order_payment_type"),
    )
    # Types are part of the key: 1, True and Decimal(1) are equal but do not read the same.
    try:  # noqa: SIM105 - per attendee, a try costs nothing where suppress() builds an object
        sale = shared.setdefault((sale, tuple(map(type, sale))), sale)
    except TypeError:  # an unhashable (so unreadable) value: kept as is, for the warning
        pass
    return get("id"), sale, get("last_update")


@dataclass(frozen=True, slots=True)
class _Sale:
    performance: str
    price_incl_vat: Decimal  # net of the commission
    vat_rate: Decimal
    cancelled: bool


def _ticket(
    raw: tuple,
    sales: dict[int, _Sale | _Unreadable],
    session_ids: dict[str, str],
    categories: dict[str, _Category],
) -> TicketData:
    """The ticket of a compact attendee; `sales` keeps what each shared sale tuple reads as
    (by identity: a show's attendees share a few hundred of them)."""
    attendee_id, fields, last_update = raw
    external_id = _identifier(attendee_id)
    if external_id is None:
        raise _Unreadable("identifiant manquant")
    sale = sales.get(id(fields))
    if sale is None:
        try:
            sale = _sale(fields, session_ids, categories)
        except _Unreadable as reason:
            sale = reason
        sales[id(fields)] = sale
    if isinstance(sale, _Unreadable):
        raise type(sale)(*sale.args)  # a new one: raising the same one grows its traceback
    updated_at = _paris(last_update, "date de mise à jour illisible")
    if updated_at is None:
        raise _Unreadable("date de mise à jour manquante")
    return TicketData(
        external_id=external_id,
        performance_external_id=sale.performance,
        cancelled=sale.cancelled,
        price_incl_vat=sale.price_incl_vat,
        vat_rate=sale.vat_rate,
        updated_at=updated_at,
    )


def _sale(fields: tuple, session_ids: dict[str, str], categories: dict[str, _Category]) -> _Sale:
    session, category_id, price, disabled, payment = fields
    performance = session_ids.get(_identifier(session) or "")
    if performance is None:
        raise _Unknown("représentation inconnue ou ignorée")
    category = categories.get(_identifier(category_id) or "")
    if category is None:
        raise _Unknown("tarif inconnu ou illisible")
    amount = _amount(price, "prix illisible")
    cancelled = _boolean(disabled, "statut illisible")
    if payment == "web":  # sold online: Billetweb kept its commission
        amount = max(Decimal(0), amount - category.commission)
    return _Sale(performance, amount, category.vat_rate, cancelled)


def _performance(record: Any, warnings: list[str]) -> PerformanceData | None:
    date_id = _identifier(record.get("id")) if isinstance(record, dict) else None
    if date_id is None:
        warnings.append("Une représentation sans identifiant a été ignorée.")
        return None
    try:
        starts_at = _paris(record.get("start"))
    except _Unreadable:
        starts_at = None
    if starts_at is None:
        warnings.append(f"Représentation {date_id} sans date de début : ignorée.")
        return None
    try:
        ends_at = _paris(record.get("end"))
    except _Unreadable:
        ends_at = None
    return PerformanceData(date_id, starts_at, ends_at)


def _category(record: dict, event_rate: Decimal | None) -> _Category:
    rate = _percent(record.get("tax"))
    if rate is None:
        rate = event_rate
    if rate is None:
        raise _Unreadable("taux de TVA manquant")
    commission = record.get("commission")
    if commission in (False, None, ""):
        commission = Decimal(0)
    return _Category(vat_rate=rate, commission=_amount(commission, "commission illisible"))


# --- Values -------------------------------------------------------------------------------------


def _identifier(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text or None


def _id_order(identifier: str) -> tuple[int, int | str]:
    return (0, int(identifier)) if identifier.isdigit() else (1, identifier)


def _amount(value: Any, problem: str = "montant illisible") -> Decimal:
    """Euros from a JSON number (already a Decimal or int) or a numeric string."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise _Unreadable(problem)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Unreadable(problem) from None
    if not amount.is_finite() or amount < 0:
        raise _Unreadable(problem)
    return amount


def _percent(value: Any) -> Decimal | None:
    """A Billetweb VAT percent (5.5) as a fraction (0.055); None when not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    rate = _amount(value, "taux de TVA illisible") / 100
    if rate >= 1:
        raise _Unreadable("taux de TVA illisible")
    return rate


_TRUE = {"1", "true"}
_FALSE = {"0", "false"}


def _boolean(value: Any, problem: str = "booléen illisible") -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Unreadable(problem)


def _paris(value: Any, problem: str = "date illisible") -> datetime | None:
    """A naive Europe/Paris "YYYY-MM-DD HH:MM:SS" as an aware datetime; None for no date."""
    if value is None or value == NO_DATE or value == "":
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _Unreadable(problem)
    try:
        return datetime.fromisoformat(value).replace(tzinfo=PARIS)
    except ValueError:
        raise _Unreadable(problem) from None


def _skipped_message(count: int, reason: str) -> str:
    plural = "s" if count > 1 else ""
    return f"{count} billet{plural} ignoré{plural} : {reason}."


# --- Streaming JSON -----------------------------------------------------------------------------


class _ErrorObject(Exception):
    """The document is a JSON object where an array was expected: Billetweb's error answer."""

    def __init__(self, value: Any):
        super().__init__("error object")
        self.value = value


_DECODER = json.JSONDecoder(parse_float=Decimal)
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _Reader:
    """Text decoded from byte chunks on demand; `pos` is the next unread character."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = iter(chunks)
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.buffer = ""
        self.pos = 0
        self.done = False

    def fill(self) -> bool:
        """Appends the next chunk; False at the end of the input."""
        if self.done:
            return False
        chunk = next(self._chunks, None)
        try:
            text = self._decoder.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError:
            raise _Unreadable("encodage invalide") from None
        self.buffer = self.buffer[self.pos :] + text
        self.pos = 0
        self.done = chunk is None
        return True

    def peek(self) -> str:
        """The next non-blank character, "" at the end of the input."""
        while True:
            self.pos = _WHITESPACE.match(self.buffer, self.pos).end()
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self.fill():
                return ""

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError:
                if self.fill():
                    continue  # most likely cut by the chunk boundary
                raise _Unreadable("JSON invalide") from None
            cut = end == len(self.buffer) and not isinstance(value, (dict, list))
            if cut and self.fill():
                continue  # a number or literal may go on in the next chunk
            self.pos = end
            return value


def iter_json_array(chunks: Iterable[bytes]) -> Iterator[Any]:
    """The values of a top-level JSON array, read incrementally from `chunks`. Raises
    `_ErrorObject` when the document is an object, `_Unreadable` when it is not valid JSON
    (a truncated body included: the error comes before the end, never silently)."""
    reader = _Reader(chunks)
    first = reader.peek()
    if first == "{":
        raise _ErrorObject(reader.value())
    if first != "[":
        raise _Unreadable("tableau JSON attendu")
    reader.pos += 1
    if reader.peek() == "]":
        reader.pos += 1
    else:
        while True:
            yield reader.value()
            separator = reader.peek()
            reader.pos += 1
            if separator == "]":
                break
            if separator != ",":
                raise _Unreadable("JSON invalide")
    if reader.peek() != "":
        raise _Unreadable("JSON invalide")
