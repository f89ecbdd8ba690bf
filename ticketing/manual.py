"""Shows typed in by hand, held by the organisation's MANUAL ticketing system. They can be
edited and deleted until a declaration has left."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation
from ticketing.models import Performance, Provider, Show, TicketingSystem


class ManualShowError(Exception):
    """Refused; the message is French."""


FROZEN = "Ce spectacle a déjà été déclaré : il ne peut plus être modifié ni supprimé."


@dataclass(frozen=True)
class PerformanceInput:
    starts_at: datetime
    ends_at: datetime | None
    performance_id: int | None = None  # an existing performance of the show


def _manual_system(organisation: Organisation) -> TicketingSystem:
    system = TicketingSystem.objects.filter(
        organisation=organisation, provider=Provider.MANUAL
    ).first()
    if system is not None:
        return system
    try:
        with transaction.atomic():
            return TicketingSystem.objects.create(
                organisation=organisation, provider=Provider.MANUAL
            )
    except IntegrityError:  # created at the same moment by a colleague
        return TicketingSystem.objects.get(organisation=organisation, provider=Provider.MANUAL)


def _dates_set(show: Show) -> None:
    performances = list(show.performances.all())
    show.first_starts_at = min((p.starts_at for p in performances), default=None)
    show.last_ends_at = max((p.ends_at or p.starts_at for p in performances), default=None)
    show.updated_at = timezone.now()
    show.save()


@transaction.atomic
def manual_show_create(
    *, organisation: Organisation, name: str, performances: list[PerformanceInput]
) -> Show:
    if not performances:
        raise ManualShowError("Ajoutez au moins une représentation.")
    show = Show.objects.create(
        ticketing_system=_manual_system(organisation),
        organisation=organisation,
        external_id=uuid.uuid4().hex,
        name=name.strip(),
    )
    for item in performances:
        Performance.objects.create(
            show=show, external_id=uuid.uuid4().hex, starts_at=item.starts_at, ends_at=item.ends_at
        )
    _dates_set(show)
    return show


def _locked_manual_show(organisation: Organisation, show_id: int) -> Show:
    show = (
        Show.objects.select_for_update()
        .filter(organisation=organisation, pk=show_id, ticketing_system__provider=Provider.MANUAL)
        .first()
    )
    if show is None:
        raise ManualShowError("Ce spectacle n'existe pas ou n'a pas été saisi à la main.")
    if show.frozen_at is not None:
        raise ManualShowError(FROZEN)
    return show


@transaction.atomic
def manual_show_update(
    *, organisation: Organisation, show_id: int, name: str, performances: list[PerformanceInput]
) -> Show:
    """Renames the show and makes its performances exactly `performances`: kept ones updated,
    new ones created, the others deleted."""
    if not performances:
        raise ManualShowError("Ajoutez au moins une représentation.")
    show = _locked_manual_show(organisation, show_id)
    show.name = name.strip()
    existing = {p.pk: p for p in show.performances.all()}
    kept = set()
    for item in performances:
        performance = existing.get(item.performance_id) if item.performance_id else None
        if performance is None:
            Performance.objects.create(
                show=show,
                external_id=uuid.uuid4().hex,
                starts_at=item.starts_at,
                ends_at=item.ends_at,
            )
            continue
        kept.add(performance.pk)
        performance.starts_at, performance.ends_at = item.starts_at, item.ends_at
        performance.save(update_fields=["starts_at", "ends_at"])
    Performance.objects.filter(pk__in=set(existing) - kept).delete()
    _dates_set(show)
    return show


@transaction.atomic
def manual_show_delete(*, organisation: Organisation, show_id: int) -> None:
    show = _locked_manual_show(organisation, show_id)
    # Sending attempts are kept as evidence, even those that failed before anything left.
    if show.declarations.filter(transmissions__isnull=False).exists():
        raise ManualShowError(
            "Une déclaration de ce spectacle a déjà été envoyée ou tentée : il ne peut plus être "
            "supprimé."
        )
    show.delete()
