"""The national address base client, against the in-process fake (ticketing/sandbox/)."""

import httpx
import pytest

from accounts.address_base import (
    Address,
    AddressBaseUnavailable,
    address_normalise,
    address_search,
)
from ticketing.sandbox import router
from ticketing.sandbox.faults import Fault, inject

MARTINIERE = Address(
    street="12 Rue de la Martinière",
    postal_code="69001",
    city="Lyon",
    context="69, Rhône, Auvergne-Rhône-Alpes",
    label="12 Rue de la Martinière 69001 Lyon",
    kind="housenumber",
    score=0.9691,
)


@pytest.fixture
def requests_seen(monkeypatch) -> list[httpx.Request]:
    seen: list[httpx.Request] = []
    real_handle = router.handle

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return real_handle(request)

    monkeypatch.setattr(router, "handle", spy)
    return seen


def raw_features(query: str) -> list[dict]:
    request = httpx.Request(
        "GET", "http://sandbox.test/geoplateforme/geocodage/search/", params={"q": query}
    )
    return router.handle(request).json()["features"]


def test_search_maps_the_features(requests_seen):
    addresses = address_search("12 rue de la martiniere 69001 lyon")
    assert addresses[0] == MARTINIERE
    (request,) = requests_seen
    assert str(request.url).startswith("http://sandbox.test/geoplateforme/geocodage/search/?")
    assert dict(request.url.params) == {
        "q": "12 rue de la martiniere 69001 lyon",
        "limit": "5",
        "autocomplete": "1",
    }
    assert request.headers["User-Agent"] == "AssistantDeclaration (+http://testserver)"


def test_search_completes_a_partly_typed_street():
    addresses = address_search("rue de la roq")
    assert {address.label for address in addresses} == {
        "Rue de la Roquette 75011 Paris",
        "27 Rue de la Roquette 75011 Paris",
        "1 Rue de la Roquette 75011 Paris",
    }
    assert {address.kind for address in addresses} == {"street", "housenumber"}


def test_a_locality_is_an_address():
    (address,) = address_search("Salin-de-Giraud")
    assert (address.kind, address.street, address.postal_code, address.city) == (
        "locality",
        "Salin-de-Giraud",
        "13129",
        "Arles",
    )


def test_municipalities_are_left_out():
    assert {feature["properties"]["type"] for feature in raw_features("rue de paris")} == {
        "housenumber",
        "municipality",
    }
    addresses = address_search("rue de paris")
    assert [address.label for address in addresses] == ["21 Rue de Paris 97400 Saint-Denis"]
    assert addresses[0].context == "974, La Réunion"
    assert address_search("Marseille") == []


def test_corsica_addresses():
    (address, *_) = address_search("3 cours napoleon ajaccio")
    assert (address.postal_code, address.context) == ("20000", "2A, Corse-du-Sud, Corse")


def test_limit_is_passed_on(requests_seen):
    assert len(address_search("rue de la roquette", limit=2)) == 2
    assert requests_seen[0].url.params["limit"] == "2"


@pytest.mark.parametrize("query", ["", "ab", "  a "])
def test_a_short_query_makes_no_request(requests_seen, query):
    assert address_search(query) == []
    assert requests_seen == []


def test_normalise_finds_the_address(requests_seen):
    address = address_normalise(street="12, rue de la Martiniere", postal_code="69001", city="LYON")
    assert address is not None
    assert (address.street, address.postal_code, address.city) == (
        "12 Rue de la Martinière",
        "69001",
        "Lyon",
    )
    # A complete address: no autocompletion.
    assert requests_seen[0].url.params["autocomplete"] == "0"


def test_normalise_refuses_a_match_with_another_postal_code():
    assert address_search("27 rue de la roquette 75012 paris")[0].postal_code == "75011"
    assert (
        address_normalise(street="27 rue de la Roquette", postal_code="75012", city="Paris") is None
    )


def test_normalise_refuses_a_match_that_would_drop_the_house_number():
    # The base only knows the street: keeping its answer would lose "5".
    assert address_search("5 rue de la roquette 75011 paris")[0].kind == "street"
    assert (
        address_normalise(street="5 rue de la Roquette", postal_code="75011", city="Paris") is None
    )
    street = address_normalise(street="Rue de la Roquette", postal_code="75011", city="Paris")
    assert street is not None
    assert street.kind == "street"


def test_normalise_refuses_a_weak_match(monkeypatch):
    real_handle = router.handle

    def handle(request: httpx.Request) -> httpx.Response:
        payload = real_handle(request).json()
        for feature in payload["features"]:
            feature["properties"]["score"] = 0.49
        return httpx.Response(200, json=payload)

    monkeypatch.setattr(router, "handle", handle)
    assert (
        address_normalise(street="12 rue de la Martinière", postal_code="69001", city="Lyon")
        is None
    )


def test_normalise_finds_nothing_for_an_unknown_address():
    assert address_normalise(street="3 rue des Lilas", postal_code="75011", city="Paris") is None


@pytest.mark.parametrize("fault", list(Fault))
def test_every_fault_makes_the_address_base_unavailable(fault, caplog):
    with inject("address_base", fault):
        with pytest.raises(AddressBaseUnavailable):
            address_search("27 rue de la roquette")
        with pytest.raises(AddressBaseUnavailable):
            address_normalise(street="27 rue de la Roquette", postal_code="75011", city="Paris")
    assert "roquette" not in caplog.text.lower()


def test_network_errors_make_the_address_base_unavailable(monkeypatch):
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused")

    monkeypatch.setattr(router, "handle", handle)
    with pytest.raises(AddressBaseUnavailable):
        address_search("27 rue de la roquette")


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(404, json={"code": 404, "message": "Not Found"}),
        httpx.Response(200, json={"type": "FeatureCollection"}),
        httpx.Response(200, json=[]),
        httpx.Response(200, text="{"),
    ],
)
def test_unexpected_answers_make_the_address_base_unavailable(monkeypatch, response):
    monkeypatch.setattr(router, "handle", lambda request: response)
    with pytest.raises(AddressBaseUnavailable):
        address_search("27 rue de la roquette")


def test_a_malformed_feature_is_skipped_and_logged(monkeypatch, caplog):
    real_handle = router.handle

    def handle(request: httpx.Request) -> httpx.Response:
        payload = real_handle(request).json()
        payload["features"][0]["properties"]["score"] = "high"
        payload["features"][1]["properties"].pop("postcode")
        payload["features"].append({"type": "Feature"})
        return httpx.Response(200, json=payload)

    monkeypatch.setattr(router, "handle", handle)
    addresses = address_search("rue de la roquette")
    assert len(addresses) == 1
    assert caplog.text.count("malformed feature skipped") == 3
