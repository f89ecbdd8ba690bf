"""The Mapado connector against its sandbox (ticket-ledger mode)."""

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from ticketing.connectors import mapado as connector_module
from ticketing.connectors.base import PermanentError, TransientError
from ticketing.connectors.http import MAX_ATTEMPTS, UNAVAILABLE
from ticketing.sandbox import accounts, faults, router
from ticketing.sandbox import mapado as fake
from ticketing.sandbox.dataset import Dataset, build_dataset
from ticketing.sandbox.faults import Fault, inject

from .mapado_fixtures import TOKEN, connect, latest_tickets, ledger_figures, register, sync

TOUCHED_AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


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


def small() -> Dataset:
    return build_dataset(shows=5, performances_per_show=3, tickets_per_performance=40)


# --- Credentials --------------------------------------------------------------------------------


def test_check_credentials_sends_the_token_as_bearer_in_one_request(requests_seen):
    credentials, _ = register(small())
    connector, client = connect(credentials)
    connector.check_credentials()
    assert connector.provider == "mapado"
    assert client.requests_made == 1
    (request,) = requests_seen
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.url.path == "/mapado/v1/tickets"


def test_an_unknown_token_is_refused_with_what_to_do():
    credentials, _ = register(small())
    connector, client = connect(replace(credentials, secret_key="revoked-token-0042"))
    with pytest.raises(PermanentError) as refused:
        connector.check_credentials()
    assert "jeton d'authentification est refusé" in refused.value.message
    assert "revoked-token-0042" not in refused.value.message
    assert client.requests_made == 1


def test_the_fake_refuses_a_missing_or_unknown_token_as_mapado_does():
    register(small())
    missing = router.handle(httpx.Request("GET", "http://sandbox.test/mapado/v1/tickets"))
    assert missing.status_code == 401
    assert missing.json() == {
        "error": "access_denied",
        "error_description": "OAuth2 authentication required",
    }
    unknown = router.handle(
        httpx.Request(
            "GET",
            "http://sandbox.test/mapado/v1/tickets",
            headers={"Authorization": "Bearer nope"},
        )
    )
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_grant"
    assert 'error="invalid_grant"' in unknown.headers["WWW-Authenticate"]


def test_revoked_credentials_during_a_sync_stop_it():
    credentials, _ = register(small())
    connector, _ = connect(credentials)
    with inject(fake.SERVICE, Fault.CREDENTIALS_REFUSED), pytest.raises(PermanentError) as error:
        list(connector.shows_changed_since(datetime(2020, 1, 1, tzinfo=UTC)))
    assert error.value.message == connector_module.REFUSED


def test_a_token_without_rights_on_tickets_says_so(monkeypatch):
    credentials, _ = register(small())
    monkeypatch.setattr(router, "handle", lambda request: fake._hydra_error(403, "Access Denied."))
    connector, _ = connect(credentials)
    with pytest.raises(PermanentError) as error:
        connector.check_credentials()
    assert error.value.message == connector_module.FORBIDDEN


# --- First and incremental syncs ----------------------------------------------------------------


def test_first_sync_reproduces_the_reference_figures_of_every_performance():
    dataset = small()
    credentials, _ = register(dataset)
    shows, requests = sync(credentials)
    # Changed tickets (one page), their dates' shows, the shows, every date of those shows.
    assert requests == 4
    assert [show.external_id for show in shows] == [str(show.id) for show in dataset.shows]
    assert ledger_figures(shows, dataset) == dataset.expected_figures()
    for show, expected in zip(shows, dataset.shows, strict=True):
        assert show.name == expected.name
        assert show.warnings == ()
        assert len(show.tickets) == len(dataset.tickets_of_show(expected.id))
        assert [(p.external_id, p.starts_at, p.ends_at) for p in show.performances] == [
            (str(p.id), p.starts_at, p.ends_at) for p in expected.performances
        ]
        assert all(p.figures is None for p in show.performances)  # ledger mode
        assert all(p.starts_at.tzinfo is not None for p in show.performances)


def test_tickets_carry_status_price_and_vat_as_mapado_gives_them():
    dataset = small()
    credentials, _ = register(dataset)
    ledger = latest_tickets(sync(credentials)[0])
    for source in dataset.tickets:
        ticket = ledger[str(source.id)]
        assert ticket.cancelled is source.refunded  # "refunded" and "cancelled" alike
        assert ticket.price_incl_vat == source.price  # cents → euros, exactly
        assert ticket.vat_rate == source.vat_rate  # a fraction, per price category
        assert ticket.updated_at == source.updated_at
    refunded = [t for t in dataset.tickets if t.refunded]
    assert {fake._ticket(t)["status"] for t in refunded} == {"refunded", "cancelled"}
    without_value = [t for t in dataset.tickets if fake._ticket(t)["facialValue"] is None]
    assert without_value  # worth their price category's value, checked above


def test_incremental_sync_fetches_only_the_changed_tickets_of_the_changed_shows():
    dataset = small()
    credentials, _ = register(dataset)
    first, _ = sync(credentials)
    changed = dataset.touch(share=0.01, at=TOUCHED_AT)
    touched = [t for t in dataset.tickets if t.updated_at == TOUCHED_AT]
    touched_shows = sorted({t.show_id for t in touched})

    shows, requests = sync(credentials, since=TOUCHED_AT - timedelta(hours=1))

    assert changed == len(touched) == 6
    assert [int(show.external_id) for show in shows] == touched_shows
    assert requests == 4  # whatever the number of shows, while the changes fit in one page
    assert sorted(t.external_id for show in shows for t in show.tickets) == sorted(
        str(t.id) for t in touched
    )
    # Every performance of a changed show comes along, so none looks deleted remotely.
    assert all(len(show.performances) == 3 for show in shows)
    assert ledger_figures([*first, *shows], dataset) == dataset.expected_figures()


def test_incremental_sync_over_several_pages_asks_each_show_for_its_changes(monkeypatch):
    dataset = small()
    credentials, _ = register(dataset)
    first, _ = sync(credentials)
    dataset.touch(share=0.01, at=TOUCHED_AT)
    touched = [t for t in dataset.tickets if t.updated_at == TOUCHED_AT]
    touched_shows = sorted({t.show_id for t in touched})
    monkeypatch.setattr(connector_module, "TICKETS_PER_PAGE", 5)

    shows, requests = sync(credentials, since=TOUCHED_AT - timedelta(hours=1))

    # 6 changes: 2 pages, then the dates' shows, the shows, their dates, one request per show.
    assert requests == 2 + 3 + len(touched_shows) == 9
    assert sorted(t.external_id for show in shows for t in show.tickets) == sorted(
        str(t.id) for t in touched
    )
    assert ledger_figures([*first, *shows], dataset) == dataset.expected_figures()


def test_nothing_changed_costs_one_request():
    credentials, _ = register(small())
    assert sync(credentials, since=datetime(2027, 1, 1, tzinfo=UTC)) == ([], 1)


def test_the_since_date_is_sent_as_an_iso_instant(requests_seen):
    credentials, _ = register(small())
    sync(credentials, since=datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert requests_seen[0].url.params["updatedSince"] == "2026-03-29T01:30:00+00:00"


# --- Pagination and chunking --------------------------------------------------------------------


def test_an_empty_account_yields_nothing_in_one_request():
    credentials, _ = register(build_dataset(shows=0))
    connector, client = connect(credentials)
    connector.check_credentials()
    assert list(connector.shows_changed_since(datetime(2020, 1, 1, tzinfo=UTC))) == []
    assert client.requests_made == 2


@pytest.mark.parametrize(
    ("per_page", "requests"),
    [
        # 2 shows × 2 dates × 5 tickets: 20 changed tickets, 10 per show.
        (10, 2 + 1 + 1 + 1 + 2 * 1),  # pages exactly full: no request for an empty page
        (7, 3 + 1 + 1 + 1 + 2 * 2),  # 7 + 7 + 6 account-wide, 7 + 3 per show
        (20, 1 + 1 + 1 + 1),  # one page holds every change: no request per show
    ],
)
def test_ticket_pages_are_followed_to_the_last_one(monkeypatch, per_page, requests):
    dataset = build_dataset(shows=2, performances_per_show=2, tickets_per_performance=5)
    credentials, _ = register(dataset)
    monkeypatch.setattr(connector_module, "TICKETS_PER_PAGE", per_page)
    shows, made = sync(credentials)
    assert made == requests
    assert ledger_figures(shows, dataset) == dataset.expected_figures()


def test_the_newer_hydra_view_next_link_is_followed_too(monkeypatch):
    dataset = build_dataset(shows=2, performances_per_show=2, tickets_per_performance=5)
    credentials, _ = register(dataset)
    monkeypatch.setattr(connector_module, "TICKETS_PER_PAGE", 7)
    handle = router.handle

    def hydra_view(request: httpx.Request) -> httpx.Response:
        response = handle(request)
        body = response.json()
        next_page = body.pop("hydra:nextPage", None)
        body["hydra:view"] = {"@type": "hydra:PartialCollectionView"}
        if next_page:
            body["hydra:view"]["hydra:next"] = next_page
        return httpx.Response(200, json=body)

    monkeypatch.setattr(router, "handle", hydra_view)
    shows, made = sync(credentials)
    assert made == 3 + 1 + 1 + 1 + 2 * 2
    assert ledger_figures(shows, dataset) == dataset.expected_figures()


def test_id_lists_are_sent_in_chunks_of_short_ids(monkeypatch, requests_seen):
    dataset = build_dataset(shows=3, performances_per_show=3, tickets_per_performance=2)
    credentials, _ = register(dataset)
    monkeypatch.setattr(connector_module, "IDS_PER_REQUEST", 4)
    shows, made = sync(credentials)
    # 9 changed dates → 3 chunks; 3 shows → 1; their 9 dates → 3.
    assert made == 1 + 3 + 1 + 3
    id_filters = [r.url.params["@id"] for r in requests_seen if "@id" in r.url.params]
    assert all(len(f.split(",")) <= 4 and "/" not in f for f in id_filters)
    assert ledger_figures(shows, dataset) == dataset.expected_figures()


def test_five_hundred_ids_fit_in_an_url_the_fake_accepts(monkeypatch):
    ids = ",".join(str(9_999_000 + n) for n in range(connector_module.IDS_PER_REQUEST))
    url = f"http://sandbox.test/mapado/v1/event_dates?@id={ids}&itemsPerPage=500&fields="
    url += connector_module.DATE_FIELDS
    register(small())
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert router.handle(httpx.Request("GET", url, headers=headers)).status_code == 200
    longer = url.replace("@id=", f"@id={ids},{ids},")
    refused = router.handle(httpx.Request("GET", longer, headers=headers))
    assert refused.status_code == 414


def test_a_request_mapado_refuses_stops_the_run_with_its_status(monkeypatch):
    credentials, _ = register(small())
    monkeypatch.setattr(fake, "MAX_URI_LENGTH", 150)
    with pytest.raises(PermanentError) as error:
        sync(credentials)
    assert "erreur 414" in error.value.message


def test_large_account_dates_are_chunked_by_five_hundred():
    dataset = build_dataset(shows=170, performances_per_show=3, tickets_per_performance=1)
    credentials, _ = register(dataset)
    shows, made = sync(credentials)
    # 510 dates: 2 chunks to find their shows, 1 for the shows, 2 for the dates' details.
    assert made == 1 + 2 + 1 + 2
    assert ledger_figures(shows, dataset) == dataset.expected_figures()


# --- Faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "waits"),
    [
        (Fault.TIMEOUT, None),
        (Fault.SERVER_ERROR, None),
        (Fault.UNAVAILABLE, [60.0] * (MAX_ATTEMPTS - 1)),  # Retry-After 120, capped at 60
        (Fault.RATE_LIMITED, [30.0] * (MAX_ATTEMPTS - 1)),  # Retry-After honoured
    ],
)
def test_transient_faults_are_retried_then_reported(fault, waits):
    credentials, _ = register(small())
    slept: list[float] = []
    connector, client = connect(credentials, slept)
    with inject(fake.SERVICE, fault), pytest.raises(TransientError) as error:
        list(connector.shows_changed_since(datetime(2020, 1, 1, tzinfo=UTC)))
    assert error.value.message == UNAVAILABLE
    assert client.requests_made == MAX_ATTEMPTS
    assert len(slept) == MAX_ATTEMPTS - 1
    if waits is not None:
        assert slept == waits


def test_rate_limit_answer_is_mapado_s_hydra_error_with_retry_after():
    register(small())
    with inject(fake.SERVICE, Fault.RATE_LIMITED):
        response = router.handle(
            httpx.Request(
                "GET",
                "http://sandbox.test/mapado/v1/tickets",
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
        )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert response.json()["@type"] == "hydra:Error"


def test_a_truncated_answer_is_transient_and_not_retried_blindly():
    credentials, _ = register(small())
    connector, client = connect(credentials)
    with inject(fake.SERVICE, Fault.MALFORMED), pytest.raises(TransientError) as error:
        connector.check_credentials()
    assert error.value.message == connector_module.UNREADABLE
    assert client.requests_made == 1


def test_mapado_has_no_firewall_page_so_that_fault_changes_nothing():
    dataset = small()
    credentials, _ = register(dataset)
    with inject(fake.SERVICE, Fault.FIREWALL):
        shows, _ = sync(credentials)
    assert ledger_figures(shows, dataset) == dataset.expected_figures()


def test_one_unreadable_ticket_is_reported_on_its_show_and_the_rest_synced():
    dataset = small()
    credentials, _ = register(dataset)
    with inject(fake.SERVICE, Fault.MALFORMED_RECORD):
        shows, requests = sync(credentials)
    assert requests == 4
    # The first ticket of the listing is broken (an unknown status).
    broken = min(t.id for t in dataset.tickets)
    assert shows[0].warnings == ("1 billet ignoré : statut inconnu.",)
    assert all(show.warnings == () for show in shows[1:])
    readable = replace(dataset, tickets=[t for t in dataset.tickets if t.id != broken])
    assert ledger_figures(shows, dataset) == readable.expected_figures()


def test_one_unreadable_ticket_per_show_listing_when_changes_span_pages(monkeypatch):
    dataset = small()
    credentials, _ = register(dataset)
    monkeypatch.setattr(connector_module, "TICKETS_PER_PAGE", 500)
    with inject(fake.SERVICE, Fault.MALFORMED_RECORD):
        shows, requests = sync(credentials)
    assert requests == 2 + 3 + 5
    broken = {min(t.id for t in dataset.tickets_of_show(show.id)) for show in dataset.shows}
    assert all(show.warnings == ("1 billet ignoré : statut inconnu.",) for show in shows)
    readable = replace(dataset, tickets=[t for t in dataset.tickets if t.id not in broken])
    assert ledger_figures(shows, dataset) == readable.expected_figures()


def test_credentials_and_spectators_never_reach_the_logs(caplog):
    credentials, _ = register(small())
    caplog.set_level(logging.DEBUG)
    with inject(fake.SERVICE, Fault.SERVER_ERROR), pytest.raises(TransientError):
        sync(credentials)
    assert caplog.records
    assert TOKEN not in caplog.text


# --- Mapado's rules -----------------------------------------------------------------------------


def overrides(account: accounts.SandboxAccount) -> dict:
    return account.state.setdefault("overrides", {})


def test_a_date_without_start_is_skipped_alone_with_its_tickets():
    dataset = small()
    credentials, account = register(dataset)
    show = dataset.shows[0]
    dropped, kept = show.performances[0], show.performances[1]
    overrides(account)[f"/v1/event_dates/{dropped.id}"] = {
        "startDate": None,
        "startOfEventDay": None,
    }
    # Without a start time, the start of the event's day stands in.
    overrides(account)[f"/v1/event_dates/{kept.id}"] = {"startDate": None}
    shows, _ = sync(credentials)
    first = shows[0]
    assert [p.external_id for p in first.performances] == [str(p.id) for p in show.performances[1:]]
    assert first.performances[0].starts_at == kept.starts_at.astimezone(fake.PARIS).replace(
        hour=0, minute=0, second=0
    )
    assert first.warnings == (connector_module.NO_START,)
    assert all(t.performance_external_id != str(dropped.id) for t in first.tickets)
    assert len(shows) == 5  # never the whole show, nor the run


def test_an_unreadable_date_is_skipped_alone_and_a_show_without_dates_is_left_out():
    dataset = small()
    credentials, account = register(dataset)
    overrides(account)[f"/v1/event_dates/{dataset.shows[0].performances[2].id}"] = {
        "startDate": "31/12/2026 20h30"
    }
    for performance in dataset.shows[1].performances:
        overrides(account)[f"/v1/event_dates/{performance.id}"] = {
            "startDate": None,
            "startOfEventDay": None,
        }
    shows, _ = sync(credentials)
    assert shows[0].warnings == (connector_module.BAD_START,)
    assert len(shows[0].performances) == 2
    assert str(dataset.shows[1].id) not in [show.external_id for show in shows]


def test_times_without_offset_are_paris_time():
    dataset = small()
    credentials, account = register(dataset)
    performance = dataset.shows[0].performances[0]
    # The night France moves to summer time.
    overrides(account)[f"/v1/event_dates/{performance.id}"] = {
        "startDate": "2026-03-29T20:30:00",
        "endDate": "2026-03-29T22:30:00",
    }
    shows, _ = sync(credentials)
    (found,) = [p for p in shows[0].performances if p.external_id == str(performance.id)]
    assert found.starts_at == datetime(2026, 3, 29, 18, 30, tzinfo=UTC)
    assert found.ends_at == datetime(2026, 3, 29, 20, 30, tzinfo=UTC)


def test_foreign_vat_on_a_price_keeps_the_show_without_tickets_and_says_why():
    dataset = small()
    credentials, account = register(dataset)
    show = dataset.shows[2]
    price_id = fake._price_id(show.performances[0].id, show.categories[0].id)
    overrides(account)[f"/v1/ticket_prices/{price_id}"] = {
        "tax": {"@id": "/v1/taxes/99", "@type": "Tax", "rate": 0.06, "countryCode": "BE"}
    }
    shows, _ = sync(credentials)
    assert len(shows) == 5
    affected = shows[2]
    assert affected.tickets == ()
    assert affected.warnings == (connector_module.FOREIGN_VAT,)
    assert len(affected.performances) == 3
    assert all(s.tickets for s in shows if s is not affected)


def test_a_show_sold_in_another_currency_is_kept_without_tickets():
    dataset = small()
    credentials, account = register(dataset)
    overrides(account)[f"/v1/ticketings/{dataset.shows[1].id}"] = {"currency": "CHF"}
    shows, _ = sync(credentials)
    assert shows[1].tickets == ()
    assert shows[1].warnings == (connector_module.NOT_EURO,)


def test_offers_subscriptions_and_shows_abroad_are_not_shows():
    dataset = small()
    credentials, account = register(dataset)
    ids = [show.id for show in dataset.shows]
    overrides(account)[f"/v1/ticketings/{ids[0]}"] = {"type": "offer"}
    overrides(account)[f"/v1/ticketings/{ids[1]}"] = {"type": "undated_event"}
    overrides(account)[f"/v1/venues/{ids[2]}"] = {"countryCode": "BE"}
    overrides(account)[f"/v1/venues/{ids[3]}"] = {"countryCode": "CORSE"}
    overrides(account)[f"/v1/venues/{ids[4]}"] = {"countryCode": None}  # France for Mapado
    shows, _ = sync(credentials)
    assert [show.external_id for show in shows] == [str(ids[3]), str(ids[4])]


def test_odd_tickets_are_skipped_and_counted_in_the_warnings():
    dataset = small()
    credentials, account = register(dataset)
    ids = [t.id for t in dataset.tickets_of_show(dataset.shows[0].id)]
    overrides(account).update(
        {
            f"/v1/tickets/{ids[0]}": {"ticketPrice": None, "imported": True},
            f"/v1/tickets/{ids[1]}": {"ticketPrice": None, "imported": True},
            f"/v1/tickets/{ids[2]}": {"ticketPrice": "/v1/ticket_prices/1"},
            f"/v1/tickets/{ids[3]}": {"updatedAt": "hier"},
            f"/v1/tickets/{ids[4]}": {"status": "pending"},
        }
    )
    shows, _ = sync(credentials)
    assert shows[0].warnings == (
        "1 billet ignoré : donnée illisible.",
        "2 billets ignorés : importé sans tarif.",
        "1 billet ignoré : statut inconnu.",
        "1 billet ignoré : tarif inconnu.",
    )
    assert len(shows[0].tickets) == len(ids) - 5
    assert all(show.warnings == () for show in shows[1:])


def test_booked_tickets_are_not_sold_and_negative_values_take_the_price_s():
    dataset = small()
    credentials, account = register(dataset)
    paid = [t for t in dataset.tickets if t.price and not t.refunded]
    booked, negative = paid[0], paid[1]
    overrides(account).update(
        {
            f"/v1/tickets/{booked.id}": {"status": "booked"},
            f"/v1/tickets/{negative.id}": {"facialValue": -500},
        }
    )
    ledger = latest_tickets(sync(credentials)[0])
    assert ledger[str(booked.id)].cancelled is True
    assert ledger[str(negative.id)].price_incl_vat == negative.price
    assert ledger[str(negative.id)].cancelled is False


def test_free_tickets_at_zero_percent_and_vat_rates_per_category():
    dataset = small()
    credentials, _ = register(dataset)
    tickets = latest_tickets(sync(credentials)[0]).values()
    free = [t for t in tickets if t.price_incl_vat == 0]
    assert free and all(t.vat_rate == 0 for t in free)
    assert {t.vat_rate for t in tickets if t.price_incl_vat} <= {
        Decimal("0.021"),
        Decimal("0.055"),
        Decimal("0.1"),
        Decimal("0.2"),
    }


def test_sparse_fields_and_relations_as_iris():
    dataset = small()
    register(dataset)
    response = router.handle(
        httpx.Request(
            "GET",
            "http://sandbox.test/mapado/v1/ticketings",
            params={
                "@id": str(dataset.shows[0].id),
                "fields": "title,eventDateList,venue{countryCode}",
            },
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    )
    body = response.json()
    assert body["@type"] == "hydra:PagedCollection"
    assert body["hydra:totalItems"] == 1
    (ticketing,) = body["hydra:member"]
    assert set(ticketing) == {"@id", "@type", "title", "eventDateList", "venue"}
    assert ticketing["eventDateList"][0] == f"/v1/event_dates/{dataset.shows[0].performances[0].id}"
    assert set(ticketing["venue"]) == {"@id", "@type", "countryCode"}
