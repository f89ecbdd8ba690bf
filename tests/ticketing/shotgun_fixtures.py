"""Helpers for the Shotgun tests: a sandbox account, and the figures a ticket ledger would
compute from what the connector yields."""

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from ticketing.connectors.base import Credentials, ShowData, TicketData, to_cents
from ticketing.sandbox import accounts
from ticketing.sandbox.accounts import SandboxAccount
from ticketing.sandbox.dataset import Dataset, ExpectedFigures
from ticketing.sandbox.shotgun import sandbox_token

ORGANIZER_ID = "271828"
ISSUED_2026 = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())
ISSUED_2024 = int(datetime(2024, 9, 1, tzinfo=UTC).timestamp())  # before 2025-07-01: `token`
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def register(
    dataset: Dataset, *, issued_at: int = ISSUED_2026
) -> tuple[Credentials, SandboxAccount]:
    credentials = Credentials(ORGANIZER_ID, sandbox_token(ORGANIZER_ID, issued_at=issued_at))
    account = accounts.register(
        "shotgun",
        access_key=credentials.access_key,
        secret_key=credentials.secret_key,
        dataset=dataset,
    )
    return credentials, account


def latest_tickets(shows: Iterable[ShowData]) -> dict[str, TicketData]:
    """The ledger: the latest state of each ticket, by update time (later yields win ties)."""
    ledger: dict[str, TicketData] = {}
    for show in shows:
        for ticket in show.tickets or ():
            known = ledger.get(ticket.external_id)
            if known is None or ticket.updated_at >= known.updated_at:
                ledger[ticket.external_id] = ticket
    return ledger


def ledger_figures(shows: Iterable[ShowData]) -> dict[int, ExpectedFigures]:
    """Per performance id, as `Dataset.expected_figures()` computes them."""
    totals: dict[int, list] = {}
    for ticket in latest_tickets(shows).values():
        row = totals.setdefault(int(ticket.performance_external_id), [0, 0, Decimal(0), Decimal(0)])
        if ticket.cancelled:
            continue
        if ticket.price_incl_vat == 0:
            row[0] += 1
        else:
            row[1] += 1
            row[2] += ticket.price_incl_vat
            row[3] += ticket.price_incl_vat / (1 + ticket.vat_rate)
    return {
        performance_id: ExpectedFigures(free, paid, to_cents(incl), to_cents(excl))
        for performance_id, (free, paid, incl, excl) in totals.items()
    }


def ledger_vat_rates(shows: Iterable[ShowData]) -> dict[int, Decimal | None]:
    """Per performance, the single rate of its paid tickets, None when mixed (reference §1.4:
    free tickets at 0 % do not make it mixed; only free ones give 0)."""
    rates: dict[int, set[Decimal]] = {}
    for ticket in latest_tickets(shows).values():
        found = rates.setdefault(int(ticket.performance_external_id), set())
        if not ticket.cancelled and (ticket.price_incl_vat > 0 or ticket.vat_rate > 0):
            found.add(ticket.vat_rate)
    return {
        performance_id: (next(iter(found)) if len(found) == 1 else None) if found else Decimal(0)
        for performance_id, found in rates.items()
    }


def dataset_vat_rates(dataset: Dataset) -> dict[int, Decimal | None]:
    rates: dict[int, set[Decimal]] = {}
    for ticket in dataset.tickets:
        found = rates.setdefault(ticket.performance_id, set())
        if not ticket.refunded and (ticket.price > 0 or ticket.vat_rate > 0):
            found.add(ticket.vat_rate)
    return {
        performance_id: (next(iter(found)) if len(found) == 1 else None) if found else Decimal(0)
        for performance_id, found in rates.items()
    }
