"""What every connector returns and raises. Connectors never touch the ORM: they read a
provider's API through a `ProviderClient` and return these dataclasses; the sync engine writes.

Two ways of reporting figures, depending on what the provider exposes:
- performance figures (`PerformanceData` with `figures`), recomputed by the connector from all
  the tickets of each changed show;
- ticket changes (`ShowData.tickets`, the performances' `figures` left None): the engine keeps
  a ticket ledger and recomputes the performances those tickets belong to, so an incremental
  run only fetches what changed.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Credentials:
    access_key: (
        str  # Billetweb user id, HelloAsso client id, Shotgun organizer id, Supersoniks domain…
    )
    secret_key: str


@dataclass(frozen=True)
class Figures:
    """Ticketing figures of one performance: refunds excluded, commissions deducted where the
    provider sells online; excl. VAT summed per ticket at that ticket's rate."""

    revenue_incl_vat: Decimal
    revenue_excl_vat: Decimal
    vat_rate: Decimal | None  # one rate for every paid ticket, None when mixed or unknown
    free_tickets: int
    paid_tickets: int


@dataclass(frozen=True)
class PerformanceData:
    external_id: str
    starts_at: datetime  # aware
    ends_at: datetime | None
    figures: Figures | None = None  # None in ticket-ledger mode


@dataclass(frozen=True)
class TicketData:
    """One ticket as the ledger keeps it: no personal data about the spectator."""

    external_id: str
    performance_external_id: str
    cancelled: bool  # refunded, cancelled or disabled: excluded from the figures
    price_incl_vat: Decimal  # net of the provider's commission where it applies
    vat_rate: Decimal
    updated_at: datetime


@dataclass(frozen=True)
class ShowData:
    external_id: str
    name: str
    performances: tuple[PerformanceData, ...]
    tickets: tuple[TicketData, ...] | None = None  # ticket-ledger mode
    # Records skipped because they could not be read; shown on the show, never fatal.
    warnings: tuple[str, ...] = field(default=())
    # JSON the connector wants back at the next run for this show (see `MemoLookup`); None
    # keeps the stored one.
    memo: dict | None = None


# What a connector stored with a show at an earlier run (`ShowData.memo`), by show external id:
# provider metadata it may reuse instead of reading it again. None when there is none.
MemoLookup = Callable[[str], dict | None]


def no_memo(external_id: str) -> None:
    return None


# Remembered provider metadata is read again after this long even when nothing says it changed
# (a rescheduled date of a Billetweb event, a renamed HelloAsso form are not listed as changes).
MEMO_MAX_AGE_SECONDS = 12 * 3600


def memo_new(version: int, **content) -> dict:
    return {"version": version, "read_at": int(time.time()), **content}


def memo_fresh(memo: dict | None, version: int) -> dict | None:
    """The memo, unless it is of another format or older than MEMO_MAX_AGE_SECONDS."""
    if not memo or memo.get("version") != version:
        return None
    read_at = memo.get("read_at")
    if not isinstance(read_at, int) or time.time() - read_at > MEMO_MAX_AGE_SECONDS:
        return None
    return memo


class ConnectorError(Exception):
    """Base class. `message` is French and shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransientError(ConnectorError):
    """Worth retrying later: timeout, 5xx, rate limit, provider firewall."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """Retrying will not help until the user acts (bad credentials, missing rights…)."""


class Connector(Protocol):
    provider: str

    def check_credentials(self) -> None:
        """Raises PermanentError (with what to do) when the credentials do not work."""

    def shows_changed_since(
        self, since: datetime, memos: MemoLookup = no_memo
    ) -> Iterator[ShowData]:
        """Every show with a change since `since`, one at a time, with all its performances."""
