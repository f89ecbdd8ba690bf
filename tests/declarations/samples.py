"""Declaration snapshots for the tests of documents and clients (no database needed)."""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from declarations.snapshot import (
    ZERO,
    Address,
    Amount,
    DeclarationSnapshot,
    OrganisationSnapshot,
    PerformanceSnapshot,
    ShowSnapshot,
    Venue,
)

PARIS = ZoneInfo("Europe/Paris")

ORGANISATION = OrganisationSnapshot(
    name="Théâtre de la Lune Rousse",
    siren="784125635",
    siret="78412563500017",
    address=Address("12 rue des Lilas", "69004", "Lyon"),
    sacem_id="4242",
    sacd_id="1234567",
)
VENUE = Venue(
    name="Salle des Lilas",
    address=Address("12 rue des Lilas", "69004", "Lyon"),
    venue_type="THEATRE",
    capacity=120,
)


def amount(excl: str, incl: str) -> Amount:
    return Amount(Decimal(excl), Decimal(incl))


def performance(index: int = 1, **changes) -> PerformanceSnapshot:
    """The index-th evening of a run starting on Saturday 14 March 2026 at 20:30 Paris time."""
    starts_at = datetime(2026, 3, 13 + index, 20, 30, tzinfo=PARIS)
    data = PerformanceSnapshot(
        id=100 + index,
        starts_at=starts_at,
        ends_at=starts_at.replace(hour=22),
        free_tickets=4,
        paid_tickets=96,
        ticketing=amount("1137.44", "1200.00"),
        vat_rate=Decimal("0.055"),
        bar=amount("100.00", "120.00"),
        catering=ZERO,
        programmes=amount("50.00", "60.00"),
        other=ZERO,
        venue=VENUE,
        audience="all",
    )
    return replace(data, **changes)


def snapshot(performances: int = 2, **changes) -> DeclarationSnapshot:
    data = DeclarationSnapshot(
        organisation=ORGANISATION,
        show=ShowSnapshot(
            id=7,
            name="Le Cracheur de feu",
            performance_type="theatre",
            producer_siren="552100554",
            producer_name="Compagnie des Braises",
            expenses=amount("3000.00", "3165.00"),
            introduction_fees=amount("400.00", "422.00"),
            circus_fees=ZERO,
            sale_price=amount("2500.00", "2637.50"),
        ),
        performances=tuple(performance(index) for index in range(1, performances + 1)),
        declarant_name="Camille Martin",
        declarant_email="camille.martin@lune-rousse.example",
        made_at=datetime(2026, 4, 2, 10, 15, tzinfo=PARIS),
    )
    return replace(data, **changes)
