"""The ticket ledger in SQL: a run's ticket changes are written in one statement per show and
the affected performances are recomputed from per-rate totals, never from Python objects for
every ticket (a first sync of a large account writes hundreds of thousands of rows)."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum

from ticketing.connectors.base import Figures, TicketData
from ticketing.figures import RateTotal, figures_from_totals
from ticketing.models import LedgerTicket

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


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


def ledger_write(system_id: int, tickets: Iterable[tuple[int, TicketData]]) -> set[int]:
    """Records the tickets, each with the id of its performance (an older state than the one
    recorded is ignored), and returns the ids of the performances whose figures may have
    changed, including those a ticket left."""
    latest: dict[str, tuple[int, TicketData]] = {}
    for performance_id, ticket in tickets:  # one state per ticket: a statement updates a row once
        known = latest.get(ticket.external_id)
        if known is None or known[1].updated_at <= ticket.updated_at:
            latest[ticket.external_id] = (performance_id, ticket)
    if not latest:
        return set()
    ids = _text_array(latest)
    performances = [performance_id for performance_id, _ in latest.values()]
    states = [ticket for _, ticket in latest.values()]
    with connection.cursor() as cursor:
        cursor.execute(_PREVIOUS, [system_id, ids])
        affected = {performance_id for (performance_id,) in cursor.fetchall()}
        cursor.execute(
            _UPSERT,
            [
                system_id,
                ids,
                _array(performances),
                _array("t" if ticket.cancelled else "f" for ticket in states),
                _array(ticket.price_incl_vat for ticket in states),
                _array(ticket.vat_rate for ticket in states),
                # Microseconds since the epoch: an integer costs a fifth of a timestamp to
                # send, and the value is exact.
                _array((ticket.updated_at - EPOCH) // MICROSECOND for ticket in states),
            ],
        )
        affected.update(performance_id for (performance_id,) in cursor.fetchall())
    return affected


# Arrays are sent as PostgreSQL array literals built here: the driver would adapt every element
# in Python, five times slower for the hundreds of thousands of tickets of a first sync.


def _array(values: Iterable[object]) -> str:
    """The literal of an array of numbers or booleans ("t"/"f")."""
    return "{" + ",".join(map(str, values)) + "}"


def _text_array(values: Iterable[str]) -> str:
    return "{" + ",".join(map(_quoted, values)) + "}"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
