"""The organisation's shows as the home page lists them."""

from dataclasses import dataclass

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Organisation
from ticketing.models import Provider, Show, SyncRun, TicketingSystem


@dataclass(frozen=True)
class ShowFilter:
    key: str
    label: str


FILTERS = (
    ShowFilter("a-declarer", "À déclarer"),
    ShowFilter("en-alerte", "En alerte"),
    ShowFilter("declares", "Déclarés"),
    ShowFilter("tous", "Tous"),
)
DEFAULT_FILTER = "a-declarer"


def _declarations(**conditions) -> Exists:
    # By table name: the declarations app builds on this one, not the reverse.
    from declarations.models import Declaration

    return Exists(Declaration.objects.filter(show=OuterRef("pk"), **conditions))


def _alert() -> Q:
    """Shows that need a look: records the sync could not read, performances or shows gone
    from the ticketing, or a declaration whose sending failed."""
    return (
        Q(sync_warnings__gt="")
        | Q(remote_missing_at__isnull=False)
        | Q(_declarations(status="failed"))
    )


def shows_listed(organisation: Organisation, filter_key: str) -> QuerySet[Show]:
    shows = Show.objects.filter(organisation=organisation)
    if filter_key == "a-declarer":
        shows = shows.filter(frozen_at__isnull=True, last_ends_at__lt=timezone.now())
    elif filter_key == "en-alerte":
        shows = shows.filter(_alert())
    elif filter_key == "declares":
        shows = shows.filter(frozen_at__isnull=False)
    return (
        shows.select_related("ticketing_system")
        .annotate(
            performance_count=Count("performances"),
            declaration_failed=_declarations(status="failed"),
            declaration_sending=_declarations(status="sending"),
            declaration_corrected=_declarations(status="sent", version__gt=1),
        )
        .order_by("-last_ends_at", "-pk")
    )


def alert_count(organisation: Organisation) -> int:
    return Show.objects.filter(organisation=organisation).filter(_alert()).count()


def last_successful_sync(organisation: Organisation):
    """The oldest "last success" among connected systems (None if one never synced)."""
    systems = TicketingSystem.objects.filter(
        organisation=organisation, disconnected_at__isnull=True
    ).exclude(provider=Provider.MANUAL)
    latest = systems.annotate(
        last=Max("sync_runs__finished_at", filter=Q(sync_runs__status=SyncRun.Status.SUCCEEDED))
    ).values_list("last", flat=True)
    values = list(latest)
    if not values:
        return None, False
    if any(value is None for value in values):
        return None, True
    return min(values), True
