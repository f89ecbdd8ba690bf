"""Fake of Shotgun's smartboard API (`https://smartboard-api.shotgun.live/api/shotgun`).

Shotgun's documentation is private: this follows what the prior service relied on (reference
notes §2.5).

- Credentials in the query string: `organizer_id` and the API token, as `key` for tokens issued
  since 2025-07-01 (JWT `iat`) or as `token` for older ones; anything else is answered 401.
- `GET /tickets/sold?after=&before=&event_id=`: the tickets updated strictly between `after` and
  `before` (of one event with `event_id`), in ticket id order, 50 per page. With `cursor`
  (`true`, then the last ticket id) the pagination is `{"next": <url> | null}`; without it, pages
  are numbered from 1 (`page`) and it also gives `totalResults` and `totalPages`.
- `GET /organizers/<organizer_id>/events?page=<from 0>&limit=<≤ 100>[&past_events=…]`: upcoming
  events, or past ones whenever `past_events` is present (even `false`, as on Shotgun), most
  recently created first, as `{"data": […]}` without pagination.
- Errors are NestJS-shaped JSON (`{"statusCode": 401, "message": "Unauthorized"}`), assumed
  from the framework the API answers with; FIREWALL serves a Cloudflare block page (403 HTML),
  RATE_LIMITED NestJS's throttler 429 with `Retry-After`. Shotgun documents no rate limit, so
  none is enforced.

The data set maps as Shotgun models it: each performance is an event (one date per event) named
after its show, the show's categories are the event's deals, amounts are euros as JSON numbers
and VAT rates fractions. A ticket's id is its data-set id × 10, which leaves room for what
Shotgun also lists: for some paid tickets, the `resold` original the buyer got it from on the
resale market (id − 2), and for others an order awaiting the organizer's approval
(`pending_organizer_approval`, id − 1). Refunded tickets are `refunded` when paid online,
`canceled` otherwise. Data-set tickets must stay in id order (as `build_dataset` makes them).

Tests can serve odd records through the account's state:
`account.state["overrides"] = {shotgun_ticket_id: {field: value, …}}`.
"""

import base64
import bisect
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx

from ticketing.connectors.base import Credentials
from ticketing.sandbox import accounts, faults
from ticketing.sandbox.accounts import SandboxAccount
from ticketing.sandbox.dataset import Dataset, FakePerformance, FakeShow, FakeTicket
from ticketing.sandbox.faults import Fault

SERVICE = "shotgun"
API_ROOT = "/api/shotgun"
PAGE_SIZE = 50
MAX_EVENTS_LIMIT = 100
LEGACY_TOKEN_ISSUED_BEFORE = 1_751_320_800
ID_STEP = 10
SOLD, PENDING, RESOLD = 0, -1, -2  # offsets from the data-set ticket's id × 10
USER_SERVICE_FEE = Decimal("0.99")


def sandbox_token(organizer_id: str, *, issued_at: int) -> str:
    """A JWT-shaped API token whose signature is obviously not one."""

    def encode(data: dict | bytes) -> str:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"organizer_id": int(organizer_id), "iat": issued_at, "sandbox": True}
    return ".".join((encode(header), encode(claims), encode(b"sandbox-not-a-signature")))


DEMO_CREDENTIALS = Credentials(
    access_key="100042", secret_key=sandbox_token("100042", issued_at=1_767_225_600)
)


def shotgun_ticket_id(ticket: FakeTicket) -> int:
    return ticket.id * ID_STEP + SOLD


def listed_tickets(dataset: Dataset, *, after: datetime | None = None) -> int:
    """How many tickets `/tickets/sold` lists for the window (tests count pages with it)."""
    return sum(1 for _ in _entries(dataset, above=0, after=after, before=None, event_id=None))


# --- Dispatch -----------------------------------------------------------------------------------


def handle(request: httpx.Request, path: str) -> httpx.Response:
    if request.method != "GET" or not _route(path):
        return _error(404, f"Cannot {request.method} {API_ROOT}{path}")
    fault = faults.active(SERVICE)
    if fault is Fault.CREDENTIALS_REFUSED:
        return _error(401)
    if fault is Fault.FIREWALL:
        return _firewall_page()
    if fault is Fault.RATE_LIMITED:
        response = _error(429)
        response.headers["Retry-After"] = str(faults.RETRY_AFTER_SECONDS)
        return response
    if fault is not None and fault is not Fault.MALFORMED_RECORD:
        return faults.fault_response(
            fault,
            request,
            error=lambda status, _message: _error(status),
            normal=lambda: _answer(request, path, broken=False),
        )
    return _answer(request, path, broken=fault is Fault.MALFORMED_RECORD)


def _route(path: str) -> str | None:
    if path.rstrip("/") == "/tickets/sold":
        return "tickets"
    if re.fullmatch(r"/organizers/[^/]+/events/?", path):
        return "events"
    return None


def _answer(request: httpx.Request, path: str, *, broken: bool) -> httpx.Response:
    account = _authenticate(request.url.params)
    if account is None:
        return _error(401)
    if _route(path) == "tickets":
        return _tickets_sold(request, account, broken=broken)
    if path.strip("/").split("/")[1] != account.access_key:
        return _error(403)
    return _events(request, account, broken=broken)


def _authenticate(params: httpx.QueryParams) -> SandboxAccount | None:
    key, token = params.get("key"), params.get("token")
    secret = key if key is not None else token
    account = accounts.find(
        SERVICE, access_key=params.get("organizer_id", ""), secret_key=secret or ""
    )
    if account is None:
        return None
    issued_at = _issued_at(account.secret_key)
    legacy = issued_at is not None and issued_at < LEGACY_TOKEN_ISSUED_BEFORE
    # Older tokens only work as `token`, newer ones only as `key`.
    return account if legacy == (key is None) else None


def _issued_at(token: str) -> int | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return claims.get("iat") if isinstance(claims, dict) else None


# --- Errors -------------------------------------------------------------------------------------

_ERRORS = {
    400: ("Bad Request", "Bad Request"),
    401: (None, "Unauthorized"),
    403: ("Forbidden", "Forbidden resource"),
    404: ("Not Found", "Not Found"),
    429: (None, "ThrottlerException: Too Many Requests"),
    500: (None, "Internal server error"),
}

FIREWALL_PAGE = """<!DOCTYPE html>
<html lang="en-US">
<head><title>Attention Required! | Cloudflare</title><meta charset="UTF-8"></head>
<body>
<div id="cf-wrapper"><div id="cf-error-details">
<h1>Sorry, you have been blocked</h1>
<h2>You are unable to access shotgun.live</h2>
<p>This website is using a security service to protect itself from online attacks.</p>
<p>Cloudflare Ray ID: <strong>8f1e2d3c4b5a6978</strong></p>
</div></div>
</body>
</html>
"""


def _error(status: int, message: str | None = None) -> httpx.Response:
    reason, default = _ERRORS.get(status, (None, "Error"))
    body: dict = {"statusCode": status, "message": message or default}
    if reason:
        body["error"] = reason
    return httpx.Response(status, json=body)


def _firewall_page() -> httpx.Response:
    return httpx.Response(
        403,
        headers={"Content-Type": "text/html; charset=UTF-8", "Server": "cloudflare"},
        text=FIREWALL_PAGE,
    )


# --- Tickets ------------------------------------------------------------------------------------


class _BadParam(ValueError):
    pass


def _tickets_sold(
    request: httpx.Request, account: SandboxAccount, *, broken: bool
) -> httpx.Response:
    params = request.url.params
    try:
        after, before = _instant_param(params, "after"), _instant_param(params, "before")
        event_id = _integer_param(params, "event_id")
        cursor = params.get("cursor")
        above = _cursor(cursor) if cursor is not None else 0
        page = _integer_param(params, "page") or 1
    except _BadParam as error:
        return _error(400, str(error))
    dataset = account.dataset
    entries = _entries(dataset, above=above, after=after, before=before, event_id=event_id)
    pagination: dict
    if cursor is not None:
        chosen = [entry for entry, _ in zip(entries, range(PAGE_SIZE + 1), strict=False)]
        more, chosen = len(chosen) > PAGE_SIZE, chosen[:PAGE_SIZE]
        last = str(chosen[-1][0]) if chosen else ""
        pagination = {"next": str(request.url.copy_set_param("cursor", last)) if more else None}
    else:
        everything = list(entries)
        pages = -(-len(everything) // PAGE_SIZE)
        chosen = everything[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        more = page < pages
        pagination = {
            "next": str(request.url.copy_set_param("page", page + 1)) if more else None,
            "totalResults": len(everything),
            "totalPages": pages,
        }
    overrides = account.state.get("overrides", {})
    data = [
        _ticket_record(dataset, ticket, kind, overrides.get(shotgun_id, {}))
        for shotgun_id, _, ticket, kind in chosen
    ]
    if broken and data and above == 0 and page == 1:
        del data[0]["ticket_price"]
    query = {name: value for name, value in params.items() if name not in ("key", "token")}
    return httpx.Response(200, json={"query": query, "pagination": pagination, "data": data})


def _entries(
    dataset: Dataset,
    *,
    above: int,
    after: datetime | None,
    before: datetime | None,
    event_id: int | None,
) -> Iterator[tuple[int, datetime, FakeTicket, int]]:
    """(Shotgun id, update time, data-set ticket, kind) of the listed tickets, in id order,
    ids above `above`."""
    tickets = dataset.tickets
    start = max(0, bisect.bisect_right(tickets, above, key=lambda t: t.id * ID_STEP) - 1)
    for index in range(start, len(tickets)):
        ticket = tickets[index]
        if event_id is not None and ticket.performance_id != event_id:
            continue
        for kind in _kinds(ticket):
            shotgun_id = ticket.id * ID_STEP + kind
            updated_at = ticket.updated_at if kind == SOLD else ticket.created_at
            if shotgun_id <= above:
                continue
            if (after is None or updated_at > after) and (before is None or updated_at < before):
                yield shotgun_id, updated_at, ticket, kind


def _kinds(ticket: FakeTicket) -> tuple[int, ...]:
    kinds = []
    if ticket.price > 0 and ticket.id % 23 == 0:
        kinds.append(RESOLD)
    if ticket.id % 31 == 0:
        kinds.append(PENDING)
    return (*kinds, SOLD)


def _ticket_record(dataset: Dataset, ticket: FakeTicket, kind: int, overrides: dict) -> dict:
    show = dataset.show(ticket.show_id)
    assert show is not None
    performance = _performance(show, ticket.performance_id)
    category = dataset.category(ticket.category_id)
    shotgun_id = ticket.id * ID_STEP + kind
    status, cancelled_at = _status(ticket, kind)
    updated_at = ticket.updated_at if kind == SOLD else ticket.created_at
    paid = ticket.price > 0
    redeemed = status == "valid" and performance.starts_at <= dataset.now
    record = {
        "order_id": 500_000 + shotgun_id // 3,
        "currency": "eur",
        "payment_method": "card" if paid else "free",
        "utm_source": "direct",
        "utm_medium": "website",
        "product_id": category.id,
        "ordered_at": _iso(ticket.created_at),
        "event_id": performance.id,
        "event_name": show.name,
        "event_start_time": _iso(performance.starts_at),
        "event_end_time": _iso(performance.ends_at),
        "event_cancellation_date": None,
        # Shotgun sends the buyer; these are obviously fictitious and must never be kept.
        "buyer_email": f"acheteur-{shotgun_id}@example.invalid",
        "buyer_first_name": "Camille",
        "buyer_last_name": "Exemple",
        "ticket_id": shotgun_id,
        "ticket_barcode": f"SG{shotgun_id:012d}",
        "ticket_redeemed_at": _iso(performance.starts_at) if redeemed else None,
        "shotguner_id": 700_000 + shotgun_id if paid else None,
        "cancelled_at": _iso(cancelled_at) if cancelled_at else None,
        "ticket_updated_at": _iso(updated_at),
        "ticket_visibilities": ["public"],
        "ticket_price": float(ticket.price),
        "ticket_title": category.name,
        "service_fee": float(category.commission),
        "user_service_fee": float(USER_SERVICE_FEE if paid else 0),
        "producer_margin": 0.0,
        "producer_margin_on_user_service_fee": 0.0,
        "vat_rate": float(ticket.vat_rate),
        "ticket_sub_category": None,
        "ticket_status": status,
    }
    record.update(overrides)
    return record


def _status(ticket: FakeTicket, kind: int) -> tuple[str, datetime | None]:
    if kind == RESOLD:
        return "resold", None
    if kind == PENDING:
        return "pending_organizer_approval", None
    if not ticket.refunded:
        return "valid", None
    return ("refunded" if ticket.payment == "web" else "canceled"), ticket.updated_at


def _performance(show: FakeShow, performance_id: int) -> FakePerformance:
    return next(p for p in show.performances if p.id == performance_id)


# --- Events -------------------------------------------------------------------------------------


def _events(request: httpx.Request, account: SandboxAccount, *, broken: bool) -> httpx.Response:
    params = request.url.params
    try:
        page = _integer_param(params, "page") or 0
        limit = _integer_param(params, "limit") or 20
    except _BadParam as error:
        return _error(400, str(error))
    if not 1 <= limit <= MAX_EVENTS_LIMIT:
        return _error(400, f"limit must not be greater than {MAX_EVENTS_LIMIT}")
    dataset = account.dataset
    past = "past_events" in params
    events = sorted(
        (
            (show, performance)
            for show in dataset.shows
            for performance in show.performances
            if (performance.ends_at < dataset.now) == past
        ),
        key=lambda pair: (pair[0].created_at, pair[1].id),
        reverse=True,
    )
    data = [_event_record(show, p) for show, p in events[page * limit : (page + 1) * limit]]
    if broken and data and page == 0:
        del data[0]["startTime"]
    return httpx.Response(200, json={"data": data})


def _event_record(show: FakeShow, performance: FakePerformance) -> dict:
    slug = re.sub(r"[^a-z0-9]+", "-", show.name.lower()).strip("-")
    return {
        "id": performance.id,
        "name": show.name,
        "slug": f"{slug}-{performance.id}",
        "startTime": _iso(performance.starts_at),
        "endTime": _iso(performance.ends_at),
        "timezone": "Europe/Paris",
        "leftTicketsCount": -1,
        "cancelledAt": None,
        "deals": [
            {
                "name": category.name,
                "product_id": category.id,
                "description": None,
                "quantity": 500,
                "subcategory_id": None,
                "subcategory": None,
                "price": float(category.price),
                "organizer_fees": float(category.commission),
                "user_fees": float(USER_SERVICE_FEE if category.price > 0 else 0),
            }
            for category in show.categories
        ],
    }


# --- Parameters ---------------------------------------------------------------------------------


def _instant_param(params: httpx.QueryParams, name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _BadParam(f"{name} must be a valid ISO 8601 date string") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _integer_param(params: httpx.QueryParams, name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise _BadParam(f"{name} must be a number conforming to the specified constraints")
    return int(value)


def _cursor(value: str) -> int:
    if value in ("", "true"):
        return 0
    if not value.isdigit():
        raise _BadParam("cursor must be true or a ticket id")
    return int(value)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
