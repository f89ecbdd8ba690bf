"""Helpers for the Mapado tests: a sandbox account, a sync, and the figures a ticket ledger
would compute from what the connector yields."""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from ticketing.connectors import open_connector
from ticketing.connectors.base import Credentials, ShowData, TicketData
from ticketing.figures import figures_from_tickets
from ticketing.sandbox import accounts
from ticketing.sandbox.accounts import SandboxAccount
from ticketing.sandbox.dataset import Dataset, ExpectedFigures

TOKEN = "test-mapado-app-token-7c41d2e8b95f"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def register(dataset: Dataset, *, token: str = TOKEN) -> tuple[Credentials, SandboxAccount]:
    account = accounts.register("mapado", access_key="", secret_key=token, dataset=dataset)
    return Credentials(access_key="", secret_key=token), account


def connect(credentials: Credentials, waits: list[float] | None = None):
    sleep: Callable[[float], None] = waits.append if waits is not None else (lambda s: None)
    return open_connector("mapado", credentials, sleep=sleep)


def sync(credentials: Credentials, since: datetime = LONG_AGO) -> tuple[list[ShowData], int]:
    connector, client = connect(credentials)
    with client:
        shows = list(connector.shows_changed_since(since))
    return shows, client.requests_made


def latest_tickets(shows: Iterable[ShowData]) -> dict[str, TicketData]:
    """The ledger: the latest state of each ticket, by update time (later runs win ties)."""
    ledger: dict[str, TicketData] = {}
    for show in shows:
        for ticket in show.tickets or ():
            known = ledger.get(ticket.external_id)
            if known is None or ticket.updated_at >= known.updated_at:
                ledger[ticket.external_id] = ticket
    return ledger


def ledger_figures(shows: Iterable[ShowData], dataset: Dataset) -> dict[int, ExpectedFigures]:
    """Per performance id of the data set, as `Dataset.expected_figures()` presents them."""
    by_performance: dict[int, list[TicketData]] = {
        performance_id: [] for performance_id in dataset.expected_figures()
    }
    for ticket in latest_tickets(shows).values():
        by_performance[int(ticket.performance_external_id)].append(ticket)
    result = {}
    for performance_id, tickets in by_performance.items():
        figures = figures_from_tickets((t.price_incl_vat, t.vat_rate, t.cancelled) for t in tickets)
        result[performance_id] = ExpectedFigures(
            figures.free_tickets,
            figures.paid_tickets,
            figures.revenue_incl_vat,
            figures.revenue_excl_vat,
        )
    return result
