"""Fake of the Supersoniks (and SoTicket) API: one API per customer domain, reached here as
`/supersoniks/<domain>/api/v2/...`, `Authorization: Bearer <token>`.

- `GET statement/closing?from=<unix>&to=<unix>[&bypass_closed=true]`: the closing statements
  of the sessions whose start date is within [from, to] (both required), without pagination;
  without `bypass_closed` only the sessions whose statement is closed.
- `GET statement/closing/<id>`: one session's statement (400 while it is not closed).

Answers are `{"success": true, "messages": [], "total": n, "data": [...]}`; errors are
`{"success": false, "messages": [{"content", "status", "type"}], "data": null}` (401 for an
unknown token or domain, 400 for a missing parameter); a path outside the API answers the web
server's 404 page. Under FIREWALL the customer's firewall answers a 403 page.

The data set maps as: a show with several performances → a multi-séance, its performances →
sessions (a single-performance show is a session alone); a session carries one VAT rate (the
show's main rate) while the statement's `tax_amount` is computed ticket by ticket at each
category's rate, rounded once; sales are aggregated per price line (box office and web apart,
some web sales through a reseller in `externals_prices`), refunded tickets no longer counted;
invitations are a 0 € line. Some sessions give no end date but a duration. Each account also
has a season pass and a gift card statement, which are not events. Amounts are euros, rates
fractions (`tax_value` the percent), times unix seconds. No rate limit is documented: none here.
"""

import json
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import httpx

from ticketing.connectors.base import Credentials, to_cents
from ticketing.sandbox import accounts, faults
from ticketing.sandbox.dataset import Dataset, FakePerformance, FakeShow, FakeTicket
from ticketing.sandbox.faults import Fault

SERVICE = "supersoniks"
PROVIDER = "supersoniks"  # SoTicket accounts are registered under the same API
DEMO_CREDENTIALS = Credentials(
    access_key="billetterie.salle-de-demo.example",
    secret_key="eyJhbGciOiJIUzI1NiJ9.ZGVtby1zYW5kYm94LXN1cGVyc29uaWtz.ZmFrZS1zaWduYXR1cmU",
)
CLOSED_AFTER = timedelta(days=15)  # the organiser closes a session's statement
RESELLER_EVERY = 7  # one web ticket in 7 is sold through a reseller
NOT_FOUND_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><title>Page introuvable</title></head>
<body><h1>Page introuvable</h1><p>La page demandée n'existe pas.</p></body></html>
"""
FIREWALL_PAGE = """<!DOCTYPE html>
<html><head><title>403 Forbidden</title></head>
<body><h1>Forbidden</h1><p>You don't have permission to access this resource.</p>
<p>Request blocked by the web application firewall.</p></body></html>
"""


def handle(request: httpx.Request, path: str) -> httpx.Response:
    domain, _, rest = path.lstrip("/").partition("/")
    if not rest.startswith("api/v2/"):
        return _html(404, NOT_FOUND_PAGE)
    endpoint = rest.removeprefix("api/v2/").rstrip("/")
    fault = faults.active(SERVICE)
    if fault is Fault.FIREWALL:
        return _html(403, FIREWALL_PAGE)
    account = _account(request, domain)
    if account is None or fault is Fault.CREDENTIALS_REFUSED:
        return _error(401, "Bearer token expired/invalid")
    if request.method != "GET":
        return _error(405, "Method not allowed")
    if fault is not None and fault is not Fault.MALFORMED_RECORD:
        return faults.fault_response(
            fault, request, error=_error, normal=lambda: _route(account.dataset, endpoint, request)
        )
    return _route(account.dataset, endpoint, request, broken=fault is Fault.MALFORMED_RECORD)


def _account(request: httpx.Request, domain: str) -> accounts.SandboxAccount | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return accounts.find(PROVIDER, access_key=domain, secret_key=token.strip())


def _route(
    dataset: Dataset, endpoint: str, request: httpx.Request, *, broken: bool = False
) -> httpx.Response:
    if endpoint == "statement/closing":
        return _listing(dataset, request.url.params, broken=broken)
    head, _, session_id = endpoint.rpartition("/")
    if head == "statement/closing" and session_id.isdigit():
        return _one(dataset, int(session_id))
    return _error(404, "Route introuvable")


def _listing(dataset: Dataset, params: httpx.QueryParams, *, broken: bool) -> httpx.Response:
    bounds = []
    for name in ("from", "to"):
        value = params.get(name, "")
        if not value.lstrip("-").isdigit():
            return _error(400, f"Donnée manquante : {name}")
        bounds.append(int(value))
    include_open = params.get("bypass_closed", "").lower() in ("true", "1")
    statements = list(_statements(dataset, bounds[0], bounds[1], include_open=include_open))
    if broken and statements:
        del statements[0]["internals_prices"]
    return _ok(statements)


def _one(dataset: Dataset, session_id: int) -> httpx.Response:
    show = dataset.show(session_id // 1000)
    performance = next((p for p in show.performances if p.id == session_id), None) if show else None
    if performance is None:
        return _error(404, "Évènement introuvable")
    if not _closing(performance, dataset):
        return _error(400, f"Event {session_id} not closed")
    tickets = [t for t in dataset.tickets_of_show(show.id) if t.performance_id == session_id]
    return _ok(_statement(show, performance, tickets, dataset))


def _statements(dataset: Dataset, start: int, end: int, *, include_open: bool) -> list[dict]:
    selected = [
        (show, performance)
        for show in dataset.shows
        for performance in show.performances
        if start <= _unix(performance.starts_at) <= end
        and (include_open or _closing(performance, dataset))
    ]
    wanted = {performance.id for _, performance in selected}
    tickets: dict[int, list[FakeTicket]] = defaultdict(list)
    for ticket in dataset.tickets:
        if ticket.performance_id in wanted:
            tickets[ticket.performance_id].append(ticket)
    statements = [
        _statement(show, performance, tickets[performance.id], dataset)
        for show, performance in selected
    ]
    if include_open:
        statements += [
            s for s in _not_events(dataset) if start <= s["session"]["start_date"] <= end
        ]
    return statements


def _statement(
    show: FakeShow, performance: FakePerformance, tickets: list[FakeTicket], dataset: Dataset
) -> dict:
    sold = [ticket for ticket in tickets if not ticket.refunded]
    internals, externals = _price_lines(show, sold)
    incl = sum((ticket.price for ticket in sold), Decimal(0))
    excl = sum((t.price / (1 + t.vat_rate) for t in sold if t.price), Decimal(0))
    revenue = sum((Decimal(line["revenue"]) for line in internals + externals), Decimal(0))
    tax = to_cents(incl) - to_cents(excl)
    closing = _closing(performance, dataset)
    return {
        "session": _session(show, performance, closing),
        "revenue": float(revenue),
        "tax_amount": float(tax),
        "sold": len(sold),
        "gauge": 300,
        "internal_quota": 0,
        "peak_attendance": 0,
        "no_show": 0,
        "checked": 0,
        "closing_date": closing,
        "average_amount": float(to_cents(incl / len(sold))) if sold else 0,
        "prices": [],
        "internals_prices": internals,
        "externals_prices": externals,
    }


def _price_lines(show: FakeShow, sold: list[FakeTicket]) -> tuple[list[dict], list[dict]]:
    """One line per category and channel; Supersoniks repeats a title when the same price is
    sold at the box office and on the web."""
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for ticket in sold:
        if ticket.payment == "web" and ticket.id % RESELLER_EVERY == 0:
            channel = "reseller"
        else:
            channel = "web" if ticket.payment == "web" else "box_office"
        counts[(channel, ticket.category_id)] += 1
    internals, externals = [], []
    for category in show.categories:
        for channel in ("box_office", "web", "reseller"):
            quantity = counts.get((channel, category.id))
            if not quantity:
                continue
            line = {
                "title": f"FNAC - {category.name}" if channel == "reseller" else category.name,
                "amount": float(category.price),
                "quantity": quantity,
                "revenue": float(category.price * quantity),
            }
            (externals if channel == "reseller" else internals).append(line)
    return internals, externals


def _session(show: FakeShow, performance: FakePerformance, closing: int) -> dict:
    rate = show.categories[0].vat_rate  # Supersoniks has one rate per session
    without_end = performance.id % 4 == 3  # the end is then given by the duration
    duration = int((performance.ends_at - performance.starts_at).total_seconds() // 60)
    session = {
        "id": performance.id,
        "start_date": _unix(performance.starts_at),
        "end_date": 0 if without_end else _unix(performance.ends_at),
        "time_zone": "Europe/Paris",
        "entity_type": "event",
        "edito": {"title": show.name, "over_title": None, "sub_title": None},
        "settings": {
            "duration": duration if without_end else None,
            "time_zone": "Europe/Paris",
            "closing_date": closing,
            "tax": _tax(rate),
        },
        "public_link": f"https://billetterie.example/evenement/{performance.id}",
    }
    if len(show.performances) > 1:
        session["multisession"] = {
            "id": show.id,
            "multisession_id": show.id,
            "title": show.name,
            "edito": {"title": show.name},
            "display": "default",
        }
    return session


def _tax(rate: Decimal) -> dict:
    percent = (rate * 100).normalize()
    label = f"TVA {str(percent).replace('.', ',')} %"
    return {
        "id": int(rate * 1000),
        "title": label,
        "rate": float(rate),
        "tax_id": int(rate * 1000),
        "tax_name": "TVA",
        "tax_value": float(percent),
    }


def _not_events(dataset: Dataset) -> list[dict]:
    """A season pass and gift cards: statements too, but not of an event."""
    start = _unix(dataset.now - timedelta(days=30))
    return [
        {
            "session": {
                "id": 9_000_000 + index,
                "start_date": start,
                "end_date": 0,
                "time_zone": "Europe/Paris",
                "entity_type": entity_type,
                "edito": {"title": title},
                "settings": {"duration": None, "closing_date": 0, "tax": _tax(Decimal("0.2"))},
            },
            "revenue": 450.0,
            "tax_amount": 75.0,
            "sold": 3,
            "gauge": 0,
            "closing_date": 0,
            "prices": [],
            "internals_prices": [
                {"title": title, "amount": 150.0, "quantity": 3, "revenue": 450.0}
            ],
            "externals_prices": [],
        }
        for index, (entity_type, title) in enumerate(
            (("pass", "Abonnement saison"), ("gift_card", "Carte cadeau"))
        )
    ]


def _closing(performance: FakePerformance, dataset: Dataset) -> int:
    closed_at = performance.ends_at + CLOSED_AFTER
    return _unix(closed_at) if closed_at <= dataset.now else 0


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _ok(data: list | dict) -> httpx.Response:
    total = len(data) if isinstance(data, list) else 1
    return _json(200, {"success": True, "messages": [], "total": total, "data": data})


def _error(status: int, message: str) -> httpx.Response:
    return _json(
        status,
        {
            "success": False,
            "messages": [{"content": message, "status": "error", "type": "public"}],
            "data": None,
        },
    )


def _json(status: int, payload: dict) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"Content-Type": "application/json"},
        content=json.dumps(payload, ensure_ascii=False).encode(),
    )


def _html(status: int, page: str) -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": "text/html; charset=utf-8"}, text=page)
