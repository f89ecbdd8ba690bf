"""Database set-ups for the declaration tests: an organisation, its members, a show."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts.models import Role
from declarations.forms import TICKETING_FIELDS
from tests.factories import MembershipFactory
from ticketing.models import Performance, Show, TicketingSystem

PARIS = ZoneInfo("Europe/Paris")
FIRST = datetime(2026, 3, 14, 20, 30, tzinfo=PARIS)


def show_with_performances(count: int = 2, *, role: str = Role.OWNER):
    """(membership, show): a synced show of `count` evenings with figures."""
    membership = MembershipFactory(role=role)
    organisation = membership.organisation
    organisation.sacem_id = "4242"
    organisation.sacd_id = "1234567"
    organisation.save()
    system = TicketingSystem.objects.create(organisation=organisation, provider="billetweb")
    show = Show.objects.create(
        ticketing_system=system,
        organisation=organisation,
        external_id="77",
        name="Le Cracheur de feu",
        first_starts_at=FIRST,
        last_ends_at=FIRST + timedelta(days=count),
    )
    Performance.objects.bulk_create(
        Performance(
            show=show,
            external_id=str(index),
            starts_at=FIRST + timedelta(days=index),
            ends_at=FIRST + timedelta(days=index, hours=2),
            revenue_excl_vat=Decimal("1137.44"),
            revenue_incl_vat=Decimal("1200.00"),
            vat_rate=Decimal("0.055"),
            paid_tickets=96,
            free_tickets=4,
        )
        for index in range(count)
    )
    return membership, show


def form_data(show: Show, organisms=("sacem", "sacd"), **changes) -> dict:
    """A complete, valid POST of the declaration form for `show` (as the page renders it)."""
    data = {
        "spectacle-organisms": list(organisms),
        "spectacle-performance_type": "theatre",
        "spectacle-venue_name": "Salle des Lilas",
        "spectacle-venue_street": "12 rue des Lilas",
        "spectacle-venue_postal_code": "69004",
        "spectacle-venue_city": "Lyon",
        "spectacle-venue_type": "THEATRE",
        "spectacle-capacity": "120",
        "spectacle-audience": "all",
        "spectacle-vat_rate": "0.055",
        "spectacle-producer_siren": "552100554",
        "spectacle-producer_name": "Compagnie des Braises",
        "spectacle-expenses_excl_vat": "3000",
        "spectacle-expenses_incl_vat": "3165",
        "spectacle-introduction_fees_excl_vat": "400",
        "spectacle-introduction_fees_incl_vat": "422",
        "spectacle-circus_fees_excl_vat": "0",
        "spectacle-circus_fees_incl_vat": "0",
        "spectacle-sale_price_excl_vat": "0",
        "spectacle-sale_price_incl_vat": "0",
    }
    performances = list(show.performances.order_by("starts_at", "pk"))
    data.update(
        {
            "r-TOTAL_FORMS": str(len(performances)),
            "r-INITIAL_FORMS": str(len(performances)),
            "r-MIN_NUM_FORMS": "0",
            "r-MAX_NUM_FORMS": "1000",
        }
    )
    for index, performance in enumerate(performances):
        prefix = f"r-{index}-"
        data.update(
            {
                f"{prefix}id": str(performance.pk),
                f"{prefix}revenue_excl_vat": str(performance.revenue_excl_vat).replace(".", ","),
                f"{prefix}revenue_incl_vat": str(performance.revenue_incl_vat).replace(".", ","),
                f"{prefix}vat_rate": str(performance.vat_rate.normalize())
                if performance.vat_rate is not None
                else "",
                f"{prefix}paid_tickets": str(performance.paid_tickets),
                f"{prefix}free_tickets": str(performance.free_tickets),
                f"{prefix}venue_name": performance.venue_name,
                f"{prefix}venue_street": performance.venue_street,
                f"{prefix}venue_postal_code": performance.venue_postal_code,
                f"{prefix}venue_city": performance.venue_city,
                f"{prefix}venue_type": performance.venue_type,
                f"{prefix}capacity": str(performance.capacity or ""),
                f"{prefix}audience": performance.audience,
            }
        )
        for name in ("bar", "catering", "programmes", "other"):
            for part in ("excl_vat", "incl_vat"):
                data[f"{prefix}{name}_{part}"] = str(getattr(performance, f"{name}_{part}"))
        # The values the page showed, posted back with the ticketing figures.
        for name in TICKETING_FIELDS:
            data[f"initial-{prefix}{name}"] = data[f"{prefix}{name}"]
    data.update(changes)
    return data
