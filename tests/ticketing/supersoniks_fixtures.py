"""Helpers for the Supersoniks tests: a sandbox account, the reference figures including the
indicative VAT rate, and hand-written statements in the shape the reference documents
(`tax.rate` a fraction, `tax_value` its percent) for the rules the data set does not exercise."""

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx

from ticketing.connectors.base import Credentials
from ticketing.sandbox import accounts
from ticketing.sandbox.accounts import SandboxAccount
from ticketing.sandbox.dataset import Dataset

DOMAIN = "billetterie.theatre-de-la-lune.fr"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.dGVzdA.c2lnbmF0dXJl"
CREDENTIALS = Credentials(DOMAIN, TOKEN)
LISTING_URL = f"http://sandbox.test/supersoniks/{DOMAIN}/api/v2/statement/closing"
START = 1736537400  # 2025-01-10 19:30 UTC, 20:30 in Paris


def register(dataset: Dataset, *, credentials: Credentials = CREDENTIALS) -> SandboxAccount:
    return accounts.register(
        "supersoniks",
        access_key=credentials.access_key,
        secret_key=credentials.secret_key,
        dataset=dataset,
    )


def expected_rates(dataset: Dataset) -> dict[int, Decimal | None]:
    """Per performance id: the one rate of its sold paid tickets, None when mixed or none."""
    rates: dict[int, set[Decimal]] = {
        performance.id: set() for show in dataset.shows for performance in show.performances
    }
    for ticket in dataset.tickets:
        if not ticket.refunded and ticket.price:
            rates[ticket.performance_id].add(ticket.vat_rate)
    return {key: (next(iter(found)) if len(found) == 1 else None) for key, found in rates.items()}


def statement(session_id: int = 501, **changes) -> dict:
    """The reference's example statement: 80 × 15 € and 10 invitations at the box office,
    2 × 17 € through FNAC, session at 5.5 %."""
    base = {
        "session": {
            "id": session_id,
            "start_date": START,
            "end_date": START + 7200,
            "time_zone": "Europe/Paris",
            "entity_type": "event",
            "edito": {"title": "Concert X"},
            "settings": {
                "duration": 120,
                "time_zone": "Europe/Paris",
                "closing_date": 0,
                "tax": {
                    "id": 1,
                    "title": "TVA 5,5",
                    "rate": 0.055,
                    "tax_id": 1,
                    "tax_name": "TVA",
                    "tax_value": 5.5,
                },
            },
        },
        "revenue": 1234.0,
        "tax_amount": 64.33,
        "sold": 92,
        "gauge": 300,
        "closing_date": 0,
        "prices": [],
        "internals_prices": [
            {"title": "Plein", "amount": 15.0, "quantity": 80, "revenue": 1200.0},
            {"title": "Invitation", "amount": 0, "quantity": 10, "revenue": 0},
        ],
        "externals_prices": [{"title": "FNAC", "amount": 17.0, "quantity": 2, "revenue": 34.0}],
    }
    return _merge(base, changes)


def multisession(session: dict, *, show_id: int = 77, title: str = "Festival Y") -> dict:
    session = copy.deepcopy(session)
    session["session"]["multisession"] = {
        "id": show_id,
        "multisession_id": show_id,
        "title": title,
        "edito": {"title": title},
    }
    return session


def serve(
    statements: list[dict] | Callable[[httpx.Request], httpx.Response],
) -> Callable[[httpx.Request], httpx.Response]:
    """A replacement for `router.handle` answering the listing with these statements."""

    def handle(request: httpx.Request) -> httpx.Response:
        if callable(statements):
            return statements(request)
        body = {"success": True, "messages": [], "total": len(statements), "data": statements}
        return httpx.Response(200, json=body)

    return handle


def when(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _merge(base: dict, changes: dict) -> dict:
    merged = json.loads(json.dumps(base))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
