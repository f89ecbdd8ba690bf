"""The SIBIL client against the SIBIL sandbox, in-process over httpx (no database)."""

import logging
from dataclasses import replace
from decimal import Decimal

import httpx
import pytest

from declarations.choices import PerformanceType, VenueType
from declarations.clients import sibil as client_module
from declarations.clients.sibil import SibilClient, SibilError
from declarations.sibil import domain_for, sibil_declarations
from ticketing.sandbox import faults, router
from ticketing.sandbox import sibil as fake
from ticketing.sandbox.faults import Fault, inject

from .samples import amount, performance, snapshot

THEATRE_DOMAIN = 11


@pytest.fixture(autouse=True)
def _clean_sandbox():
    fake.reset()
    yield
    fake.reset()
    faults.clear()


@pytest.fixture
def sibil():
    with SibilClient.for_account(fake.DEMO_USERNAME, fake.DEMO_PASSWORD) as client:
        yield client


@pytest.fixture
def requests_seen(monkeypatch):
    seen: list[httpx.Request] = []
    original = router.handle

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return original(request)

    monkeypatch.setattr(router, "handle", recording)
    return seen


def first_body(**changes) -> dict:
    return sibil_declarations(snapshot(performances=1, **changes), THEATRE_DOMAIN)[0]


# --- Sessions and reference lists -------------------------------------------------------------


def test_authenticate_then_call_with_the_bearer_token(sibil, requests_seen):
    sibil.authenticate()
    assert sibil.venue_types()
    login, call = requests_seen
    assert login.url.path == "/sibil/api/v2/authenticate"
    assert "Authorization" not in login.headers
    assert login.headers["User-Agent"].startswith("AssistantDeclaration")
    token = call.headers["Authorization"].removeprefix("Bearer ")
    assert token.count(".") == 2
    assert call.headers["User-Agent"].startswith("AssistantDeclaration")


def test_calls_log_in_first_when_needed(sibil, requests_seen):
    sibil.venue_types()
    assert [request.url.path.rsplit("/", 1)[1] for request in requests_seen] == [
        "authenticate",
        "types",
    ]


@pytest.mark.parametrize(
    ("username", "password"),
    [(fake.DEMO_USERNAME, "Sibil-demo-2025"), ("inconnu", fake.DEMO_PASSWORD)],
)
def test_refused_credentials_say_what_to_do(username, password):
    with SibilClient.for_account(username, password) as client, pytest.raises(SibilError) as raised:
        client.authenticate()
    assert raised.value.message == (
        "SIBIL indique que vos identifiants techniques sont incorrects : mettez-les à jour dans "
        "les paramètres de votre structure, puis relancez l'envoi."
    )
    assert not raised.value.retriable


def test_an_added_account_can_log_in():
    fake.ACCOUNTS["lune-rousse"] = "Un-autre-secret-42"
    with SibilClient.for_account("lune-rousse", "Un-autre-secret-42") as client:
        client.authenticate()
        assert client.domains()


def test_an_expired_session_is_renewed_once(sibil, requests_seen):
    sibil.authenticate()
    fake.expire_tokens()
    assert sibil.venue_types()
    paths = [request.url.path.rsplit("/", 1)[1] for request in requests_seen]
    assert paths == ["authenticate", "types", "authenticate", "types"]


def test_the_fake_refuses_calls_without_a_valid_token():
    with httpx.Client(transport=httpx.MockTransport(router.handle)) as raw:
        url = "http://sandbox.test/sibil/api/v2/lieux/types"
        assert raw.get(url).status_code == 401
        assert raw.get(url, headers={"Authorization": "Bearer forged.token.x"}).status_code == 401


def test_venue_types_are_our_venue_type_choices(sibil):
    assert sibil.venue_types() == list(VenueType.choices)


def test_domains_are_the_active_ones_and_map_every_category(sibil):
    domains = sibil.domains()
    assert len(domains) == len(fake.DOMAINS) - 1
    assert all(domain.active for domain in domains)
    assert 3 not in {domain.id for domain in domains}
    mapped = {value: domain_for(value, domains).id for value in PerformanceType.values}
    assert mapped == {
        "outdoor": 23,
        "cabaret": 24,
        "circus": 21,
        "musical_theatre": 12,
        "dance": 32,
        "comedy": 13,
        "puppetry": 14,
        "classical_music": 41,
        "popular_music": 43,
        "world_music": 45,
        "heritage": 59,
        "no_dominant": 59,
        "ice_and_parks": 59,
        "theatre": 11,
    }


def test_an_unconfigured_platform_refuses_for_good(settings):
    settings.SIBIL_API_BASE_URL = ""
    with pytest.raises(SibilError) as raised:
        SibilClient.for_account(fake.DEMO_USERNAME, fake.DEMO_PASSWORD)
    assert raised.value.message.startswith(
        "La télétransmission SIBIL n'est pas configurée sur cette plateforme"
    )
    assert not raised.value.retriable


def test_neither_the_password_nor_the_token_is_logged(caplog, requests_seen):
    caplog.set_level(logging.DEBUG)
    with (
        SibilClient.for_account(fake.DEMO_USERNAME, "Mauvais-secret-99") as client,
        pytest.raises(SibilError),
    ):
        client.venue_types()
    with SibilClient.for_account(fake.DEMO_USERNAME, fake.DEMO_PASSWORD) as client:
        fake.expire_tokens()
        client.authenticate()
        fake.expire_tokens()
        client.venue_types()
        assert fake.DEMO_PASSWORD not in repr(client)
    token = requests_seen[-1].headers["Authorization"].removeprefix("Bearer ")
    assert caplog.records  # the refused login and the expired session were logged
    for secret in ("Mauvais-secret-99", fake.DEMO_PASSWORD, token):
        assert secret not in caplog.text


# --- Declarations -------------------------------------------------------------------------------


def test_declare_creates_then_a_resend_updates(sibil):
    first = sibil.declare(first_body())
    assert (first.external_id, first.version, first.status) == ("7_101", 1, "ENREGISTRE")
    assert first.body["domaineRepresentationLibelle"] == "Théâtre, conte, mime"
    [stored] = fake.stored(fake.DEMO_USERNAME)
    assert stored["recetteTotalBilletterie"] == Decimal("1200.00")
    assert stored["prixMoyenTotalBilletterie"] == Decimal("12.50")
    assert stored["dateHeureRepresentationUnique"] == "2026-03-14T19:30:00Z"

    corrected = performance(1, paid_tickets=100, ticketing=amount("1232.23", "1300.00"))
    second = sibil.declare(
        sibil_declarations(
            replace(snapshot(performances=0), performances=(corrected,)), THEATRE_DOMAIN
        )[0]
    )
    assert (second.id, second.external_id, second.version) == (first.id, "7_101", 2)
    [stored] = fake.stored()
    assert stored["version"] == 2
    assert stored["recetteTotalBilletterie"] == Decimal("1300.00")
    assert stored["prixMoyenTotalBilletterie"] == Decimal("13.00")


def test_every_performance_is_its_own_declaration(sibil):
    answers = [sibil.declare(body) for body in sibil_declarations(snapshot(), THEATRE_DOMAIN)]
    assert [answer.external_id for answer in answers] == ["7_101", "7_102"]
    assert len({answer.id for answer in answers}) == 2
    assert len(fake.stored()) == 2


def test_a_declaration_typed_on_sibil_is_explained(sibil):
    typed_by_hand = {**first_body(), "idExtBilletterie": "SAISIE-MANUELLE-1"}
    sibil.declare(typed_by_hand)
    with pytest.raises(SibilError) as raised:
        sibil.declare(first_body())
    error = raised.value
    assert not error.retriable
    assert error.status == 400
    assert "« Le Cracheur de feu »" in error.message
    assert "du 14/03/2026 à 20:30" in error.message
    assert "sans doute saisie directement sur SIBIL" in error.message
    assert "supprimez-la sur SIBIL, puis relancez l'envoi" in error.message
    assert (
        "« Une déclaration existe déjà dans la base de données SIBIL avec les mêmes données "
        "saisies »" in error.message
    )
    assert [item["idExtBilletterie"] for item in fake.stored()] == ["SAISIE-MANUELLE-1"]


def test_another_declarant_may_declare_the_same_performance(sibil):
    sibil.declare({**first_body(), "idExtBilletterie": "SAISIE-MANUELLE-1"})
    fake.ACCOUNTS["autre-structure"] = "Encore-un-secret-7"
    with SibilClient.for_account("autre-structure", "Encore-un-secret-7") as other:
        assert other.declare(first_body()).version == 1


@pytest.mark.parametrize(
    ("changes", "title"),
    [
        # What the prior service sent: JavaScript's default date string.
        (
            {"dateHeureRepresentationUnique": "Sat Mar 14 2026 20:30:00 GMT+0100 (CET)"},
            "Le champ dateHeureRepresentationUnique doit être une date et heure au format ISO-8601",
        ),
        (
            {"dateHeureRepresentationUnique": "2026-03-14T20:30:00"},
            "Le champ dateHeureRepresentationUnique doit être une date et heure au format ISO-8601",
        ),
        ({"domaineRepresentationId": 3}, "Le domaine 3 n'est plus actif"),
        (
            {"domaineRepresentationId": 999},
            "Le champ domaineRepresentationId ne correspond à aucun domaine connu",
        ),
        (
            {"nbBilletsExoneres": -1},
            "Le champ nbBilletsExoneres ne peut pas être inférieur à 0",
        ),
        (
            {"recetteTotalBilletterie": Decimal("-0.01")},
            "Le champ recetteTotalBilletterie ne peut pas être négatif",
        ),
        ({"idExtBilletterie": "x" * 73}, "Le champ idExtBilletterie ne doit pas dépasser 50"),
    ],
)
def test_refusals_keep_sibils_title(sibil, changes, title):
    with pytest.raises(SibilError) as raised:
        sibil.declare({**first_body(), **changes})
    error = raised.value
    assert error.message.startswith("SIBIL a refusé la déclaration : « ")
    assert title in error.message
    assert error.message.endswith(
        "Corrigez ce point dans le formulaire de déclaration, puis relancez l'envoi."
    )
    assert not error.retriable
    assert fake.stored() == []


def test_an_unknown_venue_type_is_refused(sibil):
    body = first_body()
    body["lieuChamps"] = {**body["lieuChamps"], "typeLieu": "SALLE_DES_FETES"}
    with pytest.raises(SibilError, match="« Le type de lieu est inconnu »"):
        sibil.declare(body)


def test_a_multi_performance_declaration_straddling_quarters_is_refused(sibil):
    body = {
        key: value for key, value in first_body().items() if key != "dateHeureRepresentationUnique"
    }
    body |= {
        "nbRepresentations": 2,
        "dateDebut": "2026-03-31T19:30:00Z",
        "dateFin": "2026-04-01T19:30:00Z",
    }
    with pytest.raises(SibilError, match="à cheval sur deux trimestres"):
        sibil.declare(body)


# --- Faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "retriable", "words"),
    [
        (Fault.TIMEOUT, True, "n'a pas répondu à temps"),
        (Fault.SERVER_ERROR, True, "erreur 500"),
        (Fault.UNAVAILABLE, True, "erreur 503"),
        (Fault.RATE_LIMITED, True, "trop de demandes"),
        (Fault.MALFORMED, True, "illisible"),
        (Fault.CREDENTIALS_REFUSED, False, "identifiants techniques sont incorrects"),
    ],
)
def test_each_fault_is_reported_with_its_retriability(sibil, fault, retriable, words):
    sibil.authenticate()
    with inject(fake.SERVICE, fault), pytest.raises(SibilError) as raised:
        sibil.declare(first_body())
    error = raised.value
    assert error.retriable is retriable
    assert words in error.message
    if fault is Fault.RATE_LIMITED:
        assert error.retry_after == faults.RETRY_AFTER_SECONDS
    if fault is Fault.SERVER_ERROR:
        assert "(réponse de SIBIL : « Une erreur inattendue" in error.message


@pytest.mark.parametrize(
    "fault", [Fault.TIMEOUT, Fault.SERVER_ERROR, Fault.MALFORMED, Fault.CREDENTIALS_REFUSED]
)
def test_faults_during_login_are_reported_too(fault):
    with (
        SibilClient.for_account(fake.DEMO_USERNAME, fake.DEMO_PASSWORD) as client,
        inject(fake.SERVICE, fault),
        pytest.raises(SibilError) as raised,
    ):
        client.venue_types()
    assert raised.value.retriable is (fault is not Fault.CREDENTIALS_REFUSED)


def test_a_connection_error_is_retriable(monkeypatch):
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    monkeypatch.setattr(router, "handle", unreachable)
    with (
        SibilClient.for_account(fake.DEMO_USERNAME, fake.DEMO_PASSWORD) as client,
        pytest.raises(SibilError) as raised,
    ):
        client.authenticate()
    assert raised.value.retriable
    assert raised.value.message == client_module.UNREACHABLE


def test_a_declaration_whose_answer_was_lost_is_updated_on_resend(sibil):
    sibil.authenticate()
    with inject(fake.SERVICE, Fault.MALFORMED), pytest.raises(SibilError):
        sibil.declare(first_body())
    [kept] = fake.stored()  # SIBIL stored it, the answer was cut
    answer = sibil.declare(first_body())
    assert (answer.id, answer.version) == (kept["id"], 2)
    assert len(fake.stored()) == 1
