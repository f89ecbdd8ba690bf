"""The SACD client against the SACD sandbox, in-process over httpx (no database)."""

import logging
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import httpx
import pytest

from config.http import http_client
from declarations.clients import sacd as client_module
from declarations.clients.sacd import SacdClient, SacdError
from declarations.sacd_xml import sacd_xml
from ticketing.sandbox import faults, router
from ticketing.sandbox import sacd as fake
from ticketing.sandbox.faults import Fault, inject

from .samples import ORGANISATION, PARIS, VENUE, amount, performance, snapshot

SETTINGS = {
    "base_url": "http://sandbox.test/sacd",
    "consumer_key": fake.CONSUMER_KEY,
    "secret_key": fake.SECRET_KEY,
    "provider_name": "ASSISTANT_DECLARATION",
    "provider_reffile": fake.PROVIDER_REFFILE,
    "provider_password": fake.PROVIDER_PASSWORD,
}


@pytest.fixture(autouse=True)
def _clean_sandbox():
    fake.reset()
    yield
    fake.reset()
    faults.clear()


@pytest.fixture
def exchanges(monkeypatch):
    """Every request the client makes, with the sandbox's answer (None when it raised)."""
    seen: list[tuple[httpx.Request, httpx.Response | None]] = []
    original = router.handle

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append((request, None))
        response = original(request)
        seen[-1] = (request, response)
        return response

    monkeypatch.setattr(router, "handle", recording)
    return seen


def on_declare(monkeypatch, answer):
    """Route the declaration call to `answer(request, original)`; the login goes through."""
    original = router.handle

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(client_module.DECLARE):
            return answer(request, original)
        return original(request)

    monkeypatch.setattr(router, "handle", handle)


def declare(data=None) -> client_module.SacdAnswer:
    return SacdClient.from_settings().declare(sacd_xml(data or snapshot()))


def form(request: httpx.Request) -> dict[str, str]:
    params = httpx.QueryParams(request.content.decode())
    return {key: params[key] for key in params}


def with_second(**changes):
    base = snapshot()
    return replace(base, performances=(base.performances[0], performance(2, **changes)))


# --- Login and connection check ---------------------------------------------------------------


def test_hello_logs_in_then_calls_the_test_service_with_the_derived_token(exchanges):
    SacdClient.from_settings().hello()
    (login, login_answer), (hello, hello_answer) = exchanges
    assert login.method == hello.method == "POST"
    assert login.url.path == "/sacd/ticketing/auto-access.json"
    assert form(login) == {
        "login[login]": "demo-reffile",
        "login[password]": "4b4d9529148d8d9440d7e20c78287f69",  # MD5 of "demo-password"
        "login[consumer_key]": "demo-consumer-key",
    }
    auth_token = login_answer.json()["AuthToken"]
    assert hello.url.path == "/sacd/ticketing/broker/HelloWorldWS"
    assert dict(hello.url.params) == {
        "key": "demo-consumer-key",
        "token": fake.md5_hex("demo-secret-key" + auth_token),
    }
    assert form(hello) == {
        "parameters[Application]": "ASSISTANT_DECLARATION",
        "parameters[LoginRefFile]": "demo-reffile",
        "parameters[Language]": "FR",
    }
    assert hello_answer.json() == {"Result": "Hello World!"}
    for request, _ in exchanges:
        assert request.headers["User-Agent"].startswith("Mozilla/5.0")
        assert "AssistantDeclaration" in request.headers["User-Agent"]
        assert request.headers["Accept"].startswith("text/html,application/xhtml+xml")
        assert request.headers["Accept-Language"].startswith("fr-FR")
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert "demo-password" not in request.content.decode()


def test_each_call_opens_its_own_session(exchanges):
    client = SacdClient.from_settings()
    client.hello()
    client.hello()
    tokens = [
        request.url.params["token"] for request, _ in exchanges if "broker" in str(request.url)
    ]
    assert len(tokens) == 2 and tokens[0] != tokens[1]


def test_the_sandbox_refuses_a_client_without_a_browser_user_agent():
    with http_client(timeout=5) as client:
        response = client.post("http://sandbox.test/sacd/ticketing/auto-access.json", data={})
    assert response.status_code == 403
    assert "text/html" in response.headers["Content-Type"]


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("provider_password", "mauvais-mot-de-passe"),
        ("provider_reffile", "autre-reffile"),
        ("consumer_key", "autre-consumer-key"),
    ],
)
def test_refused_provider_credentials_stop_with_a_message_for_the_platform_team(setting, value):
    client = SacdClient(**{**SETTINGS, setting: value})
    with pytest.raises(SacdError) as refused:
        client.declare(sacd_xml(snapshot()))
    assert refused.value.message == client_module.PLATFORM_REFUSED
    assert "l'équipe de la plateforme" in refused.value.message
    assert refused.value.code == "ERR_AUTH"
    assert refused.value.status == 401
    assert refused.value.retriable is False
    assert fake.received == []


def test_a_wrong_secret_key_is_refused_at_the_broker():
    client = SacdClient(**{**SETTINGS, "secret_key": "autre-secret"})
    with pytest.raises(SacdError) as refused:
        client.hello()
    assert refused.value.message == client_module.PLATFORM_REFUSED
    assert refused.value.code == "ERR_TOKEN"
    assert refused.value.retriable is False


def test_credentials_refused_by_sacd_are_permanent():
    with inject(fake.SERVICE, Fault.CREDENTIALS_REFUSED), pytest.raises(SacdError) as refused:
        SacdClient.from_settings().hello()
    assert refused.value.message == client_module.PLATFORM_REFUSED
    assert refused.value.retriable is False


def test_without_a_base_url_teletransmission_is_not_configured(settings):
    settings.SACD_API = {**settings.SACD_API, "BASE_URL": ""}
    with pytest.raises(SacdError) as refused:
        SacdClient.from_settings()
    assert refused.value.message.startswith(
        "La télétransmission SACD n'est pas configurée sur cette plateforme"
    )
    assert refused.value.retriable is False


# --- Declarations -----------------------------------------------------------------------------


def test_an_accepted_declaration_numbers_each_representation(monkeypatch):
    monkeypatch.setattr(fake, "clock", lambda: datetime(2026, 4, 2, 10, 16, 5, tzinfo=PARIS))
    answer = declare()
    assert answer.accepted
    assert answer.declarant == "1234567"
    assert answer.count == 2
    assert answer.sacd_date == "2026/04/02 10:16:05"
    assert [(item.reference, item.number, item.status) for item in answer.representations] == [
        ("7_101", "2026000001", "OK"),
        ("7_102", "2026000002", "OK"),
    ]
    assert answer.warnings == () and answer.refusals == ()
    assert answer.body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Declaration>')
    assert "<numero>2026000002</numero>" in answer.body
    (received,) = fake.received
    assert received["dec_ref"] == "1234567"
    assert received["xml"] == sacd_xml(snapshot())
    assert received["representations"][0]["rep_mt_billets"] == "1137.44"
    assert received["representations"][0]["rep_mt_depenses"] == "3000"


def test_a_refused_representation_is_answered_not_raised_and_the_rest_is_kept():
    # Incl. VAT below excl. VAT: the VAT amount sent is negative.
    answer = declare(with_second(ticketing=amount("1200.00", "1137.44")))
    assert not answer.accepted
    (refusal,) = answer.refusals
    assert refusal.reference == "7_102"
    assert refusal.status == "KO"
    assert refusal.number == ""
    assert refusal.field == "rep_mt_tva_billets"
    assert refusal.message
    first = answer.representations[0]
    assert (first.reference, first.status, first.number) == ("7_101", "OK", "2026000001")


def test_a_representation_without_its_hall_is_refused_on_that_field():
    answer = declare(with_second(venue=replace(VENUE, name="  ")))
    (refusal,) = answer.refusals
    assert (refusal.reference, refusal.field) == ("7_102", "salle_nom")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"venue": replace(VENUE, capacity=50)}, "salle_jauge"),  # 100 tickets for 50 seats
        ({"vat_rate": Decimal("0.07")}, "rep_tx_tva_billets"),  # 7 % is no ticket rate
    ],
)
def test_a_warning_is_accepted_numbered_and_kept(changes, field):
    answer = declare(with_second(**changes))
    assert answer.accepted
    (warning,) = answer.warnings
    assert (warning.reference, warning.status, warning.field) == ("7_102", "WARNING", field)
    assert warning.number == "2026000002"
    assert warning.message
    assert len(answer.representations) == 2


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("<rep_date_debut>2026/03/15</rep_date_debut>", "", "rep_date_debut"),
        ("<rep_date_debut>2026/03/15", "<rep_date_debut>2026/02/30", "rep_date_debut"),
        ("<rep_date_debut>2026/03/15", "<rep_date_debut>15/03/2026", "rep_date_debut"),
        ("<rep_date_fin>2026/03/15", "<rep_date_fin>2026/03/14", "rep_date_fin"),
        ("<rep_horaire>20:30", "<rep_horaire>20h30", "rep_horaire"),
        ("<rep_mt_billets>1137.44", "<rep_mt_billets>1.13744E+3", "rep_mt_billets"),
        ("<rep_mt_billets>1137.44", "<rep_mt_billets>-1137.44", "rep_mt_billets"),
        ("<rep_nb_billets_pay>96", "<rep_nb_billets_pay>96.5", "rep_nb_billets_pay"),
        ("<rep_devise>EUR", "<rep_devise>CHF", "rep_devise"),
        ("<rep_version>1", "<rep_version>0", "rep_version"),
        ("<rep_titre>Le Cracheur de feu</rep_titre>", "", "rep_titre"),
    ],
)
def test_the_sandbox_refuses_an_invalid_field_of_one_representation(old, new, field):
    xml = sacd_xml(snapshot())
    second = xml.index("<rep_ref_dec>7_102")
    assert old in xml[second:]
    xml = xml[:second] + xml[second:].replace(old, new, 1)
    answer = SacdClient.from_settings().declare(xml)
    assert [(item.status, item.field) for item in answer.representations] == [
        ("OK", ""),
        ("KO", field),
    ]


def test_an_unknown_declarant_is_told_to_check_the_id_and_ask_for_teletransmission():
    data = replace(snapshot(), organisation=replace(ORGANISATION, sacd_id="7654321"))
    with pytest.raises(SacdError) as refused:
        declare(data)
    assert refused.value.code == "ERR_WS_DEC_REF"
    assert refused.value.message.startswith(
        "La SACD ne reconnaît pas votre identifiant de déclarant, ou la télétransmission n'est "
        "pas activée sur votre compte SACD."
    )
    assert "interlocuteur SACD" in refused.value.message
    assert refused.value.retriable is False
    assert [item["dec_ref"] for item in fake.received] == ["7654321"]

    fake.KNOWN_DECLARANTS.add("7654321")
    assert declare(data).accepted


def test_the_same_version_twice_is_refused_and_version_two_is_a_correction():
    assert declare().accepted
    again = declare()
    assert not again.accepted
    assert [(item.status, item.field) for item in again.representations] == [
        ("KO", "rep_version"),
        ("KO", "rep_version"),
    ]
    assert "déjà déclarée" in again.refusals[0].message.lower()

    corrected = declare(snapshot(version=2))
    assert corrected.accepted
    assert [item.number for item in corrected.representations] == ["2026000003", "2026000004"]
    assert not declare(snapshot(version=2)).accepted


def test_another_sacd_error_code_is_reported_with_its_message():
    with pytest.raises(SacdError) as refused:
        SacdClient.from_settings().declare("ceci n'est pas du XML")
    assert refused.value.code == "ERR_WS_XML"
    assert "(code ERR_WS_XML)" in refused.value.message
    assert "Document XML illisible" in refused.value.message
    assert refused.value.retriable is False


# --- Faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "retry_after"),
    [
        (Fault.TIMEOUT, None, None),
        (Fault.SERVER_ERROR, 500, None),
        (Fault.UNAVAILABLE, 503, 120),
        (Fault.RATE_LIMITED, 429, 30),
        (Fault.MALFORMED, 200, None),
    ],
)
def test_a_fault_before_anything_is_sent_is_retriable(fault, status, retry_after):
    with inject(fake.SERVICE, fault), pytest.raises(SacdError) as failed:
        declare()
    assert failed.value.retriable is True
    assert failed.value.status == status
    assert failed.value.retry_after == retry_after
    assert "relancez l'envoi dans quelques minutes" in failed.value.message.lower()
    assert fake.received == []


@pytest.mark.parametrize(
    ("fault", "retriable", "message"),
    [
        (Fault.TIMEOUT, True, client_module.TIMEOUT_DECLARING),
        (Fault.SERVER_ERROR, True, client_module.SERVER_ERROR.format(status=500)),
        (Fault.UNAVAILABLE, True, client_module.SERVER_ERROR.format(status=503)),
        (Fault.RATE_LIMITED, True, client_module.RATE_LIMITED),
        (Fault.MALFORMED, False, client_module.UNREADABLE_DECLARATION),
    ],
)
def test_a_fault_while_declaring(monkeypatch, fault, retriable, message):
    def faulty(request, original):
        with inject(fake.SERVICE, fault):
            return original(request)

    on_declare(monkeypatch, faulty)
    with pytest.raises(SacdError) as failed:
        declare()
    assert failed.value.retriable is retriable
    assert failed.value.message == message


def test_an_unreadable_declaration_answer_says_to_check_before_resending(monkeypatch):
    plain = router.handle

    def cut(request, original):
        with inject(fake.SERVICE, Fault.MALFORMED):
            return original(request)

    on_declare(monkeypatch, cut)
    with pytest.raises(SacdError) as failed:
        declare()
    assert "n'a pas pu être lue" in failed.value.message
    assert "Ne la renvoyez pas avant d'avoir vérifié" in failed.value.message
    # Why: SACD did record it, and sending it again is refused as a duplicate.
    monkeypatch.setattr(router, "handle", plain)
    assert len(fake.received) == 1
    assert [item.field for item in declare().refusals] == ["rep_version", "rep_version"]


@pytest.mark.parametrize(
    "body",
    [
        "<!DOCTYPE html><html><body>Maintenance</body></html>",
        '<?xml version="1.0"?><Declaration><Header><dec_nb>1</dec_nb></Header></Declaration>',
        "<Declaration><Header><dec_nb>1</dec_nb></Header><Representations><Representation>"
        "<numero>1</numero><statut>PEUT-ETRE</statut></Representation></Representations>"
        "</Declaration>",
        '{"Result": "OK"}',
        "",
    ],
)
def test_an_answer_that_is_not_a_declaration_receipt_is_unreadable(monkeypatch, body):
    on_declare(monkeypatch, lambda request, original: httpx.Response(200, text=body))
    with pytest.raises(SacdError) as failed:
        declare()
    assert failed.value.message == client_module.UNREADABLE_DECLARATION
    assert failed.value.retriable is False


def test_a_connection_error_is_retriable(monkeypatch):
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    monkeypatch.setattr(router, "handle", unreachable)
    with pytest.raises(SacdError) as failed:
        declare()
    assert failed.value.message == client_module.UNREACHABLE
    assert failed.value.retriable is True


def test_an_unexpected_status_is_permanent(monkeypatch):
    on_declare(
        monkeypatch,
        lambda request, original: httpx.Response(404, text="<html>Not Found</html>"),
    )
    with pytest.raises(SacdError) as failed:
        declare()
    assert failed.value.status == 404
    assert failed.value.retriable is False
    assert "erreur 404" in failed.value.message


# --- Secrets ----------------------------------------------------------------------------------


def test_secrets_and_tokens_never_reach_the_logs_nor_the_errors(exchanges, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    current: list[Fault] = []
    recording = router.handle

    def handle(request: httpx.Request) -> httpx.Response:
        if current and request.url.path.endswith(client_module.DECLARE):
            with inject(fake.SERVICE, current[0]):
                return recording(request)
        return recording(request)

    monkeypatch.setattr(router, "handle", handle)
    assert declare().accepted
    errors = []
    for version, fault in enumerate((Fault.TIMEOUT, Fault.SERVER_ERROR, Fault.MALFORMED), 2):
        current[:] = [fault]
        with pytest.raises(SacdError) as failed:
            declare(snapshot(version=version))
        errors.append(failed.value)
    with pytest.raises(SacdError) as refused:
        SacdClient(**{**SETTINGS, "secret_key": "autre-secret"}).hello()
    errors.append(refused.value)

    auth_tokens = [
        response.json()["AuthToken"]
        for request, response in exchanges
        if request.url.path.endswith("auto-access.json")
    ]
    access_tokens = [
        request.url.params["token"] for request, _ in exchanges if "token" in request.url.params
    ]
    assert len(auth_tokens) == 5 and len(access_tokens) == 5
    secrets = [
        "demo-password",
        fake.md5_hex("demo-password"),
        "demo-secret-key",
        *auth_tokens,
        *access_tokens,
    ]
    texts = [caplog.text, repr(SacdClient.from_settings())]
    texts += [f"{error} {error!r} {error.code}" for error in errors]
    assert "SACD" in caplog.text  # the failures were logged
    for text in texts:
        for secret in secrets:
            assert secret not in text
    # Not chained to httpx's exception, whose request URL carries the token.
    assert all(error.__cause__ is None for error in errors[:2])
