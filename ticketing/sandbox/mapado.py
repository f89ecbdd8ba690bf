"""Fake of the Mapado ticketing API (https://ticketing.mapado.net/, API Platform, JSON-LD/Hydra).

What the connector reads, in Mapado's shapes:
- `GET /v1/tickets` (filters `user=me`, `updatedSince`, `ticketing`, `eventDate`),
- `GET /v1/event_dates` and `GET /v1/ticketings` (filter `@id` = comma-separated short ids or IRIs),
each an `hydra:PagedCollection` (`itemsPerPage`, `page`, `hydra:nextPage` while pages remain) whose
members honour the sparse `fields=` selection (nested with braces: `venue{countryCode}`). A
relation asked for without braces is its IRI. Auth: `Authorization: Bearer <app token>`; a missing
or unknown token gets the OAuth server's 401 body. Over-long URLs get nginx's 414 page.

The data set maps as: show → ticketing (`dated_events`, EUR, venue in France), performance →
event date with one ticket price per category (VAT as a fraction, `facialValue` in cents),
ticket → ticket (`payed`, or `refunded`/`cancelled` for refunds; some paid tickets carry a null
`facialValue`, meaning "the price's value", as real exports do). Mapado documents no rate limit:
none is enforced here. It has no firewall page either, so Fault.FIREWALL changes nothing.

Tests change individual resources with `account.state["overrides"]`: IRI → fields replaced in
that resource (`{"/v1/ticketings/1000": {"currency": "CHF"}}`).
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

from ticketing.connectors.base import Credentials
from ticketing.sandbox import accounts, faults
from ticketing.sandbox.accounts import SandboxAccount
from ticketing.sandbox.dataset import FakePerformance, FakeShow, FakeTicket
from ticketing.sandbox.faults import Fault

SERVICE = "mapado"
PROVIDER = "mapado"
PARIS = ZoneInfo("Europe/Paris")
DEFAULT_ITEMS_PER_PAGE = 30
MAX_URI_LENGTH = 8190  # nginx's default large_client_header_buffers
DEMO_CREDENTIALS = Credentials(
    access_key="",
    secret_key="ZGVtby1tYXBhZG8tc2FuZGJveC1hcHAtdG9rZW4tbm90LWEtcmVhbC1vbmU5ZjNhMmMxYg",
)
URI_TOO_LONG_PAGE = """<html>
<head><title>414 Request-URI Too Large</title></head>
<body>
<center><h1>414 Request-URI Too Large</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""
# A `fields` selection: name → nested selection (None = the value itself, or a relation's IRI).
Selection = dict[str, "Selection | None"]


def handle(request: httpx.Request, path: str) -> httpx.Response:
    if len(request.url.raw_path) > MAX_URI_LENGTH:
        return httpx.Response(414, headers={"Content-Type": "text/html"}, text=URI_TOO_LONG_PAGE)
    collection = _collections().get(path.rstrip("/"))
    if collection is None:
        return _hydra_error(404, "Not Found")
    if request.method != "GET":
        return _hydra_error(405, "Method Not Allowed")
    fault = faults.active(SERVICE)
    if fault is Fault.CREDENTIALS_REFUSED:
        return _oauth_error("invalid_grant", "The access token provided has expired.")
    account, refusal = _account(request)
    if account is None:
        return refusal

    def normal() -> httpx.Response:
        return _collection(request, path, account, collection, fault)

    if fault is not None and fault not in (Fault.FIREWALL, Fault.MALFORMED_RECORD):
        return faults.fault_response(fault, request, error=_status_error, normal=normal)
    return normal()


def _account(request: httpx.Request) -> tuple[SandboxAccount | None, httpx.Response | None]:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, _oauth_error("access_denied", "OAuth2 authentication required")
    account = accounts.find_by_secret(PROVIDER, token.strip())
    if account is None:
        return None, _oauth_error("invalid_grant", "The access token provided is invalid.")
    return account, None


def _oauth_error(code: str, description: str) -> httpx.Response:
    return httpx.Response(
        401,
        headers={
            "WWW-Authenticate": (
                f'Bearer realm="Service", error="{code}", error_description="{description}"'
            ),
            "Cache-Control": "no-store",
        },
        json={"error": code, "error_description": description},
    )


def _hydra_error(status: int, description: str) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"Content-Type": "application/ld+json; charset=utf-8"},
        json={
            "@context": "/v1/contexts/Error",
            "@type": "hydra:Error",
            "hydra:title": "An error occurred",
            "hydra:description": description,
        },
    )


def _status_error(status: int, _message: str) -> httpx.Response:
    # API Platform answers in English, with the HTTP reason phrase.
    return _hydra_error(status, httpx.codes.get_reason_phrase(status))


# --- Collections ---------------------------------------------------------------------------------


def _collection(
    request: httpx.Request,
    path: str,
    account: SandboxAccount,
    collection: "Collection",
    fault: Fault | None,
) -> httpx.Response:
    params = request.url.params
    try:
        page = _positive(params, "page", 1)
        per_page = _positive(params, "itemsPerPage", DEFAULT_ITEMS_PER_PAGE)
        selection = parse_fields(params.get("fields"))
        everything = list(collection.select(account, params))
    except ValueError as error:
        return _hydra_error(400, str(error))
    start = (page - 1) * per_page
    overrides = account.state.get("overrides", {})
    rendered = [
        _render(_override(collection.resource(item), overrides), selection, overrides)
        for item in everything[start : start + per_page]
    ]
    if (
        fault is Fault.MALFORMED_RECORD
        and rendered
        and page == 1
        and path.startswith("/v1/tickets")
    ):
        rendered[0] = _broken(rendered[0])
    last_page = max(1, -(-len(everything) // per_page))
    body = {
        "@context": f"/v1/contexts/{collection.type}",
        "@id": path.rstrip("/"),
        "@type": "hydra:PagedCollection",
        "hydra:totalItems": len(everything),
        "hydra:itemsPerPage": per_page,
        "hydra:firstPage": _page_link(path, params, 1),
        "hydra:lastPage": _page_link(path, params, last_page),
        "hydra:member": rendered,
    }
    if page < last_page:
        body["hydra:nextPage"] = _page_link(path, params, page + 1)
    if page > 1:
        body["hydra:previousPage"] = _page_link(path, params, page - 1)
    return httpx.Response(
        200, headers={"Content-Type": "application/ld+json; charset=utf-8"}, json=body
    )


def _broken(member: dict) -> dict:
    """One unreadable record: an enum value the client does not know."""
    return {**member, "status": "unknown_status_2026"}


def _positive(params: httpx.QueryParams, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f'Le paramètre "{name}" doit être un entier positif.')
    return int(raw)


def _page_link(path: str, params: httpx.QueryParams, page: int) -> str:
    query = [(key, value) for key, value in params.multi_items() if key != "page"]
    return f"{path.rstrip('/')}?{urlencode([*query, ('page', str(page))])}"


def _ids(params: httpx.QueryParams) -> set[int] | None:
    """The `@id` filter: short ids or IRIs, comma-separated."""
    raw = params.get("@id")
    if raw is None:
        return None
    ids = set()
    for part in filter(None, (p.strip() for p in raw.split(","))):
        match = re.fullmatch(r"(?:/v1/\w+/)?(\d+)", part)
        if match is None:
            raise ValueError(f'Identifiant invalide dans le filtre "@id" : {part}')
        ids.add(int(match.group(1)))
    return ids


def _id_param(params: httpx.QueryParams, name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    match = re.fullmatch(r"(?:/v1/\w+/)?(\d+)", raw.strip())
    if match is None:
        raise ValueError(f'Valeur invalide pour le filtre "{name}".')
    return int(match.group(1))


def _tickets(account: SandboxAccount, params: httpx.QueryParams) -> Iterable[FakeTicket]:
    since = _since(params.get("updatedSince"))
    ticketing = _id_param(params, "ticketing")
    event_date = _id_param(params, "eventDate")
    tickets = account.dataset.tickets  # generated in id order, changed in place
    if ticketing is not None:
        tickets = [tickets[index] for index in _ticket_indexes(account).get(ticketing, ())]
    for ticket in tickets:
        if since is not None and ticket.updated_at < since:
            continue
        if ticketing is not None and ticket.show_id != ticketing:
            continue
        if event_date is not None and ticket.performance_id != event_date:
            continue
        yield ticket


def _ticket_indexes(account: SandboxAccount) -> dict[int, list[int]]:
    """Show id → positions of its tickets, so a show's listing does not scan the account.
    `touch()` changes tickets in place, so positions stay valid while the count does."""
    tickets = account.dataset.tickets
    cached = account.state.get("mapado_ticket_indexes")
    if cached is None or cached[0] != len(tickets):
        indexes: dict[int, list[int]] = {}
        for index, ticket in enumerate(tickets):
            indexes.setdefault(ticket.show_id, []).append(index)
        cached = (len(tickets), indexes)
        account.state["mapado_ticket_indexes"] = cached
    return cached[1]


def _since(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError('Le filtre "updatedSince" attend une date ISO 8601.') from None
    return value if value.tzinfo else value.replace(tzinfo=PARIS)


def _event_dates(
    account: SandboxAccount, params: httpx.QueryParams
) -> Iterable[tuple[FakeShow, FakePerformance]]:
    ids = _ids(params)
    ticketing = _id_param(params, "ticketing")
    for show in account.dataset.shows:
        if ticketing is not None and show.id != ticketing:
            continue
        for performance in show.performances:
            if ids is None or performance.id in ids:
                yield show, performance


def _ticketings(account: SandboxAccount, params: httpx.QueryParams) -> Iterable[FakeShow]:
    ids = _ids(params)
    for show in account.dataset.shows:
        if ids is None or show.id in ids:
            yield show


# --- Resources -----------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(PARIS).isoformat(timespec="seconds")


def _ticketing(show: FakeShow) -> dict:
    # Venues in France: mostly "FR", a few in Corsica, some with no country (Mapado: France).
    country = ("FR", "FR", "CORSE", None)[show.id % 4]
    return {
        "@id": f"/v1/ticketings/{show.id}",
        "@type": "Ticketing",
        "title": show.name,
        "type": "dated_events",
        "currency": "EUR",
        "createdAt": _iso(show.created_at),
        "eventDateList": [_event_date(show, p) for p in show.performances],
        "venue": {
            "@id": f"/v1/venues/{show.id}",
            "@type": "Venue",
            "name": "Salle des fêtes",
            "countryCode": country,
        },
    }


def _event_date(show: FakeShow, performance: FakePerformance) -> dict:
    day_start = performance.starts_at.astimezone(PARIS).replace(hour=0, minute=0, second=0)
    return {
        "@id": f"/v1/event_dates/{performance.id}",
        "@type": "EventDate",
        "startDate": _iso(performance.starts_at),
        "endDate": _iso(performance.ends_at),
        "startOfEventDay": _iso(day_start),
        "ticketing": {"@id": f"/v1/ticketings/{show.id}", "@type": "Ticketing"},
        "ticketPriceList": [_ticket_price(performance, category) for category in show.categories],
    }


def _price_id(performance_id: int, category_id: int) -> int:
    return performance_id * 10 + category_id % 100


def _ticket_price(performance: FakePerformance, category) -> dict:
    price_id = _price_id(performance.id, category.id)
    cents = int(category.price * 100)
    free = category.price == 0
    return {
        "@id": f"/v1/ticket_prices/{price_id}",
        "@type": "TicketPrice",
        "id": price_id,
        "type": "exempted" if free else ("reduced" if "réduit" in category.name else "full_price"),
        "name": category.name,
        "description": None,
        "currency": "EUR",
        "facialValue": cents,
        "valueIncvat": float(category.price),
        "tax": {
            "@id": f"/v1/taxes/{_tax_id(category.vat_rate)}",
            "@type": "Tax",
            "rate": float(category.vat_rate),
            # Mapado leaves the country empty on some French rates.
            "countryCode": "" if category.vat_rate == Decimal("0.021") else "FR",
        },
    }


def _tax_id(rate: Decimal) -> int:
    return int(rate * 1000) + 1


def _ticket(ticket: FakeTicket) -> dict:
    status = "payed"
    if ticket.refunded:
        status = "refunded" if ticket.id % 2 else "cancelled"
    # Some paid tickets carry no facial value of their own: the price's value applies.
    facial = None if ticket.price and ticket.id % 23 == 0 else int(ticket.price * 100)
    return {
        "@id": f"/v1/tickets/{ticket.id}",
        "@type": "Ticket",
        "status": status,
        "facialValue": facial,
        "currency": "EUR",
        "ticketPrice": {
            "@id": f"/v1/ticket_prices/{_price_id(ticket.performance_id, ticket.category_id)}",
            "@type": "TicketPrice",
        },
        "eventDate": {"@id": f"/v1/event_dates/{ticket.performance_id}", "@type": "EventDate"},
        "ticketing": {"@id": f"/v1/ticketings/{ticket.show_id}", "@type": "Ticketing"},
        "createdAt": _iso(ticket.created_at),
        "updatedAt": _iso(ticket.updated_at),
        "isValid": not ticket.refunded,
        "imported": False,
    }


@dataclass(frozen=True)
class Collection:
    type: str
    select: Callable[[SandboxAccount, httpx.QueryParams], Iterable]
    resource: Callable[[object], dict]  # rendered only for the page served


def _collections() -> dict[str, Collection]:
    return {
        "/v1/tickets": Collection("Ticket", _tickets, _ticket),
        "/v1/event_dates": Collection("EventDate", _event_dates, lambda pair: _event_date(*pair)),
        "/v1/ticketings": Collection("Ticketing", _ticketings, _ticketing),
    }


# --- Sparse fields -------------------------------------------------------------------------------


def parse_fields(raw: str | None) -> Selection | None:
    """`a,b{c,d{e}}` → {"a": None, "b": {"c": None, "d": {"e": None}}}; None = everything."""
    if raw is None or not raw.strip():
        return None
    selection, position = _parse_selection(raw, 0)
    if position != len(raw):
        raise ValueError('Le paramètre "fields" est mal formé.')
    return selection


def _parse_selection(raw: str, position: int) -> tuple[Selection, int]:
    selection: Selection = {}
    name = ""
    while position < len(raw):
        char = raw[position]
        if char == "{":
            if not name.strip():
                raise ValueError('Le paramètre "fields" est mal formé.')
            nested, position = _parse_selection(raw, position + 1)
            if position >= len(raw) or raw[position] != "}":
                raise ValueError('Le paramètre "fields" est mal formé.')
            selection[name.strip()] = nested
            name = ""
        elif char == "}":
            break
        elif char == ",":
            if name.strip():
                selection[name.strip()] = None
            name = ""
        else:
            name += char
        position += 1
    if name.strip():
        selection[name.strip()] = None
    return selection, position


def _override(resource: dict, overrides: dict) -> dict:
    replaced = overrides.get(resource.get("@id"))
    return {**resource, **replaced} if replaced else resource


def _render(resource: dict, selection: Selection | None, overrides: dict) -> dict:
    """The resource restricted to `selection`; `@id` and `@type` always come along."""
    keep = resource.keys() if selection is None else selection.keys()
    out = {key: resource[key] for key in ("@id", "@type") if key in resource}
    for key in keep:
        if key in resource:
            nested = None if selection is None else selection[key]
            out[key] = _value(resource[key], nested, overrides)
    return out


def _value(value, selection: Selection | None, overrides: dict):
    if isinstance(value, list):
        return [_value(item, selection, overrides) for item in value]
    if isinstance(value, dict) and "@id" in value:
        if selection is None:
            return value["@id"]
        return _render(_override(value, overrides), selection, overrides)
    return value
