"""Fake of the Billetweb API (https://www.billetweb.fr/api), read-only part.

Same paths, query parameters and JSON shapes as the real service, as the prior service's
notes describe them: every request is a GET carrying `user`, `key` and `version=1` in the query
string; listings are bare JSON arrays without pagination; dates are naive Europe/Paris strings
("0000-00-00 00:00:00" for none); prices are euros (strings for attendees, numbers for
categories); VAT rates are percents (5.5); booleans come as "0"/"1" or true/false.

- `GET /attendees?last_update=<unix>[&to=<unix>]`: every ticket of the account updated since;
- `GET /events[?past=1]`: the events (upcoming only without `past=1`);
- `GET /event/<id>/dates[?past=1]`: the sessions of an event with several dates (`multiple`);
  an event with one date has no session, its attendees have `order_session` "0";
- `GET /event/<id>/tickets`: the price categories, with their VAT (`tax`, "" = the event's
  `tax_rate`) and the commission Billetweb takes on online sales (`false` when none);
- `GET /event/<id>/attendees`: the tickets of one event.

Errors as Billetweb gives them: unknown credentials → 403 `{"error": "unauthorized"}`; a key
restricted to some events → 200 `{"error": "unauthorized", "description": "...limited rights to
specific events..."}` on account-wide listings (set `account.state["limited_rights"] = True`);
more than 100 requests a minute for one key → 429 with the pretty-printed `rate_limiting` body;
the Cloudflare challenge page (FIREWALL fault) → 403 HTML. The 403/429 statuses and the wording
of the refusal are this fake's assumption: the prior service only relied on the bodies.
"""

import json
import math
import re
import time
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx

from ticketing.connectors.base import Credentials
from ticketing.sandbox import accounts, faults
from ticketing.sandbox.accounts import SandboxAccount
from ticketing.sandbox.dataset import Dataset, FakeCategory, FakePerformance, FakeShow, FakeTicket
from ticketing.sandbox.faults import Fault

SERVICE = "billetweb"
PROVIDER = "billetweb"
PARIS = ZoneInfo("Europe/Paris")
RATE_LIMIT = 100  # requests per key
RATE_WINDOW_SECONDS = 60.0
NO_DATE = "0000-00-00 00:00:00"
CHUNK_SIZE = 64 * 1024
DEMO_CREDENTIALS = Credentials(access_key="100042", secret_key="demo0sandbox0billetweb0not0real0")

RATE_LIMIT_BODY = (
    "{\n"
    '    "error": "rate_limiting",\n'
    '    "description": "You exceed the global rate limiter : 100 hits per minute"\n'
    "}"
)
REFUSED = {"error": "unauthorized", "description": "Invalid user or key"}
LIMITED_RIGHTS = {
    "error": "unauthorized",
    "description": "This key has limited rights to specific events, use a key with full access",
}
CHALLENGE_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">www.billetweb.fr</h1>
<p>Checking if the site connection is secure</p>
<noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript>
</div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'www.billetweb.fr',cType: 'managed'};
var a = document.createElement('script');
a.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8f1c2d3e4a5b6c7d';
document.getElementsByTagName('head')[0].appendChild(a);}());</script>
</body></html>
"""
SERVER_ERROR_PAGE = (
    "<html><head><title>500 Internal Server Error</title></head>"
    "<body><center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center>"
    "</body></html>"
)
EVENT_PATH = re.compile(r"^/event/(?P<event>[^/]+)/(?P<what>dates|tickets|attendees)$")

# A clock the tests can move forward; only the rate-limit window depends on time.
clock = time.monotonic


def handle(request: httpx.Request, path: str) -> httpx.Response:
    if request.method != "GET":
        return _json(405, {"error": "method", "description": "Method not allowed"})
    fault = faults.active(SERVICE)
    if fault is Fault.FIREWALL:
        return httpx.Response(
            403,
            headers={"Content-Type": "text/html; charset=UTF-8", "cf-mitigated": "challenge"},
            text=CHALLENGE_PAGE,
        )
    if fault is Fault.TIMEOUT:
        raise httpx.ReadTimeout("Sandbox: simulated timeout", request=request)
    if fault is Fault.SERVER_ERROR:
        return httpx.Response(500, headers={"Content-Type": "text/html"}, text=SERVER_ERROR_PAGE)
    if fault in (Fault.UNAVAILABLE, Fault.RATE_LIMITED):
        return faults.fault_response(fault, request, error=_error, normal=lambda: _json(200, []))
    params = request.url.params
    account = accounts.find(
        PROVIDER, access_key=params.get("user", ""), secret_key=params.get("key", "")
    )
    if account is None or fault is Fault.CREDENTIALS_REFUSED:
        return _json(403, REFUSED)
    limited = _rate_limited(account)
    if limited is not None:
        return limited
    answer = _route(account, path, params, broken_record=fault is Fault.MALFORMED_RECORD)
    if fault is Fault.MALFORMED:
        answer.read()
        return httpx.Response(
            200,
            headers={"Content-Type": "application/json"},
            content=answer.content[: max(1, len(answer.content) // 2)],
        )
    return answer


def _error(status: int, message: str) -> httpx.Response:
    if status == 429:
        return httpx.Response(
            429, headers={"Content-Type": "application/json"}, text=RATE_LIMIT_BODY
        )
    return _json(status, {"error": "error", "description": message})


def _json(status: int, payload: object) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"Content-Type": "application/json"},
        content=json.dumps(payload, ensure_ascii=False).encode(),
    )


def _rate_limited(account: SandboxAccount) -> httpx.Response | None:
    """Billetweb allows 100 requests a minute per key (sliding window here)."""
    hits: deque[float] = account.state.setdefault("billetweb_hits", deque())
    now = clock()
    while hits and now - hits[0] >= RATE_WINDOW_SECONDS:
        hits.popleft()
    if len(hits) >= RATE_LIMIT:
        wait = math.ceil(RATE_WINDOW_SECONDS - (now - hits[0]))
        response = _error(429, "")
        response.headers["Retry-After"] = str(max(1, wait))
        return response
    hits.append(now)
    return None


def _route(
    account: SandboxAccount, path: str, params: httpx.QueryParams, *, broken_record: bool
) -> httpx.Response:
    dataset = account.dataset
    path = path.rstrip("/") or "/"
    if path in ("/attendees", "/events") and account.state.get("limited_rights"):
        return _json(200, LIMITED_RIGHTS)
    if path == "/attendees":
        try:
            since = _unix_param(params, "last_update", 0)
            until = _unix_param(params, "to", None)
        except ValueError:
            return _json(400, {"error": "parameter", "description": "Invalid last_update"})
        tickets = (
            t
            for t in dataset.tickets
            if t.updated_at.timestamp() >= since
            and (until is None or t.updated_at.timestamp() <= until)
        )
        return _listing(_attendees(dataset, tickets, with_event=True), broken_record)
    if path == "/events":
        past = params.get("past") == "1"
        shows = [s for s in dataset.shows if past or _last(s).ends_at >= dataset.now]
        return _json(200, [_event(show) for show in shows])
    match = EVENT_PATH.match(path)
    show = _show(dataset, match.group("event")) if match else None
    if show is None:
        return _json(404, {"error": "not_found", "description": "Unknown event"})
    what = match.group("what")
    if what == "dates":
        if not _multiple(show):
            return _json(200, [])
        past = params.get("past") == "1"
        dates = [p for p in show.performances if past or p.ends_at >= dataset.now]
        return _listing((_date(show, p) for p in dates), broken_record, field="start")
    if what == "tickets":
        return _json(200, [_category(show, c) for c in show.categories])
    return _listing(_attendees(dataset, dataset.tickets_of_show(show.id), with_event=False), False)


def _unix_param(params: httpx.QueryParams, name: str, default: int | None) -> int | None:
    raw = params.get(name)
    return default if raw in (None, "") else int(raw)


def _listing(records: Iterable[dict], broken_record: bool, field: str = "price") -> httpx.Response:
    """A JSON array, encoded record by record in chunks (a large account's listing is hundreds
    of megabytes); under MALFORMED_RECORD its first record has an unreadable `field`."""

    def chunks() -> Iterator[bytes]:
        buffer, size = [b"["], 1
        for index, record in enumerate(records):
            if broken_record and index == 0:
                record[field] = "N/A"
            part = (",\n" if index else "") + json.dumps(record, ensure_ascii=False)
            buffer.append(part.encode())
            size += len(buffer[-1])
            if size >= CHUNK_SIZE:
                yield b"".join(buffer)
                buffer, size = [], 0
        buffer.append(b"]")
        yield b"".join(buffer)

    return httpx.Response(200, headers={"Content-Type": "application/json"}, content=chunks())


# --- Shapes -------------------------------------------------------------------------------------


def paris(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")


def percent(rate: Decimal) -> str:
    text = f"{rate * 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _multiple(show: FakeShow) -> bool:
    return len(show.performances) > 1


def _last(show: FakeShow) -> FakePerformance:
    return show.performances[-1]


def _show(dataset: Dataset, raw_id: str) -> FakeShow | None:
    return dataset.show(int(raw_id)) if raw_id.isdigit() else None


def _session(show: FakeShow, performance_id: int) -> str:
    return str(performance_id) if _multiple(show) else "0"


def _event(show: FakeShow) -> dict:
    # Billetweb mixes encodings from one account to another: both are served.
    textual = show.id % 2 == 0
    multiple = _multiple(show)
    rate = show.categories[0].vat_rate
    return {
        "id": str(show.id),
        "ext_id": f"ev{show.id:07d}",
        "name": show.name,
        "start": paris(show.performances[0].starts_at),
        "end": paris(_last(show).ends_at),
        "multiple": ("1" if multiple else "0") if textual else multiple,
        "place": "Salle des fêtes, 1 place de la Mairie, 69001 Lyon",
        "shop": f"https://www.billetweb.fr/shop.php?event=ev{show.id}",
        "tax_rate": percent(rate) if textual else float(rate * 100),
        "online": "1",
        "tags": ["spectacle", ""],
        "image": "",
        "cover": "",
        "confirmation_message": "",
    }


def _date(show: FakeShow, performance: FakePerformance) -> dict:
    return {
        "id": str(performance.id),
        "start": paris(performance.starts_at),
        "end": paris(performance.ends_at),
        "name": "",
        "place": "",
        "description": "",
        "instructions": "",
        "disabled": "0",
        "last_update": paris(show.created_at),
        "quota": "200",
    }


def _category(show: FakeShow, category: FakeCategory) -> dict:
    textual = show.id % 2 == 0
    main_rate = show.categories[0].vat_rate
    if category.vat_rate == main_rate and category.id % 2 == 1:
        tax: object = ""  # inherits the event's tax_rate
    else:
        tax = percent(category.vat_rate) if textual else float(category.vat_rate * 100)
    return {
        "id": str(category.id),
        "full_name": f"{show.name} - {category.name}",
        "name": category.name,
        "price": float(category.price),
        "category": "",
        "description": "",
        "quota": "0",
        "label": "",
        "visibility": "1",
        "instructions": "",
        "start_time": "",
        "end_time": "",
        "form": "1",
        "tax": tax,
        "commission": float(category.commission) if category.commission else False,
    }


def _attendees(
    dataset: Dataset, tickets: Iterable[FakeTicket], *, with_event: bool
) -> Iterator[dict]:
    shapes: dict[int, _ShowShape] = {}
    for ticket in tickets:
        shape = shapes.get(ticket.show_id)
        if shape is None:
            shape = shapes[ticket.show_id] = _ShowShape(dataset.show(ticket.show_id))
        yield _attendee(shape, ticket, with_event=with_event)


class _ShowShape:
    """What every attendee of a show repeats, computed once."""

    def __init__(self, show: FakeShow):
        self.show = show
        self.start = paris(show.performances[0].starts_at)
        self.sessions = {
            p.id: (_session(show, p.id), paris(p.starts_at)) for p in show.performances
        }
        self.categories = {c.id: c for c in show.categories}


def _attendee(shape: _ShowShape, ticket: FakeTicket, *, with_event: bool) -> dict:
    session, session_start = shape.sessions[ticket.performance_id]
    category = shape.categories[ticket.category_id]
    price = f"{ticket.price:.2f}"
    # Fictional spectators: the connector must ignore these fields anyway.
    record = {
        "id": str(ticket.id),
        "ext_id": f"tk{ticket.id:09d}",
        "barcode": f"{ticket.id * 7919:012d}",
        "used": "0",
        "lane": "",
        "used_date": NO_DATE,
        "email": f"spectateur.{ticket.id}@example.org",
        "firstname": "Camille",
        "name": "Spectateur",
        "ticket": category.name,
        "category": "",
        "ticket_id": str(category.id),
        "price": price,
        "seating_location": "",
        "last_update": paris(ticket.updated_at),
        "reduction_code": "",
        "authorization_code": "",
        "pass": "0",
        "disabled": "1" if ticket.refunded else "0",
        "order_id": str(ticket.id + 500000),
        "order_ext_id": f"or{ticket.id + 500000:09d}",
        "order_firstname": "Camille",
        "order_name": "Spectateur",
        "order_email": f"spectateur.{ticket.id}@example.org",
        "order_date": paris(ticket.created_at),
        "order_paid": "1",
        "order_payment_type": ticket.payment,
        "order_origin": "web" if ticket.payment == "web" else "admin",
        "order_price": price,
        "order_session": session,
        "session_start": session_start,
        "order_accreditation": "0",
        "order_language": "fr",
    }
    if with_event:
        record["event"] = str(shape.show.id)
        record["event_name"] = shape.show.name
        record["event_start"] = shape.start
    return record
