"""Supersoniks / SoTicket connector against its sandbox (and hand-written statements for the
rules the generated data set does not exercise). No database, no wall time."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from ticketing.connectors import open_connector
from ticketing.connectors.base import Credentials, PermanentError, TransientError
from ticketing.connectors.http import MAX_ATTEMPTS
from ticketing.connectors.supersoniks import (
    INVALID_DOMAIN,
    LATE_CHANGES,
    validate_domain,
)
from ticketing.sandbox import accounts, faults, router
from ticketing.sandbox.dataset import build_dataset
from ticketing.sandbox.faults import Fault, inject
from ticketing.sandbox.supersoniks import DEMO_CREDENTIALS, SERVICE

from .supersoniks_fixtures import (
    CREDENTIALS,
    DOMAIN,
    LISTING_URL,
    START,
    TOKEN,
    expected_rates,
    multisession,
    register,
    serve,
    statement,
    when,
)

FIRST_WINDOW = timedelta(days=395)


@pytest.fixture(autouse=True)
def _clean_sandbox():
    yield
    accounts.clear()
    faults.clear()


def connect(provider: str = "supersoniks", credentials: Credentials = CREDENTIALS, sleeps=None):
    sleep = sleeps.append if sleeps is not None else (lambda seconds: None)
    return open_connector(provider, credentials, sleep=sleep)


def figures_tuple(figures):
    return (
        figures.free_tickets,
        figures.paid_tickets,
        figures.revenue_incl_vat,
        figures.revenue_excl_vat,
    )


def expected_tuple(expected):
    return (
        expected.free_tickets,
        expected.paid_tickets,
        expected.revenue_incl_vat,
        expected.revenue_excl_vat,
    )


def by_performance(shows):
    return {int(p.external_id): p for show in shows for p in show.performances}


def fixture_sync(monkeypatch, statements, since=None):
    monkeypatch.setattr(router, "handle", serve(statements))
    connector, client = connect()
    shows = list(connector.shows_changed_since(since or when(START) - timedelta(days=1)))
    return shows, client


# --- Domain and credentials ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "domain"),
    [
        ("billetterie.masalle.fr", "billetterie.masalle.fr"),
        ("  Billetterie.MaSalle.FR ", "billetterie.masalle.fr"),
        ("tickets.my_venue-2.co.uk", "tickets.my_venue-2.co.uk"),
    ],
)
def test_a_bare_hostname_is_accepted_and_normalised(typed, domain):
    assert validate_domain(typed) == domain


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "https://billetterie.masalle.fr",
        "billetterie.masalle.fr/",
        "billetterie.masalle.fr/api/v2",
        "localhost",
        "192.168.1.10",
        "billetterie masalle.fr",
        "billetterie.masalle.f",
    ],
)
def test_anything_but_a_bare_hostname_is_refused_with_what_to_type(typed):
    with pytest.raises(PermanentError) as refused:
        validate_domain(typed)
    assert refused.value.message == INVALID_DOMAIN
    assert "nom de domaine" in refused.value.message


def test_check_credentials_makes_one_request():
    register(build_dataset(shows=2))
    connector, client = connect()
    connector.check_credentials()
    assert client.requests_made == 1
    assert connector.provider == "supersoniks"


@pytest.mark.parametrize(
    "credentials",
    [Credentials(DOMAIN, "eyJ-revoked"), Credentials("autre.billetterie.fr", TOKEN)],
)
def test_refused_token_or_other_domain_says_to_ask_a_new_token(credentials):
    register(build_dataset(shows=1))
    connector, client = connect(credentials=credentials)
    with pytest.raises(PermanentError) as refused:
        connector.check_credentials()
    assert "jeton" in refused.value.message
    assert "Supersoniks" in refused.value.message
    assert client.requests_made == 1  # never retried


def test_soticket_uses_the_same_api_under_its_own_name():
    register(build_dataset(shows=1))
    connector, _ = connect("soticket")
    assert connector.provider == "soticket"
    connector.check_credentials()
    with inject(SERVICE, Fault.CREDENTIALS_REFUSED), pytest.raises(PermanentError) as refused:
        connector.check_credentials()
    assert "SoTicket" in refused.value.message
    assert "Supersoniks" not in refused.value.message


def test_an_invalid_domain_never_reaches_the_network(monkeypatch):
    calls = []
    monkeypatch.setattr(router, "handle", lambda request: calls.append(request))
    with pytest.raises(PermanentError, match="nom de domaine"):
        connect(credentials=Credentials("billetterie.masalle.fr/admin", TOKEN))
    assert calls == []


def test_the_token_travels_as_a_bearer_header_only(monkeypatch):
    seen = []
    original = router.handle
    monkeypatch.setattr(router, "handle", lambda request: seen.append(request) or original(request))
    register(build_dataset(shows=1))
    connector, _ = connect()
    connector.check_credentials()
    (request,) = seen
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.url)
    assert request.url.path == f"/supersoniks/{DOMAIN}/api/v2/statement/closing"
    assert request.url.params["bypass_closed"] == "true"


def test_demo_credentials_are_a_valid_domain_and_a_jwt_looking_token():
    assert validate_domain(DEMO_CREDENTIALS.access_key) == DEMO_CREDENTIALS.access_key
    assert DEMO_CREDENTIALS.secret_key.startswith("ey")


# --- Synchronisation ----------------------------------------------------------------------------


def test_first_sync_reproduces_the_reference_figures_exactly():
    dataset = build_dataset(shows=12, performances_per_show=3, tickets_per_performance=40)
    register(dataset)
    connector, client = connect()
    shows = list(connector.shows_changed_since(dataset.now - FIRST_WINDOW))
    performances = by_performance(shows)
    expected = dataset.expected_figures()
    rates = expected_rates(dataset)
    assert performances.keys() == expected.keys()
    for performance_id, performance in performances.items():
        assert figures_tuple(performance.figures) == expected_tuple(expected[performance_id])
        assert performance.figures.vat_rate == rates[performance_id], performance_id
    assert None in rates.values() and len(set(rates.values())) > 2  # mixed and several rates
    # The window, plus the sessions before it of the multi-séances found in it.
    assert client.requests_made == 2


def test_shows_are_multisessions_with_their_name_dates_and_ids():
    dataset = build_dataset(shows=3, performances_per_show=4, tickets_per_performance=5)
    register(dataset)
    connector, _ = connect()
    shows = {show.external_id: show for show in connector.shows_changed_since(LONG_AGO(dataset))}
    assert set(shows) == {f"multisession-{show.id}" for show in dataset.shows}
    for fake in dataset.shows:
        show = shows[f"multisession-{fake.id}"]
        assert show.name == fake.name
        assert show.warnings == ()
        assert [
            (p.external_id, p.starts_at, p.ends_at, p.figures is not None)
            for p in show.performances
        ] == [(str(p.id), p.starts_at, p.ends_at, True) for p in fake.performances]
        assert show.tickets is None  # figures mode


def LONG_AGO(dataset):  # noqa: N802
    return dataset.now - timedelta(days=3 * 365)


def test_a_show_with_one_performance_is_the_session_itself():
    dataset = build_dataset(shows=2, performances_per_show=1, tickets_per_performance=5)
    register(dataset)
    connector, client = connect()
    shows = list(connector.shows_changed_since(LONG_AGO(dataset)))
    assert [show.external_id for show in shows] == [
        f"session-{show.id * 1000}" for show in dataset.shows
    ]
    assert client.requests_made == 1  # no multi-séance: nothing to complete


def test_season_passes_and_gift_cards_create_no_show():
    dataset = build_dataset(shows=1, performances_per_show=1, tickets_per_performance=3)
    register(dataset)
    connector, _ = connect()
    shows = list(connector.shows_changed_since(LONG_AGO(dataset)))
    assert [show.external_id for show in shows] == ["session-1000000"]


def test_incremental_sync_reads_the_recent_sessions_and_completes_their_shows():
    dataset = build_dataset(shows=20, performances_per_show=3, tickets_per_performance=20)
    register(dataset)
    first_run = dataset.now
    changed = dataset.touch(share=0.01, at=first_run + timedelta(hours=2))
    assert changed == 12
    connector, client = connect()
    shows = list(connector.shows_changed_since(first_run))
    window_start = first_run - LATE_CHANGES
    recent = {
        f"multisession-{show.id}"
        for show in dataset.shows
        if any(p.starts_at >= window_start for p in show.performances)
    }
    assert {show.external_id for show in shows} == recent
    assert 0 < len(recent) < len(dataset.shows)
    expected = dataset.expected_figures()
    performances = by_performance(shows)
    for show in dataset.shows:
        if f"multisession-{show.id}" in recent:  # every performance, even before the window
            for performance in show.performances:
                got = performances[performance.id].figures
                assert figures_tuple(got) == expected_tuple(expected[performance.id])
    assert client.requests_made == 2


def test_window_bounds_are_inclusive_and_exact():
    dataset = build_dataset(shows=4, performances_per_show=1, tickets_per_performance=3)
    register(dataset)
    target = min(dataset.shows, key=lambda show: show.performances[0].starts_at)
    starts = target.performances[0].starts_at
    connector, client = connect()
    at_bound = {s.external_id for s in connector.shows_changed_since(starts + LATE_CHANGES)}
    assert f"session-{target.id * 1000}" in at_bound
    after = {
        s.external_id
        for s in connector.shows_changed_since(starts + LATE_CHANGES + timedelta(seconds=1))
    }
    assert f"session-{target.id * 1000}" not in after
    assert client.requests_made == 2


def test_an_empty_account_yields_nothing_in_one_request():
    register(build_dataset(shows=0))
    connector, client = connect()
    assert list(connector.shows_changed_since(LONG_AGO(build_dataset(shows=0)))) == []
    assert client.requests_made == 1


def test_a_large_account_is_read_in_two_requests():
    dataset = build_dataset(shows=40, performances_per_show=10, tickets_per_performance=2)
    register(dataset)
    connector, client = connect()
    count = sum(len(show.performances) for show in connector.shows_changed_since(LONG_AGO(dataset)))
    assert count == 400
    assert client.requests_made == 2


# --- Faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", [Fault.TIMEOUT, Fault.SERVER_ERROR, Fault.UNAVAILABLE, Fault.RATE_LIMITED]
)
def test_transient_faults_are_retried_then_reported(fault):
    dataset = build_dataset(shows=2)
    register(dataset)
    sleeps = []
    connector, client = connect(sleeps=sleeps)
    with inject(SERVICE, fault), pytest.raises(TransientError):
        list(connector.shows_changed_since(LONG_AGO(dataset)))
    assert client.requests_made == MAX_ATTEMPTS
    assert len(sleeps) == MAX_ATTEMPTS - 1
    if fault is Fault.RATE_LIMITED:
        assert sleeps == [faults.RETRY_AFTER_SECONDS] * (MAX_ATTEMPTS - 1)


def test_a_truncated_answer_is_transient_and_not_retried():
    dataset = build_dataset(shows=2)
    register(dataset)
    connector, client = connect()
    with inject(SERVICE, Fault.MALFORMED), pytest.raises(TransientError, match="illisible"):
        list(connector.shows_changed_since(LONG_AGO(dataset)))
    assert client.requests_made == 1


def test_the_customer_firewall_says_what_to_ask():
    register(build_dataset(shows=1))
    connector, client = connect()
    with inject(SERVICE, Fault.FIREWALL), pytest.raises(PermanentError, match="pare-feu"):
        connector.check_credentials()
    assert client.requests_made == 1


def test_revoked_credentials_stop_the_sync():
    dataset = build_dataset(shows=1)
    register(dataset)
    connector, client = connect()
    with inject(SERVICE, Fault.CREDENTIALS_REFUSED), pytest.raises(PermanentError, match="jeton"):
        list(connector.shows_changed_since(LONG_AGO(dataset)))
    assert client.requests_made == 1


def test_a_malformed_record_is_reported_and_the_rest_synced():
    dataset = build_dataset(shows=3, performances_per_show=2, tickets_per_performance=5)
    register(dataset)
    connector, _ = connect()
    with inject(SERVICE, Fault.MALFORMED_RECORD):
        shows = list(connector.shows_changed_since(LONG_AGO(dataset)))
    warnings = [warning for show in shows for warning in show.warnings]
    assert len(warnings) == 1
    assert "internals_prices" in warnings[0] and "ignorée" in warnings[0]
    assert len(by_performance(shows)) == 5
    expected = dataset.expected_figures()
    for performance_id, performance in by_performance(shows).items():
        assert figures_tuple(performance.figures) == expected_tuple(expected[performance_id])


# --- The fake's own contract --------------------------------------------------------------------


def get(url: str, token: str = TOKEN, **params) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return router.handle(httpx.Request("GET", url, params=params, headers=headers))


def test_the_fake_requires_from_and_to_and_hides_open_sessions_by_default():
    dataset = build_dataset(shows=3, performances_per_show=2, tickets_per_performance=3)
    register(dataset)
    missing = get(LISTING_URL, **{"from": "0"})
    assert missing.status_code == 400
    assert missing.json()["success"] is False
    assert missing.json()["messages"][0]["content"] == "Donnée manquante : to"
    everything = {"from": "0", "to": str(2**31)}
    closed = get(LISTING_URL, **everything).json()
    both = get(LISTING_URL, bypass_closed="true", **everything).json()
    assert all(s["closing_date"] > 0 for s in closed["data"])
    assert closed["total"] < both["total"] == len(both["data"]) == 6 + 2
    assert {s["session"]["entity_type"] for s in both["data"]} == {"event", "pass", "gift_card"}


def test_the_fake_serves_one_statement_once_closed():
    dataset = build_dataset(shows=3, performances_per_show=2, tickets_per_performance=3)
    last = max(p.ends_at for show in dataset.shows for p in show.performances)
    dataset.now = last + timedelta(days=1)  # the last session is not closed yet
    register(dataset)
    listing = get(LISTING_URL, bypass_closed="true", **{"from": "0", "to": str(2**31)}).json()
    events = [s for s in listing["data"] if s["session"]["entity_type"] == "event"]
    closed = next(s for s in events if s["closing_date"])
    still_open = next(s for s in events if not s["closing_date"])
    one = get(f"{LISTING_URL}/{closed['session']['id']}").json()
    assert one["success"] is True and one["data"] == closed
    assert get(f"{LISTING_URL}/{still_open['session']['id']}").status_code == 400
    assert get(f"{LISTING_URL}/42").status_code == 404


# --- Rules on hand-written statements -----------------------------------------------------------


def test_tax_rate_is_a_fraction_and_excl_vat_comes_from_the_vat_amount(monkeypatch):
    shows, client = fixture_sync(monkeypatch, [statement()])
    (show,) = shows
    assert (show.external_id, show.name) == ("session-501", "Concert X")
    (performance,) = show.performances
    assert performance.external_id == "501"
    assert performance.starts_at == when(START) and performance.starts_at.tzinfo is not None
    assert performance.ends_at == when(START + 7200)
    figures = performance.figures
    assert figures_tuple(figures) == (10, 82, Decimal("1234.00"), Decimal("1169.67"))
    assert figures.vat_rate == Decimal("0.0550")
    assert client.requests_made == 1


def test_a_rate_given_as_a_percent_is_read_as_one(monkeypatch):
    percent = statement(session={"settings": {"tax": {"rate": 5.5}}}, tax_amount=None)
    shows, _ = fixture_sync(monkeypatch, [percent])
    figures = shows[0].performances[0].figures
    assert figures.vat_rate == Decimal("0.055")
    assert figures.revenue_excl_vat == Decimal("1169.67")


def test_partial_refunds_are_deducted_without_changing_the_tickets(monkeypatch):
    refunded = statement(
        revenue=1229.0,
        tax_amount=64.07,
        internals_prices=[
            {"title": "Plein", "amount": 15.0, "quantity": 80, "revenue": 1200.0},
            {"title": "Invitation", "amount": 0, "quantity": 10, "revenue": 0},
            {"title": "Plein", "amount": -5.0, "quantity": 0, "revenue": -5.0},
        ],
    )
    shows, _ = fixture_sync(monkeypatch, [refunded])
    figures = shows[0].performances[0].figures
    assert figures_tuple(figures) == (10, 82, Decimal("1229.00"), Decimal("1164.93"))
    assert figures.vat_rate == Decimal("0.0550")


def test_mixed_rates_give_no_indicative_rate_but_exact_excl_vat(monkeypatch):
    # 80 × 15 € at 5.5 % and 2 × 17 € at 20 %: VAT 62.56 + 5.67.
    mixed = statement(tax_amount=68.23)
    shows, _ = fixture_sync(monkeypatch, [mixed])
    figures = shows[0].performances[0].figures
    assert figures.revenue_excl_vat == Decimal("1165.77")
    assert figures.vat_rate is None


def test_a_session_whose_paid_tickets_are_all_at_another_rate_gets_that_rate(monkeypatch):
    other = statement(tax_amount=205.67)  # 1234 € at 20 % although the session says 5.5 %
    shows, _ = fixture_sync(monkeypatch, [other])
    assert shows[0].performances[0].figures.vat_rate == Decimal("0.2")


def test_free_only_sessions_have_no_rate_and_no_revenue(monkeypatch):
    free = statement(
        revenue=0,
        tax_amount=0,
        internals_prices=[{"title": "Invitation", "amount": 0, "quantity": 12, "revenue": 0}],
        externals_prices=[],
    )
    shows, _ = fixture_sync(monkeypatch, [free])
    figures = shows[0].performances[0].figures
    assert figures_tuple(figures) == (12, 0, Decimal("0.00"), Decimal("0.00"))
    assert figures.vat_rate is None


def test_the_end_comes_from_the_duration_when_missing(monkeypatch):
    by_duration = statement(501, session={"end_date": 0, "settings": {"duration": 95}})
    unknown = statement(502, session={"end_date": 0, "settings": {"duration": None}})
    shows, _ = fixture_sync(monkeypatch, [by_duration, unknown])
    ends = {p.external_id: p.ends_at for show in shows for p in show.performances}
    assert ends == {"501": when(START) + timedelta(minutes=95), "502": None}


def test_sessions_of_a_multisession_form_one_show(monkeypatch):
    first = multisession(statement(501))
    second = multisession(statement(502, session={"start_date": START + 86400}))
    deprecated_only = statement(503)
    deprecated_only["session"]["multisession"] = {"multisession_id": 78, "title": "Tournée Z"}
    alone = statement(504, session={"edito": {"title": "Récital"}})
    shows, _ = fixture_sync(monkeypatch, [second, first, deprecated_only, alone])
    assert [(s.external_id, s.name, [p.external_id for p in s.performances]) for s in shows] == [
        ("multisession-77", "Festival Y", ["501", "502"]),
        ("multisession-78", "Tournée Z", ["503"]),
        ("session-504", "Récital", ["504"]),
    ]


def test_a_performance_without_a_date_is_skipped_alone(monkeypatch):
    dated = multisession(statement(501))
    undated = multisession(statement(502, session={"start_date": 0}))
    shows, _ = fixture_sync(monkeypatch, [dated, undated])
    (show,) = shows
    assert [p.external_id for p in show.performances] == ["501"]
    assert show.warnings == ("Représentation 502 : sans date, ignorée.",)


@pytest.mark.parametrize(
    "broken",
    [
        {"internals_prices": "N/A"},
        {"externals_prices": [{"title": "FNAC", "amount": "dix-sept", "quantity": 2}]},
        {"tax_amount": 5000.0},
        {"internals_prices": [{"title": "Plein", "amount": 15.0, "quantity": -3, "revenue": -45}]},
    ],
)
def test_an_unreadable_statement_is_skipped_with_a_warning(monkeypatch, broken):
    good = multisession(statement(501))
    bad = multisession(statement(502, **broken))
    shows, _ = fixture_sync(monkeypatch, [good, bad])
    (show,) = shows
    assert [p.external_id for p in show.performances] == ["501"]
    (warning,) = show.warnings
    assert warning.startswith("Représentation 502 : ") and warning.endswith(", ignorée.")


def test_a_statement_without_a_show_is_skipped(monkeypatch):
    shows, _ = fixture_sync(monkeypatch, [{"session": None}, statement(501)])
    assert [show.external_id for show in shows] == ["session-501"]


def test_sessions_before_the_window_complete_a_multisession_only(monkeypatch):
    since = when(START) + LATE_CHANGES
    recent = multisession(statement(502))
    old_sibling = multisession(statement(501, session={"start_date": START - 86400}))
    old_alone = statement(400, session={"start_date": START - 86400})
    old_other = multisession(statement(300, session={"start_date": START - 86400}), show_id=9)
    windows = []

    def answer(request):
        window = (int(request.url.params["from"]), int(request.url.params["to"]))
        windows.append(window)
        data = [
            s
            for s in (recent, old_sibling, old_alone, old_other)
            if window[0] <= s["session"]["start_date"] <= window[1]
        ]
        return httpx.Response(200, json={"success": True, "messages": [], "total": 0, "data": data})

    shows, client = fixture_sync(monkeypatch, answer, since=since)
    assert [(s.external_id, [p.external_id for p in s.performances]) for s in shows] == [
        ("multisession-77", ["501", "502"])
    ]
    assert windows[0][0] == START and windows[1][1] == START - 1
    assert client.requests_made == 2


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(404, text="<html>Not Found</html>", headers={"Content-Type": "text/html"}),
         "vérifiez le nom de domaine"),
        (httpx.Response(403, json={"success": False, "messages": [], "data": None}),
         "bordereaux de clôture"),
        (httpx.Response(200, json={"success": False, "messages": [], "data": None}),
         "contactez-nous"),
        (httpx.Response(400, json={"success": False, "messages": [], "data": None}),
         "contactez-nous"),
    ],
)  # fmt: skip
def test_permanent_answers_tell_the_user_what_to_do(monkeypatch, response, message):
    monkeypatch.setattr(router, "handle", lambda request: response)
    connector, client = connect()
    with pytest.raises(PermanentError, match=message):
        connector.check_credentials()
    assert client.requests_made == 1
