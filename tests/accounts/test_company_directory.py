"""The company directory client, against the in-process fake (ticketing/sandbox/)."""

import json
import logging

import httpx
import pytest

from accounts.company_directory import (
    Company,
    DirectoryUnavailable,
    company_by_siren,
    company_by_siret,
    company_search,
)
from ticketing.sandbox import router
from ticketing.sandbox.company_directory import DEMO_COMPANY_SIREN
from ticketing.sandbox.faults import Fault, inject

THEATRE = Company(
    siren=DEMO_COMPANY_SIREN,
    head_office_siret="78412563500028",
    name="THEATRE DE LA LUNE ROUSSE",
    address="12 Rue de la Martinière 69001 Lyon",
    non_diffusible=False,
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


def answer_with(monkeypatch, change) -> None:
    """Let the fake answer, then pass its JSON through `change` (to break one record)."""
    real_handle = router.handle

    def handle(request: httpx.Request) -> httpx.Response:
        payload = real_handle(request).json()
        change(payload)
        return httpx.Response(200, json=payload)

    monkeypatch.setattr(router, "handle", handle)


def test_search_maps_the_directory_results(requests_seen):
    assert company_search("  lune rousse ") == [THEATRE]
    (request,) = requests_seen
    assert request.method == "GET"
    assert str(request.url).startswith("http://sandbox.test/recherche-entreprises/search?")
    assert dict(request.url.params) == {
        "q": "lune rousse",
        "include": "siege",
        "minimal": "True",
        "page": "1",
        "per_page": "5",
    }
    assert request.headers["User-Agent"] == "AssistantDeclaration (+http://testserver)"


def test_a_name_search_finds_several_companies_whatever_the_accents_and_case():
    companies = company_search("Théâtre")
    assert {company.name for company in companies} == {
        "THEATRE DE LA LUNE ROUSSE",
        "COMPAGNIE DU THEATRE NOMADE",
    }


def test_search_by_siren_or_siret_with_or_without_spaces():
    assert company_search("784 125 635") == [THEATRE]
    assert company_search("784\u00a0125\u00a0635\u00a000028") == [THEATRE]


def test_display_properties():
    assert THEATRE.siren_display == "784 125 635"
    assert THEATRE.siret_display == "784 125 635 00028"


def test_company_by_siret_only_accepts_a_head_office():
    la_poste = company_by_siret("356 000 000 00048")
    assert la_poste is not None
    assert (la_poste.siren, la_poste.name) == ("356000000", "LA POSTE")
    # A post office of La Poste: the directory finds La Poste, but it is not the head office.
    assert company_search("35600000003120") == [la_poste]
    assert company_by_siret("35600000003120") is None


def test_company_by_siret_and_by_siren():
    assert company_by_siret("78412563500028") == THEATRE
    assert company_by_siren("784125635") == THEATRE
    assert company_by_siret("73282932000074") is None
    assert company_by_siren("732829320") is None


def test_non_diffusible_company_is_flagged_and_its_masked_data_left_empty():
    company = company_by_siret("90318264000016")
    assert company == Company(
        siren="903182640",
        head_office_siret="90318264000016",
        name="",
        address="",
        non_diffusible=True,
    )


def test_a_non_diffusible_entrepreneur_cannot_be_found_by_name():
    assert company_search("Claire Moreau") == []


def test_name_and_address_fall_back_to_the_full_name_and_the_raw_address(monkeypatch):
    def change(payload):
        payload["results"][0]["nom_raison_sociale"] = None
        payload["results"][0]["siege"]["geo_adresse"] = None

    answer_with(monkeypatch, change)
    (company,) = company_search("lune rousse")
    assert company.name == "THEATRE DE LA LUNE ROUSSE"
    assert company.address == "12 RUE DE LA MARTINIERE 69001 LYON"


@pytest.mark.parametrize("query", ["", "ab", "  a  ", " 12 "])
def test_a_short_query_makes_no_request(requests_seen, query):
    assert company_search(query) == []
    assert requests_seen == []


@pytest.mark.parametrize("fault", list(Fault))
def test_every_fault_makes_the_directory_unavailable(fault, caplog):
    with inject("company_directory", fault), pytest.raises(DirectoryUnavailable):
        company_search("Claire Moreau")
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings
    # The searched text can be a person's name: it never reaches the logs.
    assert "Claire" not in caplog.text
    assert "Moreau" not in caplog.text


def test_the_fault_only_lasts_for_the_block():
    with inject("company_directory", Fault.SERVER_ERROR), pytest.raises(DirectoryUnavailable):
        company_search("lune rousse")
    assert company_search("lune rousse") == [THEATRE]


def test_a_fault_of_the_address_base_does_not_affect_the_directory():
    with inject("address_base", Fault.SERVER_ERROR):
        assert company_search("lune rousse") == [THEATRE]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("Connection refused"),
        httpx.RemoteProtocolError("Server disconnected"),
        httpx.ConnectTimeout("Timed out"),
    ],
)
def test_network_errors_make_the_directory_unavailable(monkeypatch, failure):
    def handle(request: httpx.Request) -> httpx.Response:
        raise failure

    monkeypatch.setattr(router, "handle", handle)
    with pytest.raises(DirectoryUnavailable):
        company_search("lune rousse")


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(404, json={"detail": "Not Found"}),
        httpx.Response(400, json={"erreur": "Veuillez indiquer au moins un paramètre."}),
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(200, json={"resultats": []}),
        httpx.Response(200, json={"results": "none"}),
        httpx.Response(200, text="<html>Bienvenue</html>"),
    ],
)
def test_unexpected_answers_make_the_directory_unavailable(monkeypatch, response):
    monkeypatch.setattr(router, "handle", lambda request: response)
    with pytest.raises(DirectoryUnavailable):
        company_search("lune rousse")


@pytest.mark.parametrize(
    "breakage",
    [
        lambda result: result.update(siege=None),
        lambda result: result.update(siren=784125635),
        lambda result: result["siege"].update(siret="7841256350002"),
        lambda result: result.update(nom_raison_sociale=["THEATRE"]),
    ],
)
def test_a_malformed_record_is_skipped_and_logged(monkeypatch, caplog, breakage):
    answer_with(monkeypatch, lambda payload: breakage(payload["results"][0]))
    companies = company_search("théâtre")
    assert [company.name for company in companies] == ["THEATRE DE LA LUNE ROUSSE"]
    assert "malformed result skipped" in caplog.text


def test_a_result_that_is_not_an_object_is_skipped(monkeypatch):
    answer_with(monkeypatch, lambda payload: payload["results"].insert(0, "oops"))
    assert company_search("lune rousse") == [THEATRE]


def test_the_timeout_comes_from_the_settings(settings, monkeypatch):
    settings.PUBLIC_API_TIMEOUT_SECONDS = 1.5
    seen = {}

    def handle(request: httpx.Request) -> httpx.Response:
        seen.update(request.extensions["timeout"])
        return httpx.Response(200, json={"results": []})

    monkeypatch.setattr(router, "handle", handle)
    company_search("lune rousse")
    assert seen == {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}


def test_the_fake_answers_the_real_shape():
    """A guard on the fake itself: the fields the client reads are where the real API puts them."""
    response = router.handle(
        httpx.Request(
            "GET",
            "http://sandbox.test/recherche-entreprises/search",
            params={"q": "lune", "include": "siege", "minimal": "True"},
        )
    )
    payload = json.loads(response.content)
    (result,) = payload["results"]
    assert result["siren"] == DEMO_COMPANY_SIREN
    assert result["statut_diffusion"] == "O"
    assert result["siege"]["siret"] == "78412563500028"
    assert result["siege"]["geo_adresse"] == "12 Rue de la Martinière 69001 Lyon"


def test_answers_are_cached_so_live_suggestions_do_not_flood_the_directory():
    from accounts.company_directory import company_search
    from ticketing.sandbox import faults
    from ticketing.sandbox.faults import Fault

    first = company_search("lune rousse")
    with faults.inject("company_directory", Fault.UNAVAILABLE):
        assert company_search("Lune Rousse ") == first
