"""The figures every organism asks for, computed from a `DeclarationSnapshot` (pure functions).

Sums are exact (the amounts are already in cents); the only roundings are the average ticket
price and the CNM/ASTP tax, each rounded once, half-up, to the cent.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from declarations.choices import SHOW_TAX_RATE
from declarations.rules import to_cents
from declarations.snapshot import ZERO, Amount, DeclarationSnapshot, PerformanceSnapshot


@dataclass(frozen=True)
class KeyFigures:
    performance_count: int
    first_start: datetime | None  # aware; None when there is no performance
    last_start: datetime | None
    ticketing: Amount  # `ticketing.vat` is the VAT on tickets (Σ incl. − Σ excl.)
    vat_rates: tuple[Decimal, ...]  # the distinct ticket VAT rates, ascending
    paid_tickets: int
    free_tickets: int
    average_price: Decimal | None  # incl. VAT, per paid ticket; None without paid tickets
    bar: Amount
    catering: Amount
    programmes: Amount
    other: Amount
    non_ticketing: Amount  # bar + catering + programmes + other
    expenses: Amount
    introduction_fees: Amount
    circus_fees: Amount

    @property
    def tickets(self) -> int:
        return self.paid_tickets + self.free_tickets


@dataclass(frozen=True)
class ShowTax:
    """The CNM or ASTP tax: 3.5 % of the ticketing revenue excl. VAT or, for a free show, of
    the sale price ("prix de cession") excl. VAT."""

    base: Decimal
    rate: Decimal
    tax: Decimal
    free_show: bool  # True: the base is the sale price

    @property
    def base_label(self) -> str:
        if self.free_show:
            return "prix de cession HT (spectacle gratuit)"
        return "recette de billetterie HT"


def amount_sum(amounts: Iterable[Amount]) -> Amount:
    total = ZERO
    for item in amounts:
        total += item
    return Amount(to_cents(total.excl_vat), to_cents(total.incl_vat))


def key_figures(snapshot: DeclarationSnapshot) -> KeyFigures:
    performances = snapshot.performances
    starts = [p.starts_at for p in performances]
    ticketing = amount_sum(p.ticketing for p in performances)
    paid = sum(p.paid_tickets for p in performances)
    show = snapshot.show
    return KeyFigures(
        performance_count=len(performances),
        first_start=min(starts, default=None),
        last_start=max(starts, default=None),
        ticketing=ticketing,
        vat_rates=tuple(sorted({p.vat_rate for p in performances})),
        paid_tickets=paid,
        free_tickets=sum(p.free_tickets for p in performances),
        average_price=to_cents(ticketing.incl_vat / paid) if paid else None,
        bar=amount_sum(p.bar for p in performances),
        catering=amount_sum(p.catering for p in performances),
        programmes=amount_sum(p.programmes for p in performances),
        other=amount_sum(p.other for p in performances),
        non_ticketing=amount_sum(p.non_ticketing for p in performances),
        expenses=show.expenses,
        introduction_fees=show.introduction_fees,
        circus_fees=show.circus_fees,
    )


def is_free_show(performances: Iterable[PerformanceSnapshot]) -> bool:
    """No paid ticket and no ticketing revenue: nothing was sold."""
    return all(
        p.paid_tickets == 0 and p.ticketing.excl_vat == 0 and p.ticketing.incl_vat == 0
        for p in performances
    )


def show_tax(snapshot: DeclarationSnapshot) -> ShowTax:
    free_show = is_free_show(snapshot.performances)
    if free_show:
        base = to_cents(snapshot.show.sale_price.excl_vat)
    else:
        base = amount_sum(p.ticketing for p in snapshot.performances).excl_vat
    return ShowTax(
        base=base,
        rate=SHOW_TAX_RATE,
        tax=to_cents(base * SHOW_TAX_RATE),
        free_show=free_show,
    )
