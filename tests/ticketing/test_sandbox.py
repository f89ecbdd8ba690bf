"""The fake external APIs: their answers, their faults and the loopback server of the demo."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from accounts.company_directory import DirectoryUnavailable, company_search
from ticketing.sandbox import faults, router
from ticketing.sandbox.company_directory import COMPANIES, DEMO_COMPANY_SIREN
from ticketing.sandbox.faults import Fault, inject
from ticketing.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parent.parent.parent
DIRECTORY = "http://sandbox.test/recherche-entreprises/search"
GEOCODER = "http://sandbox.test/geoplateforme/geocodage/search/"


@pytest.fixture(autouse=True)
def _no_fault_left():
    yield
    faults.clear()


def get(url: str, **params: str) -> httpx.Response:
    return router.handle(httpx.Request("GET", url, params=params))


# --- Router -------------------------------------------------------------------------------------


def test_unknown_services_and_paths_answer_404():
    assert get("http://sandbox.test/inconnu/search", q="abc").status_code == 404
    assert get("http://sandbox.test/recherche-entreprises/etablissements").status_code == 404
    assert get("http://sandbox.test/geoplateforme/geocodage/reverse/").status_code == 404
    assert get("http://sandbox.test/").status_code == 404


def test_only_get_is_allowed():
    request = httpx.Request("POST", DIRECTORY, params={"q": "lune"})
    assert router.handle(request).status_code == 405


# --- Company directory --------------------------------------------------------------------------


def test_demo_company_is_the_association_theatre():
    (theatre,) = [company for company in COMPANIES if company.siren == DEMO_COMPANY_SIREN]
    assert theatre.name == "THEATRE DE LA LUNE ROUSSE"
    assert theatre.association_id is not None


def test_directory_minimal_answer_with_head_office_has_the_real_shape():
    response = get(DIRECTORY, q="ondes carrees", include="siege", minimal="True", per_page="5")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    payload = response.json()
    assert {key: payload[key] for key in ("total_results", "page", "per_page", "total_pages")} == {
        "total_results": 1,
        "page": 1,
        "per_page": 5,
        "total_pages": 1,
    }
    (result,) = payload["results"]
    assert "matching_etablissements" not in result
    assert "complements" not in result
    assert {
        "siren",
        "nom_complet",
        "nom_raison_sociale",
        "sigle",
        "nombre_etablissements",
        "nature_juridique",
        "etat_administratif",
        "statut_diffusion",
        "siege",
    } <= set(result)
    siege = result["siege"]
    assert siege["siret"] == "84127793200015"
    assert siege["adresse"] == "27 RUE DE LA ROQUETTE 75011 PARIS"
    assert siege["geo_adresse"] == "27 Rue de la Roquette 75011 Paris"
    assert (siege["code_postal"], siege["libelle_commune"], siege["commune"]) == (
        "75011",
        "PARIS",
        "75111",
    )
    assert siege["est_siege"] is True
    assert siege["statut_diffusion_etablissement"] == "O"


def test_directory_full_answer_includes_the_default_blocks():
    (result,) = get(DIRECTORY, q="nuits du port").json()["results"]
    assert result["nom_complet"] == "FESTIVAL LES NUITS DU PORT (FNP)"
    assert result["sigle"] == "FNP"
    assert {"siege", "complements", "matching_etablissements", "dirigeants", "finances"} <= set(
        result
    )
    assert result["complements"]["est_association"] is True
    assert result["complements"]["est_entrepreneur_spectacle"] is True


def test_directory_masks_a_non_diffusible_entrepreneur():
    (result,) = get(DIRECTORY, q="903 182 640", include="siege", minimal="true").json()["results"]
    assert result["statut_diffusion"] == "P"
    assert result["nom_complet"] == result["nom_raison_sociale"] == "[NON-DIFFUSIBLE]"
    siege = result["siege"]
    assert siege["statut_diffusion_etablissement"] == "P"
    assert siege["adresse"] == siege["code_postal"] == siege["latitude"] == "[NON-DIFFUSIBLE]"
    # The municipality stays public, as in the real API.
    assert siege["libelle_commune"] == "AJACCIO"


def test_directory_finds_a_post_office_of_la_poste_by_its_siret():
    (result,) = get(DIRECTORY, q="356 000 000 03120").json()["results"]
    assert result["siege"]["siret"] == "35600000000048"
    assert [item["siret"] for item in result["matching_etablissements"]] == ["35600000003120"]


def test_directory_pagination():
    first = get(DIRECTORY, q="theatre", per_page="1").json()
    second = get(DIRECTORY, q="theatre", per_page="1", page="2").json()
    assert first["total_results"] == second["total_results"] == 2
    assert first["total_pages"] == 2
    assert first["results"][0]["siren"] != second["results"][0]["siren"]
    assert get(DIRECTORY, q="theatre", page="3", per_page="1").json()["results"] == []


def test_directory_answers_nothing_for_an_unknown_name():
    payload = get(DIRECTORY, q="zzz inconnu").json()
    assert payload == {
        "results": [],
        "total_results": 0,
        "page": 1,
        "per_page": 10,
        "total_pages": 0,
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Veuillez indiquer au moins un paramètre de recherche."),
        ({"q": "  "}, "Veuillez indiquer au moins un paramètre de recherche."),
        (
            {"q": "ab"},
            "3 caractères minimum pour les termes de la requête (ou utilisez au moins un filtre)",
        ),
        (
            {"q": "lune", "per_page": "30"},
            "Veuillez indiquer un paramètre `per_page` entre `1` et `25`, par défaut `10`.",
        ),
        ({"q": "lune", "page": "un"}, "Veuillez indiquer un paramètre `page` entier."),
        ({"q": "lune", "minimal": "oui"}, "minimal doit prendre la valeur 'true' ou 'false' !"),
        (
            {"q": "lune", "include": "siege"},
            "Veuillez indiquer si vous souhaitez une réponse minimale avec le filtre "
            "`minimal=True`` avant de préciser les champs à inclure.",
        ),
    ],
)
def test_directory_refuses_invalid_parameters_like_the_real_api(params, message):
    response = get(DIRECTORY, **params)
    assert response.status_code == 400
    assert response.json() == {"erreur": message}


def test_directory_refuses_an_unknown_field_to_include():
    response = get(DIRECTORY, q="lune", minimal="True", include="siege,secrets")
    assert response.status_code == 400
    assert response.json()["erreur"].startswith("Au moins un champ à inclure est non valide.")


# --- Address base -------------------------------------------------------------------------------


def test_geocoder_answers_a_geojson_feature_collection_like_the_geoplateforme():
    payload = get(GEOCODER, q="27 rue de la roquette 75011 paris", limit="1").json()
    assert set(payload) == {"type", "features", "query"}
    assert payload["type"] == "FeatureCollection"
    assert payload["query"] == "27 rue de la roquette 75011 paris"
    (feature,) = payload["features"]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [2.3731, 48.8542]}
    properties = feature["properties"]
    assert {
        "label": properties["label"],
        "housenumber": properties["housenumber"],
        "id": properties["id"],
        "name": properties["name"],
        "postcode": properties["postcode"],
        "citycode": properties["citycode"],
        "city": properties["city"],
        "district": properties["district"],
        "context": properties["context"],
        "type": properties["type"],
        "street": properties["street"],
        "_type": properties["_type"],
    } == {
        "label": "27 Rue de la Roquette 75011 Paris",
        "housenumber": "27",
        "id": "75111_8325_00027",
        "name": "27 Rue de la Roquette",
        "postcode": "75011",
        "citycode": "75111",
        "city": "Paris",
        "district": "Paris 11e Arrondissement",
        "context": "75, Paris, Île-de-France",
        "type": "housenumber",
        "street": "Rue de la Roquette",
        "_type": "address",
    }
    assert 0.9 < properties["score"] <= 1
    assert isinstance(properties["x"], float)
    assert isinstance(properties["y"], float)
    assert 0 < properties["importance"] < 1


def test_geocoder_returns_municipalities_too():
    (feature,) = get(GEOCODER, q="Lille", type="municipality").json()["features"]
    assert feature["properties"]["type"] == "municipality"
    assert feature["properties"]["id"] == "59350"
    assert feature["properties"]["label"] == "Lille"


def test_geocoder_honours_limit_and_orders_by_score():
    features = get(GEOCODER, q="rue de la roquette", limit="2").json()["features"]
    assert len(features) == 2
    scores = [feature["properties"]["score"] for feature in features]
    assert scores == sorted(scores, reverse=True)


def test_geocoder_knows_overseas_addresses():
    (feature, *_) = get(GEOCODER, q="6 rue victor hugo fort-de-france").json()["features"]
    assert feature["properties"]["context"] == "972, Martinique"
    assert feature["geometry"]["coordinates"] == [-61.0684, 14.6036]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        (
            {"q": "ab"},
            "q: must contain between 3 and 200 chars and start with a number or a letter",
        ),
        (
            {"q": "-rue de la paix"},
            "q: must contain between 3 and 200 chars and start with a number or a letter",
        ),
        (
            {"q": "rue de la paix", "limit": "0"},
            "limit: Param limit must be an integer between 1 and 20",
        ),
        (
            {"q": "rue de la paix", "limit": "x"},
            "limit: Param limit must be an integer between 1 and 20",
        ),
    ],
)
def test_geocoder_refuses_invalid_parameters_like_the_real_api(params, detail):
    response = get(GEOCODER, **params)
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Failed parsing query", "detail": [detail]}


# --- Faults -------------------------------------------------------------------------------------


def test_inject_restores_the_previous_state():
    assert faults.active("company_directory") is None
    with inject("company_directory", Fault.SERVER_ERROR):
        with inject("company_directory", Fault.TIMEOUT):
            assert faults.active("company_directory") is Fault.TIMEOUT
        assert faults.active("company_directory") is Fault.SERVER_ERROR
        assert faults.active("address_base") is None
    assert faults.active("company_directory") is None


def test_inject_restores_the_state_when_the_block_fails():
    with pytest.raises(RuntimeError), inject("address_base", Fault.MALFORMED):
        raise RuntimeError
    assert faults.active("address_base") is None


def test_clear():
    faults.activate("company_directory", Fault.UNAVAILABLE)
    faults.activate("address_base", Fault.UNAVAILABLE)
    faults.clear("address_base")
    assert faults.snapshot() == {"company_directory": Fault.UNAVAILABLE}
    faults.clear()
    assert faults.snapshot() == {}


def test_faults_are_shared_between_threads():
    seen = []
    with inject("address_base", Fault.RATE_LIMITED):
        thread = threading.Thread(target=lambda: seen.append(faults.active("address_base")))
        thread.start()
        thread.join()
    assert seen == [Fault.RATE_LIMITED]


@pytest.mark.parametrize(
    ("service", "url", "params"),
    [
        ("company_directory", DIRECTORY, {"q": "lune rousse"}),
        ("address_base", GEOCODER, {"q": "rue de la roquette"}),
    ],
)
def test_each_fault_answers_like_a_failing_service(service, url, params):
    with inject(service, Fault.TIMEOUT), pytest.raises(httpx.ReadTimeout):
        get(url, **params)

    with inject(service, Fault.SERVER_ERROR):
        response = get(url, **params)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"

    with inject(service, Fault.UNAVAILABLE):
        response = get(url, **params)
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert "maintenance" in response.text

    with inject(service, Fault.MALFORMED):
        response = get(url, **params)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)

    with inject(service, Fault.RATE_LIMITED):
        response = get(url, **params)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"

    assert get(url, **params).status_code == 200


# --- Loopback server (demo) ---------------------------------------------------------------------


@pytest.fixture
def sandbox_server():
    server = SandboxServer(port=0, stall_seconds=5)
    server.start()
    yield server
    server.stop()


def test_the_loopback_server_answers_real_requests(sandbox_server):
    with httpx.Client(base_url=sandbox_server.url, timeout=5) as client:
        response = client.get(
            "/recherche-entreprises/search",
            params={"q": "lune rousse", "include": "siege", "minimal": "True"},
        )
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["results"][0]["siren"] == DEMO_COMPANY_SIREN

        response = client.get("/geoplateforme/geocodage/search/", params={"q": "ab"})
        assert response.status_code == 400
        assert response.json()["message"] == "Failed parsing query"

        assert client.get("/ailleurs").status_code == 404


def test_the_app_clients_work_against_the_loopback_server(sandbox_server, settings):
    settings.HTTP_SANDBOX = False
    settings.COMPANY_DIRECTORY_URL = f"{sandbox_server.url}/recherche-entreprises"
    assert [company.siren for company in company_search("lune rousse")] == [DEMO_COMPANY_SIREN]


def test_faults_are_injected_through_the_loopback_server(sandbox_server, settings):
    settings.HTTP_SANDBOX = False
    settings.COMPANY_DIRECTORY_URL = f"{sandbox_server.url}/recherche-entreprises"
    with httpx.Client(base_url=sandbox_server.url, timeout=5) as client:
        response = client.post("/_faults/company_directory/unavailable")
        assert response.status_code == 200
        assert response.json() == {"company_directory": "unavailable"}
        assert client.get("/_faults").json() == {"company_directory": "unavailable"}

        response = client.get("/recherche-entreprises/search", params={"q": "lune"})
        assert response.status_code == 503
        assert "maintenance" in response.text
        with pytest.raises(DirectoryUnavailable):
            company_search("lune rousse")

        assert client.delete("/_faults").status_code == 204
        assert client.get("/_faults").json() == {}
        assert company_search("lune rousse")

        assert client.post("/_faults/company_directory/RATE-LIMITED").status_code == 200
        response = client.get("/recherche-entreprises/search", params={"q": "lune"})
        assert (response.status_code, response.headers["Retry-After"]) == (429, "30")

        assert client.post("/_faults/billetterie/timeout").status_code == 404
        assert client.post("/_faults/address_base/panne").status_code == 404
        assert client.put("/_faults").status_code == 405


def test_a_timeout_fault_holds_the_answer_back_longer_than_the_client_waits(
    sandbox_server, settings
):
    settings.HTTP_SANDBOX = False
    settings.COMPANY_DIRECTORY_URL = f"{sandbox_server.url}/recherche-entreprises"
    settings.PUBLIC_API_TIMEOUT_SECONDS = 0.3
    with httpx.Client(base_url=sandbox_server.url, timeout=5) as client:
        client.post("/_faults/company_directory/timeout")
    started = time.monotonic()
    with pytest.raises(DirectoryUnavailable):
        company_search("lune rousse")
    assert 0.3 <= time.monotonic() - started < 2


def test_the_stall_outlasts_the_app_timeout_by_default():
    server = SandboxServer(port=0)
    try:
        assert server._server.stall_seconds > settings.PUBLIC_API_TIMEOUT_SECONDS
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_sandbox_serve_command_serves_until_interrupted():
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "sandbox_serve", "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/_faults", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert response.json() == {}
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert f"Fausses API sur http://127.0.0.1:{port}" in stdout
