"""The one rule turning tickets into a performance's figures, for the ledger and the dry run."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ticketing.connectors.base import Figures, to_cents


@dataclass(frozen=True)
class RateTotal:
    """The valid (not cancelled) tickets of one performance sold at one VAT rate."""

    vat_rate: Decimal
    paid_tickets: int
    free_tickets: int
    revenue_incl_vat: Decimal  # sum of the paid tickets' prices


def figures_from_totals(totals: Iterable[RateTotal]) -> Figures:
    """Excl. VAT is Σ price / (1 + rate) per rate, kept as an exact fraction and rounded half-up
    to the cent once (no per-ticket rounding, no 28-digit sum landing under a half cent); one
    rate or None."""
    free = paid = 0
    incl = Decimal(0)
    excl = Fraction(0)
    rates = set()
    for total in totals:
        free += total.free_tickets
        if not total.paid_tickets:
            continue
        paid += total.paid_tickets
        incl += total.revenue_incl_vat
        excl += Fraction(total.revenue_incl_vat) / (1 + Fraction(total.vat_rate))
        rates.add(total.vat_rate)
    return Figures(
        revenue_incl_vat=to_cents(incl),
        revenue_excl_vat=Decimal(math.floor(excl * 100 + Fraction(1, 2))) / 100,
        vat_rate=rates.pop() if len(rates) == 1 else None,
        free_tickets=free,
        paid_tickets=paid,
    )


def figures_from_tickets(tickets: Iterable[tuple[Decimal, Decimal, bool]]) -> Figures:
    """From (price incl. VAT, VAT rate, cancelled): cancelled tickets excluded, price 0 = free."""
    by_rate: dict[Decimal, list] = {}
    for price, rate, cancelled in tickets:
        if cancelled:
            continue
        total = by_rate.setdefault(rate, [0, 0, Decimal(0)])
        if price == 0:
            total[1] += 1
        else:
            total[0] += 1
            total[2] += price
    return figures_from_totals(
        RateTotal(rate, paid, free, incl) for rate, (paid, free, incl) in by_rate.items()
    )
