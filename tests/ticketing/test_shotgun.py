"""The Shotgun connector against its sandbox (ticket-ledger mode)."""

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from ticketing.connectors import open_connector
from ticketing.connectors import shotgun as connector_module
from ticketing.connectors.base import Credentials, PermanentError, TransientError
from ticketing.sandbox import accounts, faults, router
from ticketing.sandbox import shotgun as fake
from ticketing.sandbox.dataset import Dataset, ExpectedFigures, build_dataset
from ticketing.sandbox.faults import Fault, inject

from .shotgun_fixtures import (
    ISSUED_2024,
    LONG_AGO,
    dataset_vat_rates,
    latest_tickets,
    ledger_figures,
    ledger_vat_rates,
    register,
)

NO_TICKETS = ExpectedFigures(0, 0, Decimal("0.00"), Decimal("0.00"))


@pytest.fixture(autouse=True)
def _clean_sandbox():
    yield
    accounts.clear()
    faults.clear()


@pytest.fixture
def requests_seen(monkeypatch) -> list[httpx.Request]:
    seen: list[httpx.Request] = []
    handle = router.handle

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handle(request)

    monkeypatch.setattr(router, "handle", spy)
    return seen


def connect(credentials: Credentials, waits: list[float] | None = None):
    sleep = waits.append if waits is not None else (lambda seconds: None)
    return open_connector("shotgun", credentials, sleep=sleep)


def sync(credentials: Credentials, since: datetime = LONG_AGO):
    connector, client = connect(credentials)
    with client:
        shows = list(connector.shows_changed_since(since))
    return shows, client.requests_made


def figures_of_every_performance(shows, dataset: Dataset) -> dict[int, ExpectedFigures]:
    found = ledger_figures(shows)
    return {
        performance_id: found.get(performance_id, NO_TICKETS)
        for performance_id in dataset.expected_figures()
    }


# --- Credentials --------------------------------------------------------------------------------


def test_check_credentials_accepts_a_registered_account_in_one_request():
    credentials, _ = register(build_dataset())
    connector, client = connect(credentials)
    connector.check_credentials()
    assert connector.provider == "shotgun"
    assert client.requests_made == 1


def test_check_credentials_refused_tells_where_to_find_the_keys():
    register(build_dataset())
    wrong = Credentials("271828", fake.sandbox_token("271828", issued_at=1_770_000_000))
    connector, client = connect(wrong)
    with pytest.raises(PermanentError) as refused:
        connector.check_credentials()
    assert "Shotgun APIs" in refused.value.message
    assert client.requests_made == 1


def test_new_tokens_go_as_key_and_tokens_issued_before_july_2025_as_token(requests_seen):
    new_credentials, _ = register(build_dataset(shows=1))
    old_credentials = Credentials("314159", fake.sandbox_token("314159", issued_at=ISSUED_2024))
    accounts.register("shotgun", access_key="314159", secret_key=old_credentials.secret_key)
    for credentials in (new_credentials, old_credentials):
        connector, _ = connect(credentials)
        connector.check_credentials()
    new, old = (request.url.params for request in requests_seen)
    assert (new["key"], "token" in new) == (new_credentials.secret_key, False)
    assert (old["token"], "key" in old) == (old_credentials.secret_key, False)
    assert new["organizer_id"] == "271828"


def test_the_fake_refuses_a_token_in_the_wrong_parameter():
    credentials, _ = register(build_dataset(shows=1), issued_at=ISSUED_2024)
    url = "http://sandbox.test/shotgun/tickets/sold"
    params = {"organizer_id": credentials.access_key, "key": credentials.secret_key}
    response = router.handle(httpx.Request("GET", url, params=params))
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "message": "Unauthorized"}


def test_check_credentials_with_a_transient_outage_is_not_a_refusal():
    credentials, _ = register(build_dataset(shows=1))
    connector, client = connect(credentials)
    with inject("shotgun", Fault.SERVER_ERROR), pytest.raises(TransientError):
        connector.check_credentials()
    assert client.requests_made == 4


# --- First sync ---------------------------------------------------------------------------------


def test_first_sync_reproduces_the_expected_figures_of_every_performance():
    dataset = build_dataset(shows=5, performances_per_show=3, tickets_per_performance=40)
    credentials, _ = register(dataset)
    shows, requests = sync(credentials)

    # One Shotgun event per performance: one show with one performance each.
    performances = {p.id: (show, p) for show in dataset.shows for p in show.performances}
    assert sorted(int(show.external_id) for show in shows) == sorted(performances)
    for show in shows:
        (performance,) = show.performances
        fake_show, fake_performance = performances[int(show.external_id)]
        assert show.name == fake_show.name
        assert performance.external_id == show.external_id
        assert (performance.starts_at, performance.ends_at) == (
            fake_performance.starts_at,
            fake_performance.ends_at,
        )
        assert performance.figures is None  # ledger mode
        assert show.warnings == ()
    assert figures_of_every_performance(shows, dataset) == dataset.expected_figures()
    assert ledger_vat_rates(shows) == dataset_vat_rates(dataset)
    # ⌈listed tickets / 50⌉ requests: 600 sold + resold originals and pending orders.
    listed = fake.listed_tickets(dataset)
    assert listed == 640
    assert requests == math.ceil(listed / 50) == 13


def test_tickets_are_exact_decimals_at_their_own_rate_and_free_of_fees():
    dataset = build_dataset(shows=2)
    credentials, _ = register(dataset)
    ledger = latest_tickets(sync(credentials)[0])
    for ticket in dataset.tickets:
        kept = ledger[str(fake.shotgun_ticket_id(ticket))]
        # `ticket_price` is already net of Shotgun's fees; the buyer's fee is on top.
        assert kept.price_incl_vat == ticket.price
        assert type(kept.price_incl_vat) is Decimal and type(kept.vat_rate) is Decimal
        assert kept.vat_rate == ticket.vat_rate  # a fraction: 0.055, not 5.5
        assert kept.cancelled == ticket.refunded
        assert kept.updated_at == ticket.updated_at
        assert kept.performance_external_id == str(ticket.performance_id)


def test_resold_originals_and_pending_orders_are_listed_but_never_counted():
    dataset = build_dataset(shows=2)
    credentials, _ = register(dataset)
    ledger = latest_tickets(sync(credentials)[0])
    resold = [t for t in dataset.tickets if t.price > 0 and t.id % 23 == 0]
    pending = [t for t in dataset.tickets if t.id % 31 == 0]
    assert resold and pending
    for ticket in resold:
        assert ledger[str(fake.shotgun_ticket_id(ticket) - 2)].cancelled is True
    for ticket in pending:
        assert ledger[str(fake.shotgun_ticket_id(ticket) - 1)].cancelled is True


def test_a_large_account_is_paged_through_to_the_end_with_bounded_buffers(monkeypatch):
    # Over the 500 pages the prior service refused; shows come back in several batches.
    monkeypatch.setattr(connector_module, "BUFFER_LIMIT", 2_000)
    dataset = build_dataset(shows=20, performances_per_show=10, tickets_per_performance=128)
    credentials, _ = register(dataset)
    connector, client = connect(credentials)
    with client:
        shows = list(connector.shows_changed_since(LONG_AGO))
    listed = fake.listed_tickets(dataset)
    assert client.requests_made == math.ceil(listed / 50) > 500
    assert len(shows) > len({show.external_id for show in shows}) == 200
    assert figures_of_every_performance(shows, dataset) == dataset.expected_figures()


# --- Incremental sync ---------------------------------------------------------------------------


def test_incremental_sync_fetches_only_the_changed_tickets():
    dataset = build_dataset(shows=5, performances_per_show=3, tickets_per_performance=40)
    credentials, _ = register(dataset)
    first, _ = sync(credentials)
    before = {t.id: t for t in dataset.tickets}
    at = dataset.now + timedelta(days=1)
    changed = dataset.touch(share=0.01, at=at)
    touched = [t for t in dataset.tickets if t != before[t.id]]

    second, requests = sync(credentials, since=at - timedelta(hours=1))

    assert changed == len(touched) == 6
    assert requests == max(1, math.ceil(changed / 50)) == 1
    assert {show.external_id for show in second} == {str(t.performance_id) for t in touched}
    yielded = [ticket for show in second for ticket in show.tickets]
    assert sorted(t.external_id for t in yielded) == sorted(
        str(fake.shotgun_ticket_id(t)) for t in touched
    )
    assert all(t.updated_at == at for t in yielded)
    # The ledger, first run then this one, gives the figures after the change.
    assert figures_of_every_performance([*first, *second], dataset) == dataset.expected_figures()


def test_incremental_sync_with_nothing_changed_is_one_request():
    dataset = build_dataset()
    credentials, _ = register(dataset)
    shows, requests = sync(credentials, since=dataset.now + timedelta(hours=1))
    assert (shows, requests) == ([], 1)


def test_changes_are_asked_from_a_few_minutes_before_the_last_run(requests_seen):
    credentials, _ = register(build_dataset(shows=1))
    sync(credentials, since=datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    params = requests_seen[0].url.params
    assert (params["after"], params["cursor"]) == ("2026-06-01T09:55:00.000Z", "true")


# --- Pagination ---------------------------------------------------------------------------------


def trimmed_to(listed: int) -> Dataset:
    """A data set whose listing holds exactly `listed` tickets."""
    dataset = build_dataset(shows=3, performances_per_show=2, tickets_per_performance=30)
    for count in range(len(dataset.tickets), 0, -1):
        candidate = replace(dataset, tickets=dataset.tickets[:count])
        if fake.listed_tickets(candidate) == listed:
            return candidate
    raise AssertionError(f"no prefix lists {listed} tickets")


@pytest.mark.parametrize(("listed", "pages"), [(50, 1), (51, 2), (100, 2)])
def test_pages_end_exactly_at_the_boundary(listed, pages, requests_seen):
    dataset = trimmed_to(listed)
    credentials, _ = register(dataset)
    shows, requests = sync(credentials)
    assert requests == pages
    assert len(latest_tickets(shows)) == listed
    cursors = [request.url.params["cursor"] for request in requests_seen]
    assert cursors[0] == "true"
    assert all(cursor.isdigit() for cursor in cursors[1:])


def test_an_empty_account_is_one_request_and_no_show():
    credentials, _ = register(build_dataset(shows=0))
    assert sync(credentials) == ([], 1)


def test_a_cursor_that_does_not_move_forward_stops_the_run(monkeypatch):
    credentials, _ = register(build_dataset(shows=2))
    handle = router.handle

    def stuck(request: httpx.Request) -> httpx.Response:
        response = handle(request)
        payload = response.json()
        if payload["pagination"]["next"]:
            payload["pagination"]["next"] = str(request.url.copy_set_param("cursor", "10"))
        return httpx.Response(200, json=payload)

    monkeypatch.setattr(router, "handle", stuck)
    connector, client = connect(credentials)
    with pytest.raises(TransientError):
        list(connector.shows_changed_since(LONG_AGO))
    assert client.requests_made == 2  # `true`, then 10 pointing to 10 again: stopped


# --- Faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "waits"),
    [
        (Fault.TIMEOUT, None),
        (Fault.SERVER_ERROR, None),
        (Fault.UNAVAILABLE, [60.0, 60.0, 60.0]),  # Retry-After: 120, capped at 60 s
        (Fault.RATE_LIMITED, [30.0, 30.0, 30.0]),
    ],
)
def test_transient_faults_are_retried_then_reported(fault, waits):
    credentials, _ = register(build_dataset(shows=1))
    slept: list[float] = []
    connector, client = connect(credentials, slept)
    with inject("shotgun", fault), pytest.raises(TransientError) as failed:
        list(connector.shows_changed_since(LONG_AGO))
    assert client.requests_made == 4
    assert len(slept) == 3
    if waits is not None:
        assert slept == waits
    assert "reprendra" in failed.value.message


def test_rate_limit_answer_is_shotguns_429_with_retry_after():
    credentials, _ = register(build_dataset(shows=1))
    connector, client = connect(credentials)
    with inject("shotgun", Fault.RATE_LIMITED), pytest.raises(TransientError) as failed:
        connector.check_credentials()
    assert failed.value.retry_after == 30


def test_a_truncated_answer_is_transient_without_retrying():
    credentials, _ = register(build_dataset(shows=1))
    connector, client = connect(credentials)
    with inject("shotgun", Fault.MALFORMED), pytest.raises(TransientError) as failed:
        list(connector.shows_changed_since(LONG_AGO))
    assert "illisible" in failed.value.message
    assert client.requests_made == 1


def test_the_firewall_page_is_transient_not_a_refusal():
    credentials, _ = register(build_dataset(shows=1))
    connector, client = connect(credentials)
    with inject("shotgun", Fault.FIREWALL), pytest.raises(TransientError) as failed:
        list(connector.shows_changed_since(LONG_AGO))
    assert "bloque" in failed.value.message
    assert client.requests_made == 1


def test_credentials_refused_during_a_sync_stop_it_with_what_to_do():
    credentials, _ = register(build_dataset(shows=1))
    connector, client = connect(credentials)
    with inject("shotgun", Fault.CREDENTIALS_REFUSED), pytest.raises(PermanentError) as refused:
        list(connector.shows_changed_since(LONG_AGO))
    assert "Vérifiez" in refused.value.message
    assert client.requests_made == 1


def test_a_malformed_record_is_reported_on_its_show_and_the_rest_is_synced():
    dataset = build_dataset(shows=3)
    credentials, _ = register(dataset)
    with inject("shotgun", Fault.MALFORMED_RECORD):
        shows, _ = sync(credentials)
    broken = dataset.tickets[0]  # the first listed record lost its price
    warned = {show.external_id: show.warnings for show in shows if show.warnings}
    assert warned == {
        str(broken.performance_id): (
            f"Billet {fake.shotgun_ticket_id(broken)} ignoré : prix illisible.",
        )
    }
    without = replace(dataset, tickets=dataset.tickets[1:])
    assert figures_of_every_performance(shows, dataset) == without.expected_figures()


# --- Provider rules -----------------------------------------------------------------------------


def override_event(account, dataset: Dataset, performance_id: int, **fields) -> None:
    ids = [fake.shotgun_ticket_id(t) for t in dataset.tickets if t.performance_id == performance_id]
    ids += [i - 2 for i in ids] + [i - 1 for i in ids]
    account.state["overrides"] = {i: fields for i in ids}


def test_times_without_offset_are_paris_time():
    dataset = build_dataset(shows=1, performances_per_show=1)
    credentials, account = register(dataset)
    performance_id = dataset.shows[0].performances[0].id
    override_event(
        account,
        dataset,
        performance_id,
        event_start_time="2026-07-14T21:30:00",
        event_end_time="2026-01-10T20:00:00",
    )
    (show,) = sync(credentials)[0]
    (performance,) = show.performances
    assert performance.starts_at == datetime(2026, 7, 14, 19, 30, tzinfo=UTC)  # CEST
    assert performance.ends_at is None  # before the start: dropped, not stored backwards


def test_a_performance_without_a_readable_date_is_skipped_alone():
    dataset = build_dataset(shows=2, performances_per_show=2)
    credentials, account = register(dataset)
    skipped = dataset.shows[0].performances[1].id
    override_event(account, dataset, skipped, event_start_time="bientôt")
    shows = {show.external_id: show for show in sync(credentials)[0]}
    assert len(shows) == 4
    lost = shows[str(skipped)]
    assert (lost.performances, lost.tickets) == ((), ())
    assert lost.warnings[0].startswith(f"Événement {skipped} : date de début illisible")
    expected = dataset.expected_figures()
    found = figures_of_every_performance(shows.values(), dataset)
    assert {k: v for k, v in found.items() if k != skipped} == {
        k: v for k, v in expected.items() if k != skipped
    }


@pytest.mark.parametrize(
    ("fields", "warning"),
    [
        ({"currency": "gbp"}, "devise « gbp » non gérée (euros seuls)"),
        ({"ticket_status": "transferred"}, "statut « transferred » inconnu"),
        ({"vat_rate": 5.5}, "taux de TVA illisible"),
        ({"ticket_updated_at": None}, "date de mise à jour illisible"),
        ({"ticket_price": "12,50"}, "prix illisible"),
    ],
)
def test_an_odd_ticket_is_skipped_and_reported(fields, warning):
    dataset = build_dataset(shows=1, performances_per_show=1)
    credentials, account = register(dataset)
    odd = next(t for t in dataset.tickets if t.price > 0 and not t.refunded)
    account.state["overrides"] = {fake.shotgun_ticket_id(odd): fields}
    (show,) = sync(credentials)[0]
    assert show.warnings == (f"Billet {fake.shotgun_ticket_id(odd)} ignoré : {warning}.",)
    assert str(fake.shotgun_ticket_id(odd)) not in latest_tickets([show])
    without = replace(dataset, tickets=[t for t in dataset.tickets if t is not odd])
    assert figures_of_every_performance([show], dataset) == without.expected_figures()


def test_no_personal_data_leaves_the_connector():
    credentials, _ = register(build_dataset(shows=1))
    (show, *_) = sync(credentials)[0]
    assert "acheteur" not in repr(show) and "Camille" not in repr(show)


# --- The fake's other answers -------------------------------------------------------------------


def get(path: str, credentials: Credentials, **params: str) -> httpx.Response:
    auth = {"organizer_id": credentials.access_key, "key": credentials.secret_key}
    url = f"http://sandbox.test/shotgun{path}"
    return router.handle(httpx.Request("GET", url, params={**auth, **params}))


def test_events_are_listed_upcoming_or_past_from_page_zero():
    dataset = build_dataset(shows=6, performances_per_show=3)
    credentials, _ = register(dataset)
    path = f"/organizers/{credentials.access_key}/events"
    upcoming = get(path, credentials, limit="50").json()["data"]
    past = get(path, credentials, limit="50", past_events="false").json()["data"]
    assert len(upcoming) + len(past) == 18
    assert all(event["endTime"] >= fake._iso(dataset.now) for event in upcoming)
    event = past[0]
    assert set(event) >= {"id", "name", "startTime", "endTime", "timezone", "deals", "cancelledAt"}
    assert {deal["product_id"] for deal in event["deals"]} == {
        c.id for c in dataset.show(event["id"] // 1000).categories
    }
    second = get(path, credentials, limit="5", page="1", past_events="true").json()["data"]
    assert [e["id"] for e in second] == [e["id"] for e in past[5:10]]


def test_the_events_of_another_organizer_are_forbidden():
    credentials, _ = register(build_dataset(shows=1))
    response = get("/organizers/999/events", credentials)
    assert response.status_code == 403
    assert response.json()["message"] == "Forbidden resource"


def test_without_cursor_the_listing_gives_its_totals():
    dataset = build_dataset(shows=2)
    credentials, _ = register(dataset)
    pagination = get("/tickets/sold", credentials).json()["pagination"]
    listed = fake.listed_tickets(dataset)
    assert pagination["totalResults"] == listed
    assert pagination["totalPages"] == math.ceil(listed / 50)
    assert "page=2" in pagination["next"]


def test_unknown_paths_and_bad_parameters_answer_like_nestjs():
    credentials, _ = register(build_dataset(shows=1))
    missing = get("/orders", credentials)
    assert missing.status_code == 404
    assert missing.json()["message"] == "Cannot GET /api/shotgun/orders"
    bad = get("/tickets/sold", credentials, after="hier", cursor="true")
    assert bad.status_code == 400
    assert bad.json()["error"] == "Bad Request"


def test_demo_credentials_look_real_and_decode():
    assert fake.DEMO_CREDENTIALS.access_key.isdigit()
    issued_at = connector_module.jwt_issued_at(fake.DEMO_CREDENTIALS.secret_key)
    assert issued_at is not None and issued_at >= connector_module.LEGACY_TOKEN_ISSUED_BEFORE
