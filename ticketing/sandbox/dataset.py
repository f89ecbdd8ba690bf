"""The deterministic ticketing data that every provider fake serves, each in its own API shape.

A `Dataset` is shows × performances × tickets generated from a seed: several ticket categories
per show with their own VAT rate (2.1 %, 5.5 %, 10 %, 20 %, and free categories at 0 %),
invitations, tickets sold online (with a commission) or at the box office, refunds, and an
update time per ticket. `touch()` changes a share of the tickets "now" (refunds and new sales),
so that incremental syncs have something to find. Amounts are `Decimal` euros incl. VAT;
rates are `Decimal` fractions. Times are aware UTC datetimes.

`expected_figures()` is the reference every connector test compares with: per performance, free
and paid tickets and revenue incl. and excl. VAT, excl. VAT summed ticket by ticket as exact
fractions and rounded half-up once at the end (a sum of 28-digit decimals can land just under a
half cent that the exact value reaches).
"""

import math
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
RATES = (Decimal("0.055"), Decimal("0.021"), Decimal("0.1"), Decimal("0.2"))
SHOW_NAMES = (
    "Le Songe d'une nuit d'été",
    "Concert du Nouvel An",
    "Les Fourberies de Scapin",
    "Jazz au jardin",
    "Cirque des Étoiles",
    "Ballet Casse-Noisette",
    "Stand-up : Rires en scène",
    "Festival Ondes Courtes",
    "Orchestre de chambre",
    "Marionnettes pour tous",
)
PAYMENTS = ("web", "web", "web", "card", "cash", "check")


@dataclass(frozen=True, slots=True)
class FakeCategory:
    id: int
    show_id: int
    name: str
    price: Decimal  # incl. VAT
    vat_rate: Decimal
    commission: Decimal  # taken by the provider on online sales


@dataclass(frozen=True, slots=True)
class FakePerformance:
    id: int
    show_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class FakeShow:
    id: int
    name: str
    performances: tuple[FakePerformance, ...]
    categories: tuple[FakeCategory, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FakeTicket:
    id: int
    show_id: int
    performance_id: int
    category_id: int
    price: Decimal  # what the spectator paid, incl. VAT (0 for invitations)
    vat_rate: Decimal
    commission: Decimal  # provider fee included in `price` when sold online
    payment: str  # "web", "card", "cash", "check", "invitation"
    refunded: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ExpectedFigures:
    free_tickets: int
    paid_tickets: int
    revenue_incl_vat: Decimal
    revenue_excl_vat: Decimal


@dataclass
class Dataset:
    shows: list[FakeShow]
    tickets: list[FakeTicket]
    now: datetime
    _show_index: dict[int, FakeShow] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._show_index = {show.id: show for show in self.shows}

    def show(self, show_id: int) -> FakeShow | None:
        return self._show_index.get(show_id)

    def category(self, category_id: int) -> FakeCategory:
        show = self._show_index[category_id // 100]
        return next(c for c in show.categories if c.id == category_id)

    def tickets_of_show(self, show_id: int) -> list[FakeTicket]:
        return [ticket for ticket in self.tickets if ticket.show_id == show_id]

    def tickets_updated_since(self, since: datetime) -> list[FakeTicket]:
        return [ticket for ticket in self.tickets if ticket.updated_at >= since]

    def touch(self, *, share: float, at: datetime, seed: int = 1) -> int:
        """Refunds or re-prices `share` of the tickets at time `at`; returns how many changed."""
        rng = random.Random(seed)
        count = max(1, round(len(self.tickets) * share)) if self.tickets else 0
        for index in rng.sample(range(len(self.tickets)), count):
            ticket = self.tickets[index]
            self.tickets[index] = replace(ticket, refunded=not ticket.refunded, updated_at=at)
        self.now = max(self.now, at)
        return count

    def expected_figures(
        self, *, deduct_online_commission: bool = False
    ) -> dict[int, ExpectedFigures]:
        """Per performance id. Refunded tickets are excluded; a ticket whose (net) price is 0 is
        free; excl. VAT is summed per ticket exactly, then rounded half-up to the cent once."""
        totals: dict[int, list] = {
            p.id: [0, 0, Decimal(0), Fraction(0)] for show in self.shows for p in show.performances
        }
        for ticket in self.tickets:
            if ticket.refunded:
                continue
            price = ticket.price
            if deduct_online_commission and ticket.payment == "web":
                price = max(Decimal(0), price - ticket.commission)
            row = totals[ticket.performance_id]
            if price == 0:
                row[0] += 1
            else:
                row[1] += 1
                row[2] += price
                row[3] += Fraction(price) / (1 + Fraction(ticket.vat_rate))
        return {
            performance_id: ExpectedFigures(
                free_tickets=free,
                paid_tickets=paid,
                revenue_incl_vat=incl.quantize(CENT, ROUND_HALF_UP),
                revenue_excl_vat=_cents_half_up(excl),
            )
            for performance_id, (free, paid, incl, excl) in totals.items()
        }


def build_dataset(
    *,
    shows: int = 5,
    performances_per_show: int = 3,
    tickets_per_performance: int = 40,
    seed: int = 2026,
    now: datetime | None = None,
) -> Dataset:
    """Shows ids are 1000, 1001…; performance ids show_id * 1000 + n; category ids show_id * 100
    + n; ticket ids count from 1. Performances spread over the 13 months before `now` and the
    month after; tickets were sold in the 60 days before their performance."""
    rng = random.Random(seed)
    now = now or datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    show_list, tickets = [], []
    ticket_id = 0
    for index in range(shows):
        show_id = 1000 + index
        first = now - timedelta(days=395) + timedelta(days=rng.randrange(0, 400))
        first = first.replace(hour=18 + rng.randrange(0, 3), minute=rng.choice((0, 30)), second=0)
        performances = tuple(
            FakePerformance(
                id=show_id * 1000 + n,
                show_id=show_id,
                starts_at=first + timedelta(days=n),
                ends_at=first + timedelta(days=n, hours=2),
            )
            for n in range(performances_per_show)
        )
        main_rate = rng.choice(RATES)
        # Most shows have one rate; some mix two (a bar ticket at 20 %, for instance).
        second_rate = rng.choice(RATES) if rng.random() < 0.3 else main_rate
        categories = (
            FakeCategory(
                show_id * 100 + 1,
                show_id,
                "Plein tarif",
                _price(rng, 18, 45),
                main_rate,
                Decimal("0.99"),
            ),
            FakeCategory(
                show_id * 100 + 2,
                show_id,
                "Tarif réduit",
                _price(rng, 8, 17),
                main_rate,
                Decimal("0.49"),
            ),
            FakeCategory(
                show_id * 100 + 3,
                show_id,
                "Formule avec boisson",
                _price(rng, 20, 50),
                second_rate,
                Decimal("0.99"),
            ),
            FakeCategory(
                show_id * 100 + 4, show_id, "Invitation", Decimal(0), Decimal(0), Decimal(0)
            ),
        )
        created_at = performances[0].starts_at - timedelta(days=90)
        show_list.append(
            FakeShow(
                show_id,
                f"{rng.choice(SHOW_NAMES)} #{index + 1}",
                performances,
                categories,
                created_at,
            )
        )
        for performance in performances:
            for _ in range(tickets_per_performance):
                ticket_id += 1
                category = rng.choices(categories, weights=(50, 25, 15, 10))[0]
                payment = "invitation" if category.price == 0 else rng.choice(PAYMENTS)
                sold = performance.starts_at - timedelta(minutes=rng.randrange(10, 60 * 24 * 60))
                sold = min(sold, now)
                tickets.append(
                    FakeTicket(
                        id=ticket_id,
                        show_id=show_id,
                        performance_id=performance.id,
                        category_id=category.id,
                        price=category.price,
                        vat_rate=category.vat_rate,
                        commission=category.commission if payment == "web" else Decimal(0),
                        payment=payment,
                        refunded=rng.random() < 0.04,
                        created_at=sold,
                        updated_at=sold,
                    )
                )
    return Dataset(shows=show_list, tickets=tickets, now=now)


def _price(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100, 50)) / 100


def _cents_half_up(amount: Fraction) -> Decimal:
    """A non-negative exact amount rounded half-up to the cent."""
    return Decimal(math.floor(amount * 100 + Fraction(1, 2))) / 100
