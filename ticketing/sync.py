"""The sync engine: one run per ticketing system, never two at once, committed show by show.

`sync_request()` records a queued SyncRun and enqueues the django-q2 task; the task calls
`sync_execute()`, which takes a PostgreSQL advisory lock keyed by the system (released when the
run ends or its connection dies), reads the shows changed since the last successful run from
the connector, and applies each one in its own transaction (`show_apply`). A crash or an outage
loses nothing already applied; the next run starts again from the last success.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from ticketing.connectors import open_connector
from ticketing.connectors.base import (
    ConnectorError,
    Figures,
    PerformanceData,
    ShowData,
    TicketData,
    to_cents,
)
from ticketing.credentials import credentials_decrypt
from ticketing.ledger import ledger_figures, ledger_write
from ticketing.models import Performance, Show, SyncRun, TicketingSystem
from ticketing.rate_budget import throttle_for

logger = logging.getLogger(__name__)

FIRST_SYNC_WINDOW = timedelta(days=395)  # 13 months of performances
# Tickets of those performances may have been sold long before: the first run reads changes
# from this much earlier, so that ticket-ledger connectors miss no presale.
PRESALE_LOOKBACK = timedelta(days=365)
LOCK_NAMESPACE = 7311  # first key of pg_advisory_lock(int, int): "ticketing sync"
ALREADY_RUNNING = "Une synchronisation de cette billetterie est déjà en cours."
UNEXPECTED = (
    "La synchronisation s'est arrêtée sur une erreur inattendue. Notre équipe est prévenue ; "
    "les spectacles déjà synchronisés sont conservés."
)
ACTIVE = (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)
SYNC_TIMEOUT_SECONDS = 3600


def _try_lock(system_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, system_id])
        return bool(cursor.fetchone()[0])


def _unlock(system_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, system_id])


def sync_request(*, system: TicketingSystem, trigger: str = "user") -> tuple[SyncRun, bool]:
    """Queues a run unless one is already queued or running. Returns (run, created)."""
    with transaction.atomic():
        TicketingSystem.objects.select_for_update().get(pk=system.pk)
        active = system.sync_runs.filter(status__in=ACTIVE).first()
        if active is not None and not release_if_dead(active):
            return active, False
        run = SyncRun.objects.create(ticketing_system=system, trigger=trigger)
        transaction.on_commit(
            lambda: async_task(
                "ticketing.tasks.sync_run",
                run.pk,
                group="ticketing-sync",
                timeout=SYNC_TIMEOUT_SECONDS,
            )
        )
    return run, True


def release_if_dead(run: SyncRun) -> bool:
    """A run marked running whose lock is free was killed: mark it failed so a new one can go."""
    if run.status != SyncRun.Status.RUNNING or not _try_lock(run.ticketing_system_id):
        return False
    _unlock(run.ticketing_system_id)
    run.status = SyncRun.Status.FAILED
    run.error = "La synchronisation a été interrompue ; elle reprendra là où elle s'était arrêtée."
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    return True


def window_start(system: TicketingSystem, now: datetime) -> datetime:
    candidates = [d for d in (system.last_synced_from, system.force_sync_from) if d]
    return min(candidates) if candidates else now - FIRST_SYNC_WINDOW - PRESALE_LOOKBACK


def sync_execute(run_id: int, *, sleep: Callable[[float], None] | None = None) -> SyncRun:
    run = SyncRun.objects.select_related("ticketing_system").get(pk=run_id)
    system = run.ticketing_system
    if not _try_lock(system.pk):
        if run.status == SyncRun.Status.QUEUED:  # another run holds the system
            run.status, run.error = SyncRun.Status.FAILED, ALREADY_RUNNING
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
        return run  # else this very run is being processed by another worker
    client = None
    try:
        started = timezone.now()  # before any fetch: changes made during the run come next time
        run.status, run.started_at = SyncRun.Status.RUNNING, started
        run.window_from = window_start(system, started)
        run.save(update_fields=["status", "started_at", "window_from"])
        credentials = credentials_decrypt(system.credentials_encrypted)
        throttle = throttle_for(system.provider, system.credentials_fingerprint, **_sleep(sleep))
        connector, client = open_connector(
            system.provider, credentials, throttle=throttle, **_sleep(sleep)
        )
        memos = _memo_lookup(system)
        for data in connector.shows_changed_since(run.window_from, memos):
            outcome = show_apply(system, data)
            setattr(run, f"shows_{outcome}", getattr(run, f"shows_{outcome}") + 1)
            run.requests_made = client.requests_made
            run.save(update_fields=[f"shows_{outcome}", "requests_made"])  # progress
    except ConnectorError as error:
        run.status, run.error = SyncRun.Status.FAILED, error.message
    except Exception:
        logger.exception("Ticketing sync %s failed", run.pk)
        run.status, run.error = SyncRun.Status.FAILED, UNEXPECTED
    else:
        run.status = SyncRun.Status.SUCCEEDED
        system.last_synced_from, system.force_sync_from = started, None
        system.save(update_fields=["last_synced_from", "force_sync_from"])
    finally:
        if client is not None:
            run.requests_made = client.requests_made
            run.rate_limited_responses = client.rate_limited_responses
            client.close()
        run.finished_at = timezone.now()
        run.save(
            update_fields=[
                "status",
                "error",
                "finished_at",
                "requests_made",
                "rate_limited_responses",
            ]
        )
        _unlock(system.pk)
    return run


def _memo_lookup(system: TicketingSystem) -> Callable[[str], dict | None]:
    def memo(external_id: str) -> dict | None:
        return (
            Show.objects.filter(ticketing_system=system, external_id=external_id)
            .values_list("connector_memo", flat=True)
            .first()
        )

    return memo


def _sleep(sleep: Callable[[float], None] | None) -> dict:
    return {"sleep": sleep} if sleep is not None else {}


@dataclass
class _Change:
    changed: bool = False

    def set(self, obj, field: str, value) -> None:
        if getattr(obj, field) != value:
            setattr(obj, field, value)
            self.changed = True


@transaction.atomic
def show_apply(system: TicketingSystem, data: ShowData) -> str:
    """Writes one show; returns "added", "updated", "unchanged" or "skipped" (frozen)."""
    show = (
        Show.objects.select_for_update()
        .filter(ticketing_system=system, external_id=data.external_id)
        .first()
    )
    if show is not None and show.frozen_at is not None:
        return "skipped"
    created = show is None
    if created:
        show = Show.objects.create(
            ticketing_system=system,
            organisation_id=system.organisation_id,
            external_id=data.external_id,
            name=data.name[:300],
        )
    change = _Change(changed=created)
    change.set(show, "name", data.name[:300])
    change.set(show, "sync_warnings", "\n".join(data.warnings))
    change.set(show, "remote_missing_at", None)
    performances = _performances_apply(show, data.performances, change, complete=not data.warnings)
    if data.tickets is not None:
        _ledger_apply(system, show, performances, data.tickets, change)
    live = [p for p in performances.values() if p.remote_missing_at is None] or list(
        performances.values()
    )
    change.set(show, "first_starts_at", min((p.starts_at for p in live), default=None))
    change.set(show, "last_ends_at", max((p.ends_at or p.starts_at for p in live), default=None))
    memo_changed = data.memo is not None and data.memo != show.connector_memo
    if memo_changed:
        show.connector_memo = data.memo  # not a change the user would see
    if change.changed:
        show.updated_at = timezone.now()
        show.save()
    elif memo_changed:
        show.save(update_fields=["connector_memo"])
    return "added" if created else ("updated" if change.changed else "unchanged")


def _performances_apply(
    show: Show, incoming: tuple[PerformanceData, ...], change: _Change, *, complete: bool
) -> dict[str, Performance]:
    """Upserts the performances; the user's figures are kept. A performance gone remotely is
    deleted only when that is certainly harmless (a complete read, no user edit, no ticket in
    the ledger); otherwise it is kept and flagged."""
    existing = {p.external_id: p for p in show.performances.all()}
    seen, created = set(), []
    for data in incoming:
        seen.add(data.external_id)
        performance = existing.get(data.external_id)
        if performance is None:
            performance = Performance(
                show=show, external_id=data.external_id, starts_at=data.starts_at
            )
            existing[data.external_id] = performance
            created.append(performance)
        row = _Change()
        row.set(performance, "starts_at", data.starts_at)
        row.set(performance, "ends_at", data.ends_at)
        row.set(performance, "remote_missing_at", None)
        if data.figures is not None and performance.user_edited_at is None:
            _figures_set(performance, data.figures, row)
        if row.changed and performance.pk is not None:
            performance.save()
            change.changed = True
    if created:
        Performance.objects.bulk_create(created)  # one statement; PostgreSQL returns the ids
        change.changed = True
    for external_id, performance in list(existing.items()):
        if external_id in seen:
            continue
        if (
            not complete
            or performance.user_edited_at is not None
            or performance.ledger_tickets.exists()
        ):
            if performance.remote_missing_at is None:
                performance.remote_missing_at = timezone.now()
                performance.save(update_fields=["remote_missing_at"])
                change.changed = True
        else:
            performance.delete()
            del existing[external_id]
            change.changed = True
    return existing


def _figures_set(performance: Performance, figures: Figures, row: _Change) -> None:
    row.set(performance, "revenue_incl_vat", to_cents(figures.revenue_incl_vat))
    row.set(performance, "revenue_excl_vat", to_cents(figures.revenue_excl_vat))
    row.set(performance, "vat_rate", figures.vat_rate)
    row.set(performance, "free_tickets", figures.free_tickets)
    row.set(performance, "paid_tickets", figures.paid_tickets)


def _ledger_apply(
    system: TicketingSystem,
    show: Show,
    performances: dict[str, Performance],
    tickets: tuple[TicketData, ...],
    change: _Change,
) -> None:
    """Stores the changed tickets, then recomputes the performances they belong to from every
    ticket of the ledger: an incremental run never needs the show's other tickets again."""
    rows, warnings = [], []
    for ticket in tickets:
        performance = performances.get(ticket.performance_external_id)
        if performance is None:
            warnings.append(f"Billet {ticket.external_id} : représentation inconnue, ignoré.")
        else:
            rows.append((performance.pk, ticket))
    affected = ledger_write(system.pk, rows)
    if warnings:
        show.sync_warnings = "\n".join(filter(None, [show.sync_warnings, *warnings]))
        change.changed = True
    recomputed = [p for p in performances.values() if p.pk in affected and p.user_edited_at is None]
    figures = ledger_figures(p.pk for p in recomputed)
    for performance in recomputed:
        row = _Change()
        _figures_set(performance, figures[performance.pk], row)
        if row.changed:
            performance.save()
            change.changed = True
