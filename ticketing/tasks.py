from ticketing.models import TicketingSystem
from ticketing.sync import sync_execute, sync_request


def sync_run(run_id: int) -> str:
    return sync_execute(run_id).status


def sync_all_systems() -> int:
    """Nightly: a run for every connected system (MANUAL excluded)."""
    systems = TicketingSystem.objects.filter(disconnected_at__isnull=True).exclude(
        provider="manual"
    )
    return sum(sync_request(system=system, trigger="nightly")[1] for system in systems)
