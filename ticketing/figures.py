"""The one rule turning tickets into a performance's figures, for the ledger and the dry run."""

from collections.abc import Iterable
from decimal import Decimal

from ticketing.connectors.base import Figures, to_cents


def figures_from_tickets(tickets: Iterable[tuple[Decimal, Decimal, bool]]) -> Figures:
    """From (price incl. VAT, VAT rate, cancelled): cancelled tickets excluded, price 0 = free,
    excl. VAT summed per ticket at full precision and rounded half-up once; one rate or None."""
    free = paid = 0
    incl = excl = Decimal(0)
    rates = set()
    for price, rate, cancelled in tickets:
        if cancelled:
            continue
        if price == 0:
            free += 1
            continue
        paid += 1
        incl += price
        excl += price / (1 + rate)
        rates.add(rate)
    return Figures(
        revenue_incl_vat=to_cents(incl),
        revenue_excl_vat=to_cents(excl),
        vat_rate=rates.pop() if len(rates) == 1 else None,
        free_tickets=free,
        paid_tickets=paid,
    )
