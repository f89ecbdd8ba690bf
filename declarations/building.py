"""From the database to a `DeclarationSnapshot`: the show's details, each performance with what
it inherits from the show (venue, capacity, audience, VAT rate), the organisation."""

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from accounts.models import Organisation
from declarations.choices import DEFAULT_VAT_RATE
from declarations.models import ShowDetails
from declarations.snapshot import (
    Address,
    Amount,
    DeclarationSnapshot,
    OrganisationSnapshot,
    PerformanceSnapshot,
    ShowSnapshot,
    Venue,
)
from ticketing.models import Performance, Show


def details_for(show: Show) -> ShowDetails:
    """The show's details, created on first use and pre-filled from the synced data and from the
    organisation's latest declared show (same venue and producer, most of the time)."""
    try:
        return show.details
    except ShowDetails.DoesNotExist:
        pass
    details = ShowDetails(show=show)
    previous = (
        ShowDetails.objects.filter(show__organisation_id=show.organisation_id)
        .order_by("-updated_at")
        .first()
    )
    if previous is not None:
        for name in _INHERITED_FROM_PREVIOUS:
            setattr(details, name, getattr(previous, name))
    rates = {p.vat_rate for p in show.performances.all() if p.vat_rate is not None}
    details.vat_rate = rates.pop() if len(rates) == 1 else DEFAULT_VAT_RATE
    details.save()
    show.details = details
    return details


_INHERITED_FROM_PREVIOUS = (
    "organisms",
    "performance_type",
    "producer_siren",
    "producer_name",
    "venue_name",
    "venue_street",
    "venue_postal_code",
    "venue_city",
    "venue_type",
    "capacity",
    "audience",
)


def performance_venue(performance: Performance, details: ShowDetails) -> Venue:
    """The performance's own venue when it has one, else the show's."""
    source = performance if performance.venue_name else details
    return Venue(
        name=source.venue_name,
        address=Address(source.venue_street, source.venue_postal_code, source.venue_city),
        venue_type=source.venue_type or details.venue_type,
        capacity=performance.capacity or details.capacity or 0,
    )


def performance_snapshot(performance: Performance, details: ShowDetails) -> PerformanceSnapshot:
    return PerformanceSnapshot(
        id=performance.pk,
        starts_at=performance.starts_at,
        ends_at=performance.ends_at,
        free_tickets=performance.free_tickets,
        paid_tickets=performance.paid_tickets,
        ticketing=Amount(performance.revenue_excl_vat, performance.revenue_incl_vat),
        vat_rate=_effective_rate(performance, details),
        bar=Amount(performance.bar_excl_vat, performance.bar_incl_vat),
        catering=Amount(performance.catering_excl_vat, performance.catering_incl_vat),
        programmes=Amount(performance.programmes_excl_vat, performance.programmes_incl_vat),
        other=Amount(performance.other_excl_vat, performance.other_incl_vat),
        venue=performance_venue(performance, details),
        audience=performance.audience or details.audience,
    )


def _effective_rate(performance: Performance, details: ShowDetails):
    if performance.vat_rate is not None:
        return performance.vat_rate
    return details.vat_rate if details.vat_rate is not None else DEFAULT_VAT_RATE


def organisation_snapshot(organisation: Organisation) -> OrganisationSnapshot:
    return OrganisationSnapshot(
        name=organisation.name,
        siren=organisation.siren,
        siret=organisation.head_office_siret,
        address=Address(organisation.street, organisation.postal_code, organisation.city),
        sacem_id=organisation.sacem_id,
        sacd_id=organisation.sacd_id,
    )


def snapshot_build(
    show: Show,
    details: ShowDetails,
    performances: Sequence[Performance],
    *,
    declarant_name: str,
    declarant_email: str,
    version: int = 1,
    made_at: datetime | None = None,
) -> DeclarationSnapshot:
    return DeclarationSnapshot(
        organisation=organisation_snapshot(show.organisation),
        show=ShowSnapshot(
            id=show.pk,
            name=show.name,
            performance_type=details.performance_type,
            producer_siren=details.producer_siren,
            producer_name=details.producer_name,
            expenses=Amount(details.expenses_excl_vat, details.expenses_incl_vat),
            introduction_fees=Amount(
                details.introduction_fees_excl_vat, details.introduction_fees_incl_vat
            ),
            circus_fees=Amount(details.circus_fees_excl_vat, details.circus_fees_incl_vat),
            sale_price=Amount(details.sale_price_excl_vat, details.sale_price_incl_vat),
        ),
        performances=tuple(
            performance_snapshot(performance, details)
            for performance in sorted(performances, key=lambda p: (p.starts_at, p.pk))
        ),
        declarant_name=declarant_name,
        declarant_email=declarant_email,
        made_at=made_at or timezone.now(),
        version=version,
    )
