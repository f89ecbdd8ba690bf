"""The sync engine against a real connector and its sandbox (Shotgun: ticket-ledger mode)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from tests.factories import OrganisationFactory
from tests.ticketing import shotgun_fixtures
from ticketing.credentials import credentials_encrypt, credentials_fingerprint
from ticketing.models import LedgerTicket, Performance, Show, SyncRun, TicketingSystem
from ticketing.sandbox import accounts, faults
from ticketing.sandbox.dataset import build_dataset
from ticketing.sandbox.faults import Fault
from ticketing.sync import ALREADY_RUNNING, LOCK_NAMESPACE, sync_execute, sync_request

pytestmark = pytest.mark.django_db(transaction=True)


def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def account():
    dataset = build_dataset(
        shows=3, performances_per_show=2, tickets_per_performance=20, now=timezone.now()
    )
    credentials, sandbox = shotgun_fixtures.register(dataset)
    organisation = OrganisationFactory()
    system = TicketingSystem.objects.create(
        organisation=organisation,
        provider="shotgun",
        credentials_encrypted=credentials_encrypt(credentials),
        credentials_fingerprint=credentials_fingerprint("shotgun", credentials),
    )
    yield system, dataset
    accounts.clear()
    faults.clear()


def run(system: TicketingSystem) -> SyncRun:
    return sync_execute(SyncRun.objects.create(ticketing_system=system).pk, sleep=no_sleep)


def assert_figures_exact(dataset) -> None:
    expected = dataset.expected_figures()
    performances = Performance.objects.all()
    assert performances.count() == len(expected)
    for performance in performances:
        figures = expected[int(performance.external_id)]
        assert (
            performance.free_tickets,
            performance.paid_tickets,
            performance.revenue_incl_vat,
            performance.revenue_excl_vat,
        ) == (
            figures.free_tickets,
            figures.paid_tickets,
            figures.revenue_incl_vat,
            figures.revenue_excl_vat,
        ), performance.external_id


def test_a_first_sync_writes_every_show_with_exact_figures(account):
    system, dataset = account
    result = run(system)
    assert result.status == SyncRun.Status.SUCCEEDED, result.error
    assert result.shows_added == Show.objects.count() == 6  # Shotgun: one event per performance
    assert result.requests_made > 0
    assert_figures_exact(dataset)
    system.refresh_from_db()
    assert system.last_synced_from == result.started_at
    assert not LedgerTicket.objects.filter(price_incl_vat__lt=0).exists()


def test_an_incremental_sync_reads_only_the_changes(account):
    system, dataset = account
    first = run(system)
    dataset.touch(share=0.05, at=timezone.now() + timedelta(seconds=1))
    second = run(system)
    assert second.status == SyncRun.Status.SUCCEEDED
    assert second.requests_made < first.requests_made
    assert second.shows_updated >= 1
    assert_figures_exact(dataset)
    third = run(system)
    assert (third.requests_made, third.shows_updated, third.shows_added) == (1, 0, 0)


def test_the_users_figures_survive_a_sync(account):
    system, dataset = account
    run(system)
    performance = Performance.objects.first()
    performance.revenue_incl_vat = Decimal("123.45")
    performance.user_edited_at = timezone.now()
    performance.save()
    dataset.touch(share=1.0, at=timezone.now() + timedelta(seconds=1))
    run(system)
    performance.refresh_from_db()
    assert performance.revenue_incl_vat == Decimal("123.45")


def test_a_declared_show_is_never_changed(account):
    system, dataset = account
    run(system)
    show = Show.objects.first()
    Show.objects.filter(pk=show.pk).update(frozen_at=timezone.now(), name="Nom déclaré")
    dataset.touch(share=1.0, at=timezone.now() + timedelta(seconds=1))
    result = run(system)
    assert result.shows_skipped >= 1
    show.refresh_from_db()
    assert show.name == "Nom déclaré"


def test_a_crash_mid_run_loses_nothing_and_the_next_run_resumes(account, monkeypatch):
    system, dataset = account
    from ticketing import sync

    real_apply, applied = sync.show_apply, []

    def apply_then_crash(system, data):
        if len(applied) == 2:
            raise RuntimeError("worker killed")
        applied.append(data.external_id)
        return real_apply(system, data)

    monkeypatch.setattr(sync, "show_apply", apply_then_crash)
    crashed = run(system)
    assert crashed.status == SyncRun.Status.FAILED
    assert "inattendue" in crashed.error
    assert Show.objects.count() == 2  # what was applied before the crash is kept
    system.refresh_from_db()
    assert system.last_synced_from is None  # the next run starts from the same point

    monkeypatch.setattr(sync, "show_apply", real_apply)
    resumed = run(system)
    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert Show.objects.count() == 6
    assert_figures_exact(dataset)


def test_a_provider_outage_fails_the_run_with_a_french_message(account):
    system, _ = account
    with faults.inject("shotgun", Fault.UNAVAILABLE):
        result = run(system)
    assert result.status == SyncRun.Status.FAILED
    assert "ne répond pas" in result.error
    assert result.requests_made == 4  # the retries


def test_refused_credentials_stop_the_run_with_what_to_do(account):
    system, _ = account
    with faults.inject("shotgun", Fault.CREDENTIALS_REFUSED):
        result = run(system)
    assert result.status == SyncRun.Status.FAILED
    assert result.error


def test_two_runs_never_overlap(account):
    system, _ = account
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, system.pk])
        result = run(system)
        assert (result.status, result.error) == (SyncRun.Status.FAILED, ALREADY_RUNNING)
        assert not Show.objects.exists()
    finally:
        other.close()
    assert run(system).status == SyncRun.Status.SUCCEEDED


def test_a_second_request_while_one_is_queued_says_already_running(account):
    system, _ = account
    queued = SyncRun.objects.create(ticketing_system=system)
    again, created = sync_request(system=system)
    assert (again, created) == (queued, False)


def test_a_run_left_running_by_a_dead_worker_is_replaced(
    account, django_capture_on_commit_callbacks
):
    system, _ = account
    dead = SyncRun.objects.create(
        ticketing_system=system, status=SyncRun.Status.RUNNING, started_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        new, created = sync_request(system=system)
    assert created
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED
    new.refresh_from_db()
    assert new.status == SyncRun.Status.SUCCEEDED  # django-q2 runs the task synchronously in tests


PROVIDERS = ["billetweb", "mapado", "helloasso", "shotgun", "supersoniks"]


def figures_multiset(dataset, provider: str) -> list[tuple]:
    expected = dataset.expected_figures(deduct_online_commission=provider == "billetweb")
    return sorted(
        (f.free_tickets, f.paid_tickets, f.revenue_incl_vat, f.revenue_excl_vat)
        for f in expected.values()
    )


def stored_multiset() -> list[tuple]:
    return sorted(
        Performance.objects.values_list(
            "free_tickets", "paid_tickets", "revenue_incl_vat", "revenue_excl_vat"
        )
    )


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("seed", [7, 2027])
def test_every_provider_keeps_exact_figures_through_incremental_runs(provider, seed):
    """The stored figures after a first run and after changes equal a full recount of the
    data set, whether the connector reports figures or feeds the ticket ledger."""
    import importlib

    credentials = importlib.import_module(f"ticketing.sandbox.{provider}").DEMO_CREDENTIALS
    dataset = build_dataset(
        shows=4, performances_per_show=2, tickets_per_performance=25, seed=seed, now=timezone.now()
    )
    accounts.register(
        provider,
        access_key=credentials.access_key,
        secret_key=credentials.secret_key,
        dataset=dataset,
    )
    system = TicketingSystem.objects.create(
        organisation=OrganisationFactory(),
        provider=provider,
        credentials_encrypted=credentials_encrypt(credentials),
        credentials_fingerprint=credentials_fingerprint(provider, credentials),
    )
    try:
        assert run(system).status == SyncRun.Status.SUCCEEDED
        assert stored_multiset() == figures_multiset(dataset, provider)
        for round_ in range(2):
            dataset.touch(share=0.1, at=timezone.now() + timedelta(seconds=2 + round_), seed=round_)
            if provider == "supersoniks":
                # No change feed: its statements are read by session date (from 62 days before
                # the last run). Changes to older sessions need the ops replay, tested here.
                TicketingSystem.objects.filter(pk=system.pk).update(
                    force_sync_from=timezone.now() - timedelta(days=800)
                )
                system.refresh_from_db()
            result = run(system)
            assert result.status == SyncRun.Status.SUCCEEDED, result.error
            assert stored_multiset() == figures_multiset(dataset, provider)
    finally:
        accounts.clear()
