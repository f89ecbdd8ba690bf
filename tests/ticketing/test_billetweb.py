"""Billetweb: the connector against its sandbox (ticket-ledger mode), and the sandbox itself."""

import json
from collections import deque
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from tests.factories import OrganisationFactory
from ticketing.connectors import billetweb as connector_module
from ticketing.connectors import open_connector
from ticketing.connectors.base import Credentials, PermanentError, ShowData, TransientError
from ticketing.connectors.http import MAX_ATTEMPTS
from ticketing.credentials import credentials_encrypt, credentials_fingerprint
from ticketing.figures import figures_from_tickets
from ticketing.models import Performance, Show, SyncRun, TicketingSystem
from ticketing.sandbox import accounts, faults, router
from ticketing.sandbox import billetweb as fake
from ticketing.sandbox.dataset import Dataset, build_dataset
from ticketing.sandbox.faults import Fault, inject
from ticketing.sync import sync_execute

CREDENTIALS = Credentials(access_key="482913", secret_key="0123456789abcdef0123456789abcdef")
EVERYTHING = datetime(2000, 1, 1, tzinfo=UTC)
API = "http://sandbox.test/billetweb"


@pytest.fixture(autouse=True)
def _clean_sandbox():
    yield
    accounts.clear()
    faults.clear()


def mixed_dataset(shows: int = 6, tickets: int = 20) -> Dataset:
    """Even-indexed shows have one date (Billetweb: not `multiple`), the others three."""
    full = build_dataset(shows=shows, performances_per_show=3, tickets_per_performance=tickets)
    kept_shows, kept_performances = [], set()
    for index, show in enumerate(full.shows):
        if index % 2 == 0:
            show = replace(show, performances=show.performances[:1])
        kept_shows.append(show)
        kept_performances.update(p.id for p in show.performances)
    kept_tickets = [t for t in full.tickets if t.performance_id in kept_performances]
    return Dataset(shows=kept_shows, tickets=kept_tickets, now=full.now)


def register(dataset: Dataset) -> accounts.SandboxAccount:
    return accounts.register(
        "billetweb",
        access_key=CREDENTIALS.access_key,
        secret_key=CREDENTIALS.secret_key,
        dataset=dataset,
    )


def connect(credentials: Credentials = CREDENTIALS):
    return open_connector("billetweb", credentials, sleep=lambda seconds: None)


def external_id(dataset: Dataset, performance_id: int) -> str:
    show = dataset.show(performance_id // 1000)
    return str(performance_id) if len(show.performances) > 1 else f"fallback_{show.id}_0"


def ledger(*syncs: list[ShowData]) -> dict:
    """What the engine's ledger keeps: the latest state of each ticket."""
    tickets = {}
    for shows in syncs:
        for show in shows:
            for ticket in show.tickets:
                known = tickets.get(ticket.external_id)
                if known is None or known.updated_at <= ticket.updated_at:
                    tickets[ticket.external_id] = ticket
    return tickets


def ledger_figures(tickets: dict) -> dict:
    by_performance: dict[str, list] = {}
    for ticket in tickets.values():
        by_performance.setdefault(ticket.performance_external_id, []).append(
            (ticket.price_incl_vat, ticket.vat_rate, ticket.cancelled)
        )
    return {key: figures_from_tickets(rows) for key, rows in by_performance.items()}


def expected_rate(dataset: Dataset, performance_id: int) -> Decimal | None:
    rates = {
        t.vat_rate
        for t in dataset.tickets
        if t.performance_id == performance_id
        and not t.refunded
        and (t.price - (t.commission if t.payment == "web" else 0)) > 0
    }
    return rates.pop() if len(rates) == 1 else None


def assert_figures_match(dataset: Dataset, shows: list[ShowData], skip=frozenset()) -> None:
    figures = ledger_figures(ledger(shows))
    expected = dataset.expected_figures(deduct_online_commission=True)
    for performance_id, reference in expected.items():
        if performance_id in skip:
            continue
        got = figures[external_id(dataset, performance_id)]
        assert (got.free_tickets, got.paid_tickets) == (
            reference.free_tickets,
            reference.paid_tickets,
        )
        assert got.revenue_incl_vat == reference.revenue_incl_vat
        assert got.revenue_excl_vat == reference.revenue_excl_vat
        assert got.vat_rate == expected_rate(dataset, performance_id)


def multiple_shows(dataset: Dataset, show_ids) -> int:
    return sum(1 for show_id in show_ids if len(dataset.show(show_id).performances) > 1)


# --- Credentials --------------------------------------------------------------------------------


def test_check_credentials_accepts_a_registered_account():
    register(mixed_dataset())
    connector, client = connect()
    connector.check_credentials()
    assert client.requests_made == 1
    assert connector.provider == "billetweb"


def test_check_credentials_refused_tells_the_user_what_to_do():
    register(mixed_dataset())
    connector, client = connect(Credentials(CREDENTIALS.access_key, "wrong-key"))
    with pytest.raises(PermanentError) as refused:
        connector.check_credentials()
    assert "identifiants" in refused.value.message
    assert client.requests_made == 1


def test_a_key_restricted_to_some_events_is_a_permanent_error():
    account = register(mixed_dataset())
    account.state["limited_rights"] = True
    connector, _ = connect()
    with pytest.raises(PermanentError) as refused:
        connector.check_credentials()
    assert "Tous sélectionnés" in refused.value.message
    with pytest.raises(PermanentError):
        list(connector.shows_changed_since(EVERYTHING))


# --- First and incremental syncs ----------------------------------------------------------------


def test_first_sync_reproduces_the_reference_figures_of_every_performance():
    dataset = mixed_dataset()
    register(dataset)
    connector, client = connect()
    shows = list(connector.shows_changed_since(EVERYTHING))

    assert [s.external_id for s in shows] == [str(s.id) for s in dataset.shows]
    assert all(s.warnings == () for s in shows)
    for show, fake_show in zip(shows, dataset.shows, strict=True):
        assert show.name == fake_show.name
        assert [(p.external_id, p.starts_at, p.ends_at, p.figures) for p in show.performances] == [
            (external_id(dataset, p.id), p.starts_at, p.ends_at, None)
            for p in fake_show.performances
        ]
    assert len(ledger(shows)) == len(dataset.tickets)
    assert_figures_match(dataset, shows)
    # attendees + events, then per show its categories, and its dates when it has several.
    assert client.requests_made == 2 + len(dataset.shows) + multiple_shows(
        dataset, [1001, 1003, 1005]
    )
    assert client.requests_made <= 2 + 2 * len(dataset.shows)


def test_tickets_keep_their_category_rate_and_lose_the_commission_only_online():
    dataset = mixed_dataset()
    register(dataset)
    connector, _ = connect()
    tickets = ledger(list(connector.shows_changed_since(EVERYTHING)))
    by_id = {t.id: t for t in dataset.tickets}
    for ticket_id, ticket in tickets.items():
        source = by_id[int(ticket_id)]
        assert ticket.vat_rate == source.vat_rate  # "" in a category = the event's rate
        assert ticket.cancelled == source.refunded
        assert ticket.updated_at == source.updated_at
        online = source.payment == "web"
        commission = dataset.category(source.category_id).commission if online else 0
        assert ticket.price_incl_vat == source.price - commission
    assert any(t.payment == "web" for t in dataset.tickets)
    assert any(t.payment in ("card", "cash", "check") and t.price for t in dataset.tickets)


def test_commission_is_floored_at_zero_and_then_the_ticket_is_free():
    dataset = mixed_dataset(shows=2)
    cheap = next(i for i, t in enumerate(dataset.tickets) if t.payment == "web" and t.price)
    ticket = dataset.tickets[cheap]
    commission = dataset.category(ticket.category_id).commission
    dataset.tickets[cheap] = replace(ticket, price=Decimal("0.40"), refunded=False)
    assert commission > Decimal("0.40")
    register(dataset)
    connector, _ = connect()
    shows = list(connector.shows_changed_since(EVERYTHING))
    assert ledger(shows)[str(ticket.id)].price_incl_vat == 0
    assert_figures_match(dataset, shows)


def test_incremental_sync_fetches_only_the_changed_tickets_and_their_shows():
    dataset = mixed_dataset(shows=8)
    register(dataset)
    connector, client = connect()
    first = list(connector.shows_changed_since(EVERYTHING))
    first_requests = client.requests_made

    synced_at = dataset.now + timedelta(hours=1)
    at = dataset.now + timedelta(days=1)
    changed = dataset.touch(share=0.01, at=at)
    touched = [t for t in dataset.tickets if t.updated_at == at]
    assert len(touched) == changed
    changed_shows = sorted({t.show_id for t in touched})

    second = list(connector.shows_changed_since(synced_at))
    assert [s.external_id for s in second] == [str(show_id) for show_id in changed_shows]
    assert sorted(t.external_id for s in second for t in s.tickets) == sorted(
        str(t.id) for t in touched
    )
    requests = client.requests_made - first_requests
    assert requests == 2 + len(changed_shows) + multiple_shows(dataset, changed_shows)
    assert_figures_match(dataset, first + second)


# --- Metadata memo: dates and categories reused between runs ------------------------------------


def memo_store(shows: list[ShowData], store: dict | None = None) -> dict:
    """What the engine keeps: the last memo each show came with."""
    store = {} if store is None else store
    store.update({show.external_id: show.memo for show in shows if show.memo is not None})
    return store


def first_sync_with_memos(dataset: Dataset) -> tuple[list[ShowData], dict]:
    register(dataset)
    connector, _ = connect()
    first = list(connector.shows_changed_since(EVERYTHING))
    return first, memo_store(first)


def touched_run(dataset: Dataset, store: dict, *, share: float = 0.01):
    """Changes a share of the tickets, then runs the connector with the memos; (shows,
    requests, changed show ids)."""
    at = dataset.now + timedelta(hours=1)
    dataset.touch(share=share, at=at)
    changed_shows = sorted({t.show_id for t in dataset.tickets if t.updated_at == at})
    connector, client = connect()
    shows = list(connector.shows_changed_since(at - timedelta(minutes=1), store.get))
    return shows, client.requests_made, changed_shows


def test_a_run_after_a_recent_one_reuses_dates_and_categories_two_requests_in_all():
    dataset = mixed_dataset(shows=8)
    first, store = first_sync_with_memos(dataset)
    assert set(store) == {show.external_id for show in first}

    second, requests, changed_shows = touched_run(dataset, store)
    assert [s.external_id for s in second] == [str(show_id) for show_id in changed_shows]
    assert requests == 2  # changed attendees + events, whatever the number of changed shows
    assert all(show.memo is None for show in second)  # nothing new to remember
    assert [s.performances for s in second] == [
        next(f for f in first if f.external_id == s.external_id).performances for s in second
    ]
    assert_figures_match(dataset, first + second)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda memo: memo.update(read_at=memo["read_at"] - 13 * 3600), id="too-old"),
        pytest.param(lambda memo: memo["event"].__setitem__(0, "Ancien nom"), id="event-changed"),
        pytest.param(lambda memo: memo.update(version=0), id="other-format"),
        pytest.param(lambda memo: memo.update(categories=memo["categories"][1:]), id="category"),
    ],
)
def test_dates_and_categories_are_read_again_when_the_memo_cannot_be_trusted(spoil):
    dataset = mixed_dataset(shows=8)
    first, store = first_sync_with_memos(dataset)
    for memo in store.values():
        spoil(memo)

    second, requests, changed_shows = touched_run(dataset, store)
    re_read = [s for s in second if s.memo is not None]
    assert re_read, "at least one show read again"
    assert requests == 2 + len(re_read) + sum(1 for s in re_read if s.memo["dates"])
    assert all(s.memo["read_at"] > 0 and s.memo["version"] == 1 for s in re_read)
    assert_figures_match(dataset, first + second)


def test_a_date_added_since_the_memo_is_read_again_once():
    dataset = mixed_dataset(shows=8)
    first, store = first_sync_with_memos(dataset)
    removed = {}
    for key, memo in store.items():  # as if each multi-date show had one date fewer back then
        if memo["dates"]:
            removed[key] = memo["dates"].pop()["id"]

    second, requests, _ = touched_run(dataset, store, share=0.2)
    hit = {
        s.external_id
        for s in second
        if any(t.performance_external_id == removed.get(s.external_id) for t in s.tickets)
    }
    assert hit
    assert {s.external_id for s in second if s.memo is not None} == hit
    assert requests == 2 + 2 * len(hit)  # dates and categories of those shows only
    assert all(len(s.memo["dates"]) == 3 for s in second if s.memo is not None)
    assert all(not s.warnings for s in second)
    assert_figures_match(dataset, first + second)


def test_no_change_costs_one_request():
    dataset = mixed_dataset()
    register(dataset)
    connector, client = connect()
    assert list(connector.shows_changed_since(dataset.now + timedelta(hours=1))) == []
    assert client.requests_made == 1


def test_empty_account():
    register(build_dataset(shows=0))
    connector, client = connect()
    connector.check_credentials()
    assert list(connector.shows_changed_since(EVERYTHING)) == []
    assert client.requests_made == 2


def test_the_listing_is_requested_with_the_auth_and_the_window_and_never_per_event_attendees(
    monkeypatch,
):
    dataset = mixed_dataset(shows=2)
    register(dataset)
    seen = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return fake.handle(request, request.url.path.removeprefix("/billetweb"))

    monkeypatch.setattr(router, "handle", recording)
    connector, _ = connect()
    since = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    list(connector.shows_changed_since(since))
    assert [url.path for url in seen] == [
        "/billetweb/attendees",
        "/billetweb/events",
        "/billetweb/event/1000/tickets",
        "/billetweb/event/1001/dates",
        "/billetweb/event/1001/tickets",
    ]
    assert all(
        (url.params["user"], url.params["key"], url.params["version"])
        == (CREDENTIALS.access_key, CREDENTIALS.secret_key, "1")
        for url in seen
    )
    assert seen[0].params["last_update"] == str(int(since.timestamp()))
    assert seen[1].params["past"] == seen[3].params["past"] == "1"


def test_an_event_without_a_start_date_keeps_its_show_without_performance(monkeypatch):
    dataset = mixed_dataset(shows=2)
    register(dataset)
    original = fake._event

    def undated(show):
        event = original(show)
        if show.id == 1000:
            event["start"] = event["end"] = fake.NO_DATE
        return event

    monkeypatch.setattr(fake, "_event", undated)
    connector, _ = connect()
    shows = {s.external_id: s for s in connector.shows_changed_since(EVERYTHING)}
    undated_show = shows["1000"]
    assert undated_show.performances == () and undated_show.tickets == ()
    count = len(dataset.tickets_of_show(1000))
    assert undated_show.warnings == (
        "Représentation sans date de début : ignorée.",
        f"{count} billets ignorés : représentation inconnue ou ignorée.",
    )
    assert len(shows["1001"].performances) == 3 and shows["1001"].warnings == ()


# --- Faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", [Fault.TIMEOUT, Fault.SERVER_ERROR, Fault.UNAVAILABLE, Fault.RATE_LIMITED]
)
def test_transient_faults_are_retried_then_reported(fault):
    register(mixed_dataset())
    connector, client = connect()
    with inject("billetweb", fault), pytest.raises(TransientError):
        list(connector.shows_changed_since(EVERYTHING))
    assert client.requests_made == MAX_ATTEMPTS


def test_the_firewall_page_asks_to_retry_in_a_few_minutes():
    register(mixed_dataset())
    connector, client = connect()
    with inject("billetweb", Fault.FIREWALL), pytest.raises(TransientError) as blocked:
        connector.check_credentials()
    assert blocked.value.message == connector_module.FIREWALL
    assert client.requests_made == 1


def test_a_rate_limit_body_on_another_status_is_read_as_the_firewall(monkeypatch):
    register(mixed_dataset())
    monkeypatch.setattr(
        router, "handle", lambda request: httpx.Response(403, text=fake.RATE_LIMIT_BODY)
    )
    connector, client = connect()
    with pytest.raises(TransientError) as blocked:
        list(connector.shows_changed_since(EVERYTHING))
    assert blocked.value.message == connector_module.FIREWALL
    assert client.requests_made == 1


def test_a_truncated_listing_stops_the_run_before_any_show():
    register(mixed_dataset())
    connector, client = connect()
    shows = []
    with inject("billetweb", Fault.MALFORMED), pytest.raises(TransientError) as unreadable:
        shows.extend(connector.shows_changed_since(EVERYTHING))
    assert shows == []
    assert unreadable.value.message == connector_module.UNREADABLE
    assert client.requests_made == 1


def test_refused_credentials_during_a_sync():
    register(mixed_dataset())
    connector, client = connect()
    with inject("billetweb", Fault.CREDENTIALS_REFUSED), pytest.raises(PermanentError):
        list(connector.shows_changed_since(EVERYTHING))
    assert client.requests_made == 1


def test_malformed_records_are_skipped_and_reported_the_rest_is_synced():
    dataset = mixed_dataset()
    register(dataset)
    connector, _ = connect()
    with inject("billetweb", Fault.MALFORMED_RECORD):
        shows = {s.external_id: s for s in connector.shows_changed_since(EVERYTHING)}

    # The first attendee of the listing (ticket 1, show 1000) has an unreadable price.
    assert shows["1000"].warnings == ("1 billet ignoré : prix illisible.",)
    # The first date of every multiple event has no readable start: skipped alone.
    skipped = set()
    for show_id in (1001, 1003, 1005):
        broken, *others = dataset.show(show_id).performances
        skipped.add(broken.id)
        show = shows[str(show_id)]
        assert [p.external_id for p in show.performances] == [str(p.id) for p in others]
        count = sum(1 for t in dataset.tickets if t.performance_id == broken.id)
        assert show.warnings == (
            f"Représentation {broken.id} sans date de début : ignorée.",
            f"{count} billets ignorés : représentation inconnue ou ignorée.",
        )
    without_first = Dataset(shows=dataset.shows, tickets=dataset.tickets[1:], now=dataset.now)
    assert_figures_match(without_first, list(shows.values()), skip=skipped)


def test_the_sandbox_rate_limit_trips_the_connector_after_its_retries():
    account = register(mixed_dataset())
    account.state["billetweb_hits"] = deque([fake.clock()] * 100)
    connector, client = connect()
    with pytest.raises(TransientError) as limited:
        connector.check_credentials()
    assert client.requests_made == MAX_ATTEMPTS
    assert 0 < limited.value.retry_after <= 60


def test_no_credential_in_the_logs(caplog):
    register(mixed_dataset())
    connector, _ = connect()
    with caplog.at_level("DEBUG"):
        list(connector.shows_changed_since(EVERYTHING))
        with inject("billetweb", Fault.SERVER_ERROR), pytest.raises(TransientError):
            connector.check_credentials()
    assert CREDENTIALS.secret_key not in caplog.text


# --- Reading Billetweb values -------------------------------------------------------------------


def test_paris_times_become_aware_and_the_placeholder_means_none():
    summer = connector_module._paris("2026-07-14 20:30:00")
    winter = connector_module._paris("2026-01-10 20:30:00")
    assert summer.astimezone(UTC) == datetime(2026, 7, 14, 18, 30, tzinfo=UTC)
    assert winter.astimezone(UTC) == datetime(2026, 1, 10, 19, 30, tzinfo=UTC)
    assert connector_module._paris("0000-00-00 00:00:00") is None
    with pytest.raises(connector_module._Unreadable):
        connector_module._paris("14/07/2026")


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", True), ("0", False), (1, True), (0, False), (True, True), (False, False)]
    + [("true", True), ("false", False)],
)
def test_billetweb_booleans(raw, value):
    assert connector_module._boolean(raw) is value


@pytest.mark.parametrize("raw", ["2", "yes", None, 2, ""])
def test_unknown_booleans_are_unreadable(raw):
    with pytest.raises(connector_module._Unreadable):
        connector_module._boolean(raw)


def test_attendees_sharing_equal_sale_fields_of_other_types_are_read_apart():
    # 1 and True are equal in Python; shared as one, a boolean session would pass for session 1.
    shared, sales = {}, {}
    sessions = {"1": "1"}
    categories = {"7": connector_module._Category(Decimal("0.055"), Decimal(0))}
    record = {
        "id": "10",
        "ticket_id": "7",
        "price": "5",
        "disabled": "0",
        "last_update": "2026-01-10 20:30:00",
    }
    good = connector_module._compact({**record, "order_session": 1}, shared)
    odd = connector_module._compact({**record, "id": "11", "order_session": True}, shared)
    unhashable = connector_module._compact({**record, "id": "12", "order_session": [1]}, shared)
    assert (
        connector_module._ticket(good, sales, sessions, categories).performance_external_id == "1"
    )
    for raw in (odd, odd, unhashable):  # the second time from what was read the first time
        with pytest.raises(connector_module._Unknown):
            connector_module._ticket(raw, sales, sessions, categories)


def test_rates_are_percents_and_amounts_exact_decimals():
    assert connector_module._percent("5.5") == Decimal("0.055")
    assert connector_module._percent(Decimal("2.1")) == Decimal("0.021")
    assert connector_module._percent(20) == Decimal("0.2")
    assert connector_module._percent("") is None
    assert connector_module._amount("12.50") == Decimal("12.50")
    for bad in ("N/A", "-1", True, [1]):
        with pytest.raises(connector_module._Unreadable):
            connector_module._amount(bad)


# --- The incremental JSON reader ----------------------------------------------------------------


def chunked(text: str, size: int) -> list[bytes]:
    data = text.encode()
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_the_reader_gives_the_same_values_whatever_the_chunk_boundaries(size):
    document = json.dumps(
        [{"id": "1", "price": 12.5, "name": "Éléonore ☕"}, 23, "x", [], {}, None, True],
        ensure_ascii=False,
    )
    values = list(connector_module.iter_json_array(chunked(document, size)))
    assert values == json.loads(document, parse_float=Decimal)
    assert isinstance(values[0]["price"], Decimal)


@pytest.mark.parametrize("document", ["[]", " [ ] \n", "[\n]"])
def test_the_reader_accepts_empty_arrays(document):
    assert list(connector_module.iter_json_array(chunked(document, 1))) == []


@pytest.mark.parametrize("document", ['[{"a": 1}', '[{"a": 1},', "[1 2]", "[1] x", "", "<html>"])
def test_the_reader_refuses_truncated_or_invalid_documents(document):
    with pytest.raises(connector_module._Unreadable):
        list(connector_module.iter_json_array(chunked(document, 3)))


def test_the_reader_hands_back_an_error_object():
    with pytest.raises(connector_module._ErrorObject) as error:
        list(connector_module.iter_json_array([b'{"error": "unauthorized"}']))
    assert error.value.value == {"error": "unauthorized"}


# --- The sandbox --------------------------------------------------------------------------------


def get(path: str, credentials: Credentials = CREDENTIALS, **params: str) -> httpx.Response:
    query = {"user": credentials.access_key, "key": credentials.secret_key, "version": "1"}
    response = router.handle(httpx.Request("GET", f"{API}{path}", params={**query, **params}))
    response.read()  # listings are streamed
    return response


def test_the_sandbox_serves_billetweb_shapes():
    dataset = mixed_dataset(shows=2)
    register(dataset)
    attendee = get("/attendees", last_update="0").json()[0]
    assert {"id", "event", "ticket_id", "price", "disabled", "order_session"} <= set(attendee)
    assert attendee["order_session"] == "0"  # show 1000 has a single date
    assert isinstance(attendee["price"], str) and attendee["disabled"] in ("0", "1")
    events = get("/events", past="1").json()
    assert (events[0]["multiple"], events[1]["multiple"]) == ("0", True)
    assert get("/event/1000/dates", past="1").json() == []
    dates = get("/event/1001/dates", past="1").json()
    assert [d["id"] for d in dates] == [str(p.id) for p in dataset.show(1001).performances]
    categories = get("/event/1000/tickets").json()
    assert categories[0]["tax"] == ""  # inherits the event's tax_rate
    assert categories[3]["commission"] is False  # invitations
    assert get("/event/999/tickets").status_code == 404
    assert get("/attendees", last_update=str(int(dataset.now.timestamp()) + 1)).json() == []


def test_the_sandbox_refuses_unknown_credentials():
    register(mixed_dataset(shows=1))
    response = get("/events", Credentials("482913", "nope"))
    assert response.status_code == 403
    assert response.json()["error"] == "unauthorized"


def test_the_sandbox_limits_each_key_to_100_requests_a_minute(monkeypatch):
    register(mixed_dataset(shows=1))
    other = Credentials("777", "another-key")
    accounts.register("billetweb", access_key="777", secret_key="another-key")
    now = [1000.0]
    monkeypatch.setattr(fake, "clock", lambda: now[0])
    assert all(get("/events").status_code == 200 for _ in range(100))
    limited = get("/events")
    assert limited.status_code == 429
    assert '"error": "rate_limiting",' in limited.text
    assert limited.headers["Retry-After"] == "60"
    assert get("/events", other).status_code == 200
    now[0] += 60
    assert get("/events").status_code == 200


def test_the_sandbox_is_deterministic():
    register(mixed_dataset(shows=3))
    assert get("/attendees", last_update="0").content == get("/attendees", last_update="0").content


def test_the_demo_credentials_look_like_billetweb_ones():
    assert fake.DEMO_CREDENTIALS.access_key.isdigit()
    assert len(fake.DEMO_CREDENTIALS.secret_key) == 32


@pytest.mark.django_db
def test_the_engine_keeps_the_memos_so_a_run_after_a_recent_one_costs_two_requests():
    dataset = mixed_dataset(shows=8)
    dataset.now = timezone.now() - timedelta(minutes=5)
    dataset = replace(
        dataset,
        tickets=[replace(t, updated_at=dataset.now - timedelta(days=3)) for t in dataset.tickets],
    )
    register(dataset)
    system = TicketingSystem.objects.create(
        organisation=OrganisationFactory(),
        provider="billetweb",
        credentials_encrypted=credentials_encrypt(CREDENTIALS),
        credentials_fingerprint=credentials_fingerprint("billetweb", CREDENTIALS),
    )

    def run() -> SyncRun:
        created = SyncRun.objects.create(ticketing_system=system)
        return sync_execute(created.pk, sleep=lambda seconds: None)

    first = run()
    assert first.status == SyncRun.Status.SUCCEEDED
    assert all(
        memo["version"] == 1 for memo in Show.objects.values_list("connector_memo", flat=True)
    )
    dataset.touch(share=0.05, at=timezone.now())
    second = run()
    assert (second.status, second.requests_made) == (SyncRun.Status.SUCCEEDED, 2)
    assert second.shows_updated > 0
    expected = dataset.expected_figures(deduct_online_commission=True)
    for performance_id, figures in expected.items():
        performance = Performance.objects.get(external_id=external_id(dataset, performance_id))
        assert (performance.paid_tickets, performance.revenue_excl_vat) == (
            figures.paid_tickets,
            figures.revenue_excl_vat,
        )
