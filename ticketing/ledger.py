"""The ticket ledger in SQL: a run's ticket changes are written in one statement per show and
the affected performances are recomputed from per-rate totals, never from Python objects for
every ticket (a first sync of a large account writes hundreds of thousands of rows)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum

from ticketing.connectors.base import Figures
from ticketing.figures import RateTotal, figures_from_totals
from ticketing.models import LedgerTicket

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    external_id: str
    performance_id: int
    cancelled: bool
    price_incl_vat: Decimal
    vat_rate: Decimal
    updated_at: datetime


_UPSERT = """
INSERT INTO ticketing_ledgerticket
    (ticketing_system_id, external_id, performance_id, cancelled, price_incl_vat, vat_rate,
     updated_at)
SELECT %s, external_id, performance_id, cancelled, price_incl_vat, vat_rate,
       'epoch'::timestamptz + updated_us * interval '1 microsecond'
FROM unnest(%s::varchar[], %s::bigint[], %s::boolean[], %s::numeric[], %s::numeric[],
            %s::bigint[])
    AS incoming(external_id, performance_id, cancelled, price_incl_vat, vat_rate, updated_us)
ON CONFLICT (ticketing_system_id, external_id) DO UPDATE SET
    performance_id = EXCLUDED.performance_id,
    cancelled = EXCLUDED.cancelled,
    price_incl_vat = EXCLUDED.price_incl_vat,
    vat_rate = EXCLUDED.vat_rate,
    updated_at = EXCLUDED.updated_at
WHERE ticketing_ledgerticket.updated_at <= EXCLUDED.updated_at
RETURNING performance_id
"""
_PREVIOUS = """
SELECT DISTINCT performance_id FROM ticketing_ledgerticket
WHERE ticketing_system_id = %s AND external_id = ANY(%s::varchar[])
"""


def ledger_write(system_id: int, rows: Iterable[LedgerRow]) -> set[int]:
    """Records the tickets (an older state than the one recorded is ignored) and returns the
    ids of the performances whose figures may have changed, including those a ticket left."""
    latest: dict[str, LedgerRow] = {}
    for row in rows:  # one state per ticket: the statement cannot update a row twice
        known = latest.get(row.external_id)
        if known is None or known.updated_at <= row.updated_at:
            latest[row.external_id] = row
    if not latest:
        return set()
    ids = list(latest)
    values = list(latest.values())
    with connection.cursor() as cursor:
        cursor.execute(_PREVIOUS, [system_id, ids])
        affected = {performance_id for (performance_id,) in cursor.fetchall()}
        cursor.execute(
            _UPSERT,
            [
                system_id,
                ids,
                [row.performance_id for row in values],
                [row.cancelled for row in values],
                [row.price_incl_vat for row in values],
                [row.vat_rate for row in values],
                # Microseconds since the epoch: an integer array costs a fifth of a
                # timestamp array to send, and the value is exact.
                [(row.updated_at - EPOCH) // MICROSECOND for row in values],
            ],
        )
        affected.update(performance_id for (performance_id,) in cursor.fetchall())
    return affected


def ledger_figures(performance_ids: Iterable[int]) -> dict[int, Figures]:
    """The figures of each performance from its ledger tickets, in one query."""
    ids = list(performance_ids)
    totals: dict[int, list[RateTotal]] = {performance_id: [] for performance_id in ids}
    paid = Q(price_incl_vat__gt=0)
    rows = (
        LedgerTicket.objects.filter(performance_id__in=ids, cancelled=False)
        .values("performance_id", "vat_rate")
        .annotate(
            paid=Count("pk", filter=paid),
            free=Count("pk", filter=Q(price_incl_vat=0)),
            incl=Sum("price_incl_vat", filter=paid),
        )
        .order_by()
    )
    for row in rows:
        totals[row["performance_id"]].append(
            RateTotal(row["vat_rate"], row["paid"], row["free"], row["incl"] or Decimal(0))
        )
    return {performance_id: figures_from_totals(found) for performance_id, found in totals.items()}
