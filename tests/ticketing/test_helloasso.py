"""HelloAsso connector against its sandbox: OAuth, ticket ledger, pagination, faults, rules."""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ticketing.connectors import helloasso, open_connector
from ticketing.connectors.base import (
    Credentials,
    Figures,
    PermanentError,
    ShowData,
    TransientError,
)
from ticketing.connectors.http import MAX_ATTEMPTS
from ticketing.figures import figures_from_tickets
from ticketing.sandbox import accounts, faults
from ticketing.sandbox import helloasso as fake
from ticketing.sandbox.dataset import Dataset, build_dataset
from ticketing.sandbox.faults import Fault, inject

CREDENTIALS = Credentials(access_key="c0ffee0123456789abcdef0123456789", secret_key="s3cr3t/Key=")
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _clean_sandbox():
    yield
    accounts.clear()
    faults.clear()


def register(dataset: Dataset | None = None, **state) -> accounts.SandboxAccount:
    account = accounts.register(
        "helloasso",
        access_key=CREDENTIALS.access_key,
        secret_key=CREDENTIALS.secret_key,
        dataset=dataset or build_dataset(),
    )
    account.state.update(state)
    return account


def connect(credentials: Credentials = CREDENTIALS, sleeps: list | None = None):
    sleep = sleeps.append if sleeps is not None else (lambda seconds: None)
    return open_connector("helloasso", credentials, sleep=sleep)


def sync(since: datetime = LONG_AGO) -> tuple[list[ShowData], int]:
    connector, client = connect()
    with client:
        shows = list(connector.shows_changed_since(since))
        return shows, client.requests_made


def slugs(dataset: Dataset) -> dict[str, int]:
    """Form slug → performance id."""
    return {
        fake.form_slug(show, performance): performance.id
        for show in dataset.shows
        for performance in show.performances
    }


def ledger_figures(batches: Iterable[list[ShowData]]) -> dict[str, Figures]:
    """What the ledger holds after these runs: latest state per ticket, per performance."""
    latest = {}
    for shows in batches:
        for show in shows:
            for ticket in show.tickets:
                latest[ticket.external_id] = ticket
    rows = defaultdict(list)
    for ticket in latest.values():
        rows[ticket.performance_external_id].append(
            (ticket.price_incl_vat, ticket.vat_rate, ticket.cancelled)
        )
    return {slug: figures_from_tickets(tickets) for slug, tickets in rows.items()}


def expected_rate(dataset: Dataset, performance_id: int) -> Decimal | None:
    rates = {
        t.vat_rate
        for t in dataset.tickets
        if t.performance_id == performance_id and not t.refunded and t.price
    }
    return rates.pop() if len(rates) == 1 else None


def assert_figures_match(dataset: Dataset, figures: dict[str, Figures]) -> None:
    expected = dataset.expected_figures()
    by_slug = slugs(dataset)
    assert set(figures) == set(by_slug)
    for slug, performance_id in by_slug.items():
        mine, reference = figures[slug], expected[performance_id]
        assert (mine.free_tickets, mine.paid_tickets) == (
            reference.free_tickets,
            reference.paid_tickets,
        ), slug
        assert mine.revenue_incl_vat == reference.revenue_incl_vat, slug
        assert mine.revenue_excl_vat == reference.revenue_excl_vat, slug
        assert mine.vat_rate == expected_rate(dataset, performance_id), slug


# --- Credentials and OAuth --------------------------------------------------------------------


def test_check_credentials_gets_one_token_and_the_organisation():
    account = register()
    connector, client = connect()
    connector.check_credentials()
    assert client.requests_made == 2  # token, /users/me/organizations
    assert connector.provider == "helloasso"
    # The same token and organisation serve the sync that follows.
    list(connector.shows_changed_since(datetime(2030, 1, 1, tzinfo=UTC)))
    assert client.requests_made == 3
    assert account.state["tokens_issued"] == 1


def test_unknown_credentials_are_refused_with_what_to_do():
    register()
    connector, client = connect(Credentials(CREDENTIALS.access_key, "wrong"))
    with pytest.raises(PermanentError) as refused:
        connector.check_credentials()
    assert "Client Secret" in refused.value.message
    assert "wrong" not in refused.value.message
    assert client.requests_made == 1


def test_revoked_credentials_are_refused():
    register()
    connector, _ = connect()
    with inject(fake.SERVICE, Fault.CREDENTIALS_REFUSED), pytest.raises(PermanentError):
        connector.check_credentials()


def test_credentials_revoked_during_a_run_stop_it():
    register()
    connector, _ = connect()
    connector.check_credentials()
    with inject(fake.SERVICE, Fault.CREDENTIALS_REFUSED), pytest.raises(PermanentError) as error:
        list(connector.shows_changed_since(LONG_AGO))
    assert error.value.message == helloasso.REFUSED


def test_an_account_linked_to_several_organisations_is_refused():
    second = {"organizationSlug": "festival-des-ondes", "name": "Festival des Ondes"}
    register(organizations=[fake.DEFAULT_ORGANIZATION, second])
    connector, _ = connect()
    with pytest.raises(PermanentError) as error:
        connector.check_credentials()
    assert "plusieurs associations" in error.value.message


def test_an_account_linked_to_no_organisation_is_refused():
    register(organizations=[])
    connector, _ = connect()
    with pytest.raises(PermanentError) as error:
        connector.check_credentials()
    assert error.value.message == helloasso.NO_ORGANISATION


def test_an_expired_token_is_refreshed_once_with_the_refresh_token():
    account = register()
    connector, client = connect()
    connector.check_credentials()
    fake.expire_tokens()  # the provider now refuses it: 401, then the connector refreshes
    assert list(connector.shows_changed_since(datetime(2030, 1, 1, tzinfo=UTC))) == []
    assert client.requests_made == 2 + 3  # refused listing, refresh, listing again
    assert account.state["tokens_issued"] == 2


def test_a_token_near_its_expiry_is_refreshed_before_use(monkeypatch):
    account = register()
    now = [1000.0]
    monkeypatch.setattr(helloasso, "monotonic", lambda: now[0])
    connector, client = connect()
    connector.check_credentials()
    now[0] += fake.TOKEN_LIFETIME - 30  # within the safety margin
    list(connector.shows_changed_since(datetime(2030, 1, 1, tzinfo=UTC)))
    assert client.requests_made == 2 + 2  # refresh, listing: no refused call
    assert account.state["tokens_issued"] == 2


# --- First and incremental syncs --------------------------------------------------------------


def test_first_sync_reproduces_the_reference_figures_in_ledger_mode():
    dataset = build_dataset(shows=5, performances_per_show=3, tickets_per_performance=40)
    register(dataset)
    shows, requests = sync()
    forms = slugs(dataset)
    # One form = one show = one performance; only tickets, the ledger computes the figures.
    assert {show.external_id for show in shows} == set(forms)
    for show in shows:
        (performance,) = show.performances
        assert performance.external_id == show.external_id
        assert performance.figures is None
        assert performance.starts_at.tzinfo is not None
        assert show.warnings == ()
    assert sum(len(show.tickets) for show in shows) == len(dataset.tickets)
    figures = ledger_figures([shows])
    assert_figures_match(dataset, figures)
    # Single-rate and mixed-rate performances (free 0 % tickets never make a rate mixed).
    assert {f.vat_rate for f in figures.values()} == {Decimal("0.021"), Decimal("0.055"), None}
    # token + organisation + ⌈600/100⌉ item pages + one public form per show
    assert requests == 2 + math.ceil(len(dataset.tickets) / 100) + len(forms)


def test_shows_are_yielded_one_at_a_time():
    register()
    connector, client = connect()
    stream = connector.shows_changed_since(LONG_AGO)
    next(stream)
    assert client.requests_made == 2 + 6 + 1  # the first show came before the others' forms


def test_performance_dates_and_names_come_from_the_form():
    dataset = build_dataset(shows=1, performances_per_show=1, tickets_per_performance=3)
    register(dataset)
    (show,), _ = sync()
    performance = dataset.shows[0].performances[0]
    assert show.performances[0].starts_at == performance.starts_at
    assert show.performances[0].ends_at == performance.ends_at
    assert show.name.startswith(dataset.shows[0].name)


def test_incremental_sync_fetches_only_the_changed_tickets():
    dataset = build_dataset(shows=5, performances_per_show=3, tickets_per_performance=40)
    register(dataset)
    first, _ = sync()
    at = dataset.now + timedelta(days=2)
    changed = dataset.touch(share=0.01, at=at)
    changed_ids = {str(t.id) for t in dataset.tickets if t.updated_at == at}
    changed_forms = {
        fake.form_slug(dataset.show(t.show_id), p)
        for t in dataset.tickets
        if t.updated_at == at
        for p in dataset.show(t.show_id).performances
        if p.id == t.performance_id
    }
    shows, requests = sync(since=dataset.now)
    assert changed == len(changed_ids) == 6
    assert {show.external_id for show in shows} == changed_forms
    assert {t.external_id for show in shows for t in show.tickets} == changed_ids
    # token + organisation + one page of changes + one public form per changed show
    assert requests == 2 + 1 + len(changed_forms)
    assert_figures_match(dataset, ledger_figures([first, shows]))


def sync_with_memos(since: datetime, store: dict) -> tuple[list[ShowData], int]:
    connector, client = connect()
    with client:
        shows = list(connector.shows_changed_since(since, store.get))
    store.update({show.external_id: show.memo for show in shows if show.memo is not None})
    return shows, client.requests_made


def test_a_run_after_a_recent_one_reuses_the_public_forms():
    dataset = build_dataset(shows=5, performances_per_show=3, tickets_per_performance=40)
    register(dataset)
    store: dict = {}
    first, _ = sync_with_memos(LONG_AGO, store)
    assert len(store) == 15 and all(memo["form"]["tiers"] for memo in store.values())
    dataset.touch(share=0.05, at=dataset.now + timedelta(days=2))
    shows, requests = sync_with_memos(dataset.now - timedelta(days=1), store)
    assert len(shows) > 1
    assert requests == 2 + 1  # token, organisation, one page of changes: no form read again
    assert all(show.memo is None for show in shows)
    assert_figures_match(dataset, ledger_figures([first, shows]))


@pytest.mark.parametrize("spoil", ["too-old", "unknown-tier"])
def test_a_public_form_is_read_again_when_its_memo_cannot_be_trusted(spoil):
    dataset = build_dataset(shows=2, performances_per_show=1, tickets_per_performance=40)
    register(dataset)
    store: dict = {}
    first, _ = sync_with_memos(LONG_AGO, store)
    for memo in store.values():
        if spoil == "too-old":
            memo["read_at"] -= 13 * 3600
        else:
            memo["form"]["tiers"] = []
    dataset.touch(share=0.5, at=dataset.now + timedelta(days=2))
    shows, requests = sync_with_memos(dataset.now - timedelta(days=1), store)
    assert requests == 2 + 1 + len(shows)
    assert all(show.memo is not None for show in shows)
    assert all(memo["form"]["tiers"] for memo in store.values())
    assert_figures_match(dataset, ledger_figures([first, shows]))


def test_a_refund_of_an_old_order_is_seen_by_the_next_run():
    dataset = build_dataset(shows=2, performances_per_show=1, tickets_per_performance=20)
    register(dataset)
    sync()
    old = next(t for t in dataset.tickets if not t.refunded and t.price)
    at = dataset.now + timedelta(days=1)
    dataset.tickets[dataset.tickets.index(old)] = replace(old, refunded=True, updated_at=at)
    shows, _ = sync(since=dataset.now)
    (ticket,) = [t for show in shows for t in show.tickets]
    assert ticket.external_id == str(old.id) and ticket.cancelled
    assert old.created_at < dataset.now - timedelta(days=1)  # the order itself is old


def test_nothing_changed_costs_three_requests():
    dataset = build_dataset()
    register(dataset)
    shows, requests = sync(since=dataset.now + timedelta(seconds=1))
    assert shows == []
    assert requests == 3  # token, organisation, one empty page of changes


def test_many_changes_are_not_held_in_memory_but_read_form_by_form(monkeypatch):
    monkeypatch.setattr(helloasso, "ITEM_BUFFER", 10)
    dataset = build_dataset(shows=5, performances_per_show=3, tickets_per_performance=40)
    register(dataset)
    shows, requests = sync()
    assert_figures_match(dataset, ledger_figures([shows]))
    # the account-wide listing, then per form its public page and its one page of items
    assert requests == 2 + 6 + 15 * 2


# --- Pagination -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tickets", "pages"),
    [(99, 1), (100, 1), (101, 2), (200, 2), (201, 3)],
)
def test_pagination_stops_at_the_announced_count(tickets, pages):
    dataset = build_dataset(shows=1, performances_per_show=1, tickets_per_performance=tickets)
    register(dataset)
    shows, requests = sync()
    assert sum(len(show.tickets) for show in shows) == tickets
    assert len({t.external_id for show in shows for t in show.tickets}) == tickets
    assert requests == 2 + pages + 1


def test_pagination_without_a_count_loops_until_an_empty_page():
    dataset = build_dataset(shows=1, performances_per_show=1, tickets_per_performance=100)
    register(dataset)
    connector, client = connect()
    original = client.get

    def without_count(path, **kwargs):
        kwargs["params"] = {**kwargs["params"], "withCount": "false"}
        return original(path, **kwargs)

    client.get = without_count
    path = f"v5/organizations/{fake.DEFAULT_ORGANIZATION['organizationSlug']}/items"
    assert len(list(connector._pages(path, {}))) == 100
    assert client.requests_made == 1 + 2  # token, the full page, then an empty one


def test_an_empty_account_yields_nothing():
    register(build_dataset(shows=0))
    shows, requests = sync()
    assert shows == []
    assert requests == 3


# --- Faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "waits"),
    [
        (Fault.TIMEOUT, None),
        (Fault.SERVER_ERROR, None),
        (Fault.UNAVAILABLE, [60.0] * (MAX_ATTEMPTS - 1)),  # Retry-After 120, capped
        (Fault.RATE_LIMITED, [30.0] * (MAX_ATTEMPTS - 1)),  # 429 with Retry-After
    ],
)
def test_transient_faults_end_in_transient_error_after_retries(fault, waits):
    register()
    sleeps: list[float] = []
    connector, client = connect(sleeps=sleeps)
    with inject(fake.SERVICE, fault), pytest.raises(TransientError):
        connector.check_credentials()
    assert client.requests_made == MAX_ATTEMPTS
    assert len(sleeps) == MAX_ATTEMPTS - 1
    if waits is not None:
        assert sleeps == waits


def test_a_fault_in_the_middle_of_a_run_is_retried_then_transient():
    register()
    connector, client = connect()
    connector.check_credentials()
    with inject(fake.SERVICE, Fault.SERVER_ERROR), pytest.raises(TransientError):
        list(connector.shows_changed_since(LONG_AGO))
    assert client.requests_made == 2 + MAX_ATTEMPTS


def test_a_truncated_answer_is_transient_and_not_retried():
    register()
    connector, client = connect()
    with inject(fake.SERVICE, Fault.MALFORMED), pytest.raises(TransientError) as error:
        connector.check_credentials()
    assert error.value.message == helloasso.UNREADABLE
    assert client.requests_made == 1


def test_helloasso_has_no_firewall_page():
    register()
    connector, _ = connect()
    with inject(fake.SERVICE, Fault.FIREWALL):
        connector.check_credentials()


def test_one_malformed_record_is_skipped_and_reported_on_its_show():
    dataset = build_dataset(shows=3, performances_per_show=2, tickets_per_performance=30)
    register(dataset)
    with inject(fake.SERVICE, Fault.MALFORMED_RECORD):
        shows, _ = sync()
    broken = dataset.tickets[0]
    seen = {t.external_id for show in shows for t in show.tickets}
    assert seen == {str(t.id) for t in dataset.tickets} - {str(broken.id)}
    warned = [show for show in shows if show.warnings]
    assert [show.external_id for show in warned] == [
        fake.form_slug(dataset.show(broken.show_id), dataset.show(broken.show_id).performances[0])
    ]
    assert "illisible" in warned[0].warnings[0]
    assert len(shows) == 6


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda raw: raw.pop("amount"), "amount"),
        (lambda raw: raw.update(amount=12.5), "amount"),
        (lambda raw: raw.update(amount="NaN"), "amount"),
        (lambda raw: raw.update(state="Teleported"), "state"),
        (lambda raw: raw["order"]["meta"].update(updatedAt="hier"), "date"),
        (lambda raw: raw.pop("id"), "id"),
    ],
)
def test_unreadable_items_are_recognised(change, reason):
    raw = {
        "order": {"formSlug": "f", "formType": "Event", "meta": {"updatedAt": "2026-01-02"}},
        "id": 1,
        "tierId": 11,
        "amount": 1200,
        "state": "Processed",
    }
    assert helloasso._parse_item(raw, "f").cents == 1200
    change(raw)
    with pytest.raises(helloasso._Unreadable, match=reason):
        helloasso._parse_item(raw, "f")


# --- HelloAsso rules --------------------------------------------------------------------------


def test_tiers_read_vat_as_a_fraction_and_refuse_odd_rates():
    tiers, unreadable = helloasso._tiers(
        [
            {"id": 1, "vatRate": 0.055},
            {"id": 2, "vatRate": None},  # not subject to VAT
            {"id": 3, "vatRate": 5.5},  # a percentage: not HelloAsso's unit
            {"id": 4, "vatRate": "NaN"},
            {"label": "sans id"},
        ]
    )
    assert tiers == {1: Decimal("0.055"), 2: Decimal(0)}
    assert unreadable == 3


def test_vat_rate_is_a_fraction_and_excl_vat_is_summed_per_ticket():
    dataset = build_dataset(shows=1, performances_per_show=1, tickets_per_performance=30)
    register(dataset)
    (show,), _ = sync()
    show_categories = {c.vat_rate for c in dataset.shows[0].categories}
    assert {t.vat_rate for t in show.tickets} <= show_categories
    assert all(rate < 1 for rate in show_categories)
    ticket = next(t for t in show.tickets if t.price_incl_vat)
    source = next(t for t in dataset.tickets if str(t.id) == ticket.external_id)
    assert ticket.price_incl_vat == source.price  # cents → euros, exact
    assert ticket.vat_rate == source.vat_rate  # 0.055 stays 0.055 (not divided by 100)


def test_refunds_and_invitations_follow_the_item_states():
    dataset = build_dataset(shows=2, performances_per_show=2, tickets_per_performance=60)
    register(dataset)
    shows, _ = sync()
    tickets = {t.external_id: t for show in shows for t in show.tickets}
    for source in dataset.tickets:
        ticket = tickets[str(source.id)]
        assert ticket.cancelled == source.refunded
        if source.payment == "invitation":
            assert ticket.price_incl_vat == 0
    assert any(t.cancelled for t in tickets.values())
    assert any(t.price_incl_vat == 0 for t in tickets.values())


def test_a_form_in_another_currency_is_skipped_with_a_warning():
    dataset = build_dataset(shows=2, performances_per_show=1, tickets_per_performance=10)
    slug = fake.form_slug(dataset.shows[0], dataset.shows[0].performances[0])
    register(dataset, form_overrides={slug: {"currency": "CHF"}})
    shows, _ = sync()
    (skipped,) = [show for show in shows if show.external_id == slug]
    assert skipped.performances == () and skipped.tickets == ()
    assert "CHF" in skipped.warnings[0]
    assert all(show.tickets for show in shows if show.external_id != slug)


def test_a_form_without_a_date_is_skipped_alone():
    dataset = build_dataset(shows=1, performances_per_show=2, tickets_per_performance=10)
    show = dataset.shows[0]
    slug = fake.form_slug(show, show.performances[0])
    register(dataset, form_overrides={slug: {"startDate": None}})
    shows, _ = sync()
    by_slug = {s.external_id: s for s in shows}
    assert by_slug[slug].performances == ()
    assert "date" in by_slug[slug].warnings[0]
    other = by_slug[fake.form_slug(show, show.performances[1])]
    assert len(other.performances) == 1 and len(other.tickets) == 10


def test_naive_form_dates_are_paris_time():
    dataset = build_dataset(shows=1, performances_per_show=1, tickets_per_performance=5)
    slug = fake.form_slug(dataset.shows[0], dataset.shows[0].performances[0])
    overrides = {"startDate": "2026-07-14T21:00:00", "endDate": "2026-01-10T20:30:00"}
    register(dataset, form_overrides={slug: overrides})
    (show,), _ = sync()
    performance = show.performances[0]
    assert performance.starts_at == datetime(2026, 7, 14, 19, 0, tzinfo=UTC)  # summer: +2
    assert performance.ends_at == datetime(2026, 1, 10, 19, 30, tzinfo=UTC)  # winter: +1


def test_a_missing_tier_skips_its_paid_tickets_with_a_warning():
    dataset = build_dataset(shows=1, performances_per_show=1, tickets_per_performance=80)
    show, performance = dataset.shows[0], dataset.shows[0].performances[0]
    full_price, invitation = show.categories[0], show.categories[3]
    hidden = [fake.tier_id(performance, full_price.id), fake.tier_id(performance, invitation.id)]
    register(dataset, hidden_tiers=hidden)
    (synced,), _ = sync()
    lost = [t for t in dataset.tickets if t.category_id == full_price.id and not t.refunded]
    assert lost
    assert "tarifs ne peut être récupéré" in synced.warnings[0]
    assert f"{len(lost)} billet(s)" in synced.warnings[0]
    kept = {t.external_id for t in synced.tickets}
    assert not kept & {str(t.id) for t in lost}
    # Invitations are free whatever their tier: still counted; refunds still recorded.
    assert {str(t.id) for t in dataset.tickets if t.category_id == invitation.id} <= kept
    assert all(
        str(t.id) in kept for t in dataset.tickets if t.category_id == full_price.id and t.refunded
    )


def test_warnings_and_tickets_carry_no_personal_data():
    register()
    with inject(fake.SERVICE, Fault.MALFORMED_RECORD):
        shows, _ = sync()
    text = repr(shows)
    assert "@" not in text and "Spectateur" not in text and "Camille" not in text


def test_the_demo_credentials_look_like_helloasso_ones():
    assert len(fake.DEMO_CREDENTIALS.access_key) == 32
    assert fake.DEMO_CREDENTIALS.secret_key.endswith("=")


# --- Through the sync engine ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_engine_ledger_matches_the_reference_after_a_first_and_an_incremental_run():
    from tests.factories import OrganisationFactory
    from ticketing.credentials import credentials_encrypt, credentials_fingerprint
    from ticketing.models import Performance, SyncRun, TicketingSystem
    from ticketing.sync import sync_execute

    dataset = build_dataset(shows=3, performances_per_show=2, tickets_per_performance=30)
    register(dataset)
    system = TicketingSystem.objects.create(
        organisation=OrganisationFactory(),
        provider="helloasso",
        credentials_encrypted=credentials_encrypt(CREDENTIALS),
        credentials_fingerprint=credentials_fingerprint("helloasso", CREDENTIALS),
        force_sync_from=LONG_AGO,
    )

    def run_and_compare() -> None:
        run = SyncRun.objects.create(ticketing_system=system)
        assert sync_execute(run.pk, sleep=lambda seconds: None).status == "succeeded", run.error
        expected = dataset.expected_figures()
        by_slug = slugs(dataset)
        performances = Performance.objects.filter(show__ticketing_system=system)
        assert performances.count() == len(by_slug)
        for performance in performances:
            reference = expected[by_slug[performance.external_id]]
            assert (performance.free_tickets, performance.paid_tickets) == (
                reference.free_tickets,
                reference.paid_tickets,
            )
            assert performance.revenue_incl_vat == reference.revenue_incl_vat
            assert performance.revenue_excl_vat == reference.revenue_excl_vat

    run_and_compare()
    dataset.touch(share=0.05, at=dataset.now + timedelta(days=1))
    system.refresh_from_db()
    system.force_sync_from = dataset.now - timedelta(days=1)
    system.save()
    run_and_compare()
