import json
from types import SimpleNamespace

import pytest
import requests
from anymail.exceptions import (
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailRequestsAPIError,
)
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django_q.models import OrmQ
from urllib3.exceptions import ProtocolError

from notifications.models import OutgoingEmail

pytestmark = pytest.mark.django_db

FAILOVER = "notifications.backends.FailoverEmailBackend"
PRIMARY = f"{__name__}.PrimaryBackend"
FALLBACK = f"{__name__}.FallbackBackend"


# --- Queued backend ------------------------------------------------------------------------------


def test_queued_backend_stores_the_message_and_delivers_it():
    message = EmailMultiAlternatives(
        subject="Votre déclaration SACEM",
        body="Bonjour,\nVoici votre déclaration.",
        from_email="Assistant <noreply@example.org>",
        to=["Camille <camille@example.org>"],
        cc=["copie@example.org"],
        bcc=["archive@example.org"],
        reply_to=["declarant@example.org"],
        headers={"X-Entity-Ref-ID": "42"},
    )
    message.attach_alternative("<p>Bonjour,</p><p>Voici votre déclaration.</p>", "text/html")
    message.attach("declaration.pdf", b"%PDF-1.4 \x00\xff binary", "application/pdf")
    message.attach("notes.txt", "Texte accentué", "text/plain")

    assert message.send() == 1

    outgoing = OutgoingEmail.objects.get()
    assert outgoing.from_email == "Assistant <noreply@example.org>"
    assert outgoing.to == ["Camille <camille@example.org>"]
    assert outgoing.cc == ["copie@example.org"]
    assert outgoing.bcc == ["archive@example.org"]
    assert outgoing.reply_to == ["declarant@example.org"]
    assert outgoing.headers == {"X-Entity-Ref-ID": "42"}
    assert outgoing.body_html == "<p>Bonjour,</p><p>Voici votre déclaration.</p>"
    assert [a["filename"] for a in outgoing.attachments] == ["declaration.pdf", "notes.txt"]
    # Delivered at once: django-q2 runs in sync mode in tests, to the locmem backend.
    assert outgoing.status == OutgoingEmail.Status.SENT
    assert outgoing.attempts == 1
    assert outgoing.provider == "django.core.mail.backends.locmem.EmailBackend"
    assert outgoing.sent_at is not None

    [sent] = mail.outbox
    assert sent.subject == "Votre déclaration SACEM"
    assert sent.body == "Bonjour,\nVoici votre déclaration."
    assert sent.alternatives == [("<p>Bonjour,</p><p>Voici votre déclaration.</p>", "text/html")]
    assert sent.to == ["Camille <camille@example.org>"]
    assert sent.cc == ["copie@example.org"]
    assert sent.bcc == ["archive@example.org"]
    assert sent.reply_to == ["declarant@example.org"]
    assert sent.extra_headers == {"X-Entity-Ref-ID": "42"}
    assert sent.attachments == [
        ("declaration.pdf", b"%PDF-1.4 \x00\xff binary", "application/pdf"),
        ("notes.txt", "Texte accentué", "text/plain"),
    ]
    raw = sent.message().as_string()
    assert "multipart/alternative" in raw
    assert "text/html" in raw


def test_html_only_message_gets_a_text_part():
    message = EmailMessage("Objet de test", "<p>Bonjour <b>Camille</b></p>", to=["a@example.org"])
    message.content_subtype = "html"
    message.send()

    outgoing = OutgoingEmail.objects.get()
    assert outgoing.body_text == "Bonjour Camille"
    assert outgoing.body_html == "<p>Bonjour <b>Camille</b></p>"
    assert mail.outbox[0].alternatives[0].mimetype == "text/html"


def test_message_without_recipients_is_not_stored():
    assert EmailMessage("Objet", "Corps", to=[]).send() == 0
    assert get_connection().send_messages([EmailMessage("Objet", "Corps")]) == 0
    assert not OutgoingEmail.objects.exists()


@pytest.mark.usefixtures("q_async")
def test_queued_backend_enqueues_a_task_with_the_id_only():
    mail.send_mail("Objet", "Corps", None, ["a@example.org"])

    outgoing = OutgoingEmail.objects.get()
    assert outgoing.status == OutgoingEmail.Status.QUEUED
    assert mail.outbox == []
    task = OrmQ.objects.get().task
    assert task["func"] == "notifications.tasks.deliver_email"
    assert task["args"] == (outgoing.pk,)

    from notifications.tasks import deliver_email

    deliver_email(outgoing.pk)
    outgoing.refresh_from_db()
    assert outgoing.status == OutgoingEmail.Status.SENT
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("q_async")
def test_rolled_back_transaction_leaves_neither_email_nor_task():
    with pytest.raises(RuntimeError), transaction.atomic():
        mail.send_mail("Objet", "Corps", None, ["a@example.org"])
        assert OrmQ.objects.count() == 1
        raise RuntimeError("the surrounding service failed")

    assert not OutgoingEmail.objects.exists()
    assert not OrmQ.objects.exists()


# --- Failover backend ------------------------------------------------------------------------------


class RecordingBackend(BaseEmailBackend):
    """Accepts every message unless `fail_with` (a callable returning an exception) is set."""

    sent: list[EmailMessage]
    fail_with = None

    def send_messages(self, email_messages):
        fail_with = type(self).fail_with
        if fail_with is not None:
            raise fail_with(email_messages[0])
        for message in email_messages:
            message.anymail_status = SimpleNamespace(message_id=f"{type(self).__name__}-1")
            self.sent.append(message)
        return len(email_messages)


class PrimaryBackend(RecordingBackend):
    sent = []


class FallbackBackend(RecordingBackend):
    sent = []


@pytest.fixture
def failover(settings, monkeypatch):
    settings.NOTIFICATIONS_PRIMARY_BACKEND = PRIMARY
    settings.NOTIFICATIONS_FALLBACK_BACKEND = FALLBACK
    for backend in (PrimaryBackend, FallbackBackend):
        monkeypatch.setattr(backend, "sent", [])
        monkeypatch.setattr(backend, "fail_with", None)
    return get_connection(FAILOVER)


def _response(status_code: int, payload: dict | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status_code
    response.reason = "Error"
    response._content = json.dumps(payload or {"message": "error"}).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def http_error(status_code: int):
    def make(message):
        return AnymailRequestsAPIError(
            email_message=message, response=_response(status_code), esp_name="Fake"
        )

    return make


def requests_error(error: requests.RequestException):
    """What Anymail raises when requests fails: a subclass of both, chained to the original."""

    exc_class = type("AnymailRequestsAPIError", (AnymailRequestsAPIError, type(error)), {})

    def make(message):
        exc = exc_class("Error posting to https://esp.example/", email_message=message)
        exc.__cause__ = error
        return exc

    return make


CONNECTION_REFUSED = requests.ConnectionError("Failed to establish a new connection: refused")
CONNECT_TIMEOUT = requests.ConnectTimeout("Connection to esp.example timed out")
READ_TIMEOUT = requests.ReadTimeout("Read timed out. (read timeout=30)")
CONNECTION_ABORTED = requests.ConnectionError(
    ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer"))
)


def _message() -> EmailMessage:
    return EmailMessage("Objet de test", "Corps du message", "a@example.org", ["b@example.org"])


@pytest.mark.parametrize(
    "fail_with",
    [
        requests_error(CONNECTION_REFUSED),
        requests_error(CONNECT_TIMEOUT),
        lambda message: CONNECTION_REFUSED,
        http_error(500),
        http_error(503),
    ],
    ids=["connection-refused", "connect-timeout", "bare-connection-error", "500", "503"],
)
def test_failover_uses_the_fallback_when_the_primary_is_unreachable(failover, fail_with):
    PrimaryBackend.fail_with = fail_with
    message = _message()

    assert failover.send_messages([message]) == 1

    assert FallbackBackend.sent == [message]
    assert message.notifications_provider == FALLBACK


@pytest.mark.parametrize(
    "fail_with",
    [
        http_error(400),
        http_error(401),
        http_error(422),
        http_error(429),
        requests_error(READ_TIMEOUT),
        requests_error(CONNECTION_ABORTED),
        lambda message: AnymailRecipientsRefused(email_message=message),
        lambda message: AnymailInvalidAddress("Invalid email address 'x'"),
    ],
    ids=["400", "401", "422", "429", "read-timeout", "aborted", "refused", "invalid"],
)
def test_failover_does_not_fall_back_when_the_primary_may_have_accepted(failover, fail_with):
    PrimaryBackend.fail_with = fail_with

    with pytest.raises(Exception) as raised:
        failover.send_messages([_message()])

    assert type(raised.value) is type(fail_with(None))
    assert FallbackBackend.sent == []


def test_failover_sends_through_the_primary_when_it_works(failover):
    message = _message()
    assert failover.send_messages([message]) == 1
    assert PrimaryBackend.sent == [message]
    assert FallbackBackend.sent == []
    assert message.notifications_provider == PRIMARY


@pytest.mark.parametrize("fallback", ["", "anymail.backends.brevo.EmailBackend"])
def test_failover_raises_when_no_fallback_is_configured(failover, settings, fallback):
    settings.NOTIFICATIONS_FALLBACK_BACKEND = fallback
    settings.ANYMAIL = {**settings.ANYMAIL, "BREVO_API_KEY": ""}
    PrimaryBackend.fail_with = http_error(503)

    with pytest.raises(AnymailRequestsAPIError) as raised:
        failover.send_messages([_message()])
    assert raised.value.status_code == 503


def test_failover_raises_the_fallback_error_when_both_fail(failover):
    PrimaryBackend.fail_with = requests_error(CONNECTION_REFUSED)
    FallbackBackend.fail_with = http_error(502)

    with pytest.raises(AnymailRequestsAPIError) as raised:
        failover.send_messages([_message()])
    assert raised.value.status_code == 502


def test_failover_fail_silently(failover):
    PrimaryBackend.fail_with = http_error(400)
    assert get_connection(FAILOVER, fail_silently=True).send_messages([_message()]) == 0


def test_delivery_records_the_provider_that_sent(failover, settings):
    settings.NOTIFICATIONS_DELIVERY_BACKEND = FAILOVER
    PrimaryBackend.fail_with = requests_error(CONNECT_TIMEOUT)

    mail.send_mail("Objet de test", "Corps du message", None, ["b@example.org"])

    outgoing = OutgoingEmail.objects.get()
    assert outgoing.status == OutgoingEmail.Status.SENT
    assert outgoing.provider == FALLBACK
    assert outgoing.provider_message_id == "FallbackBackend-1"
    assert len(FallbackBackend.sent) == 1


class TestWithAnymailBackends:
    """The real Scaleway and Brevo backends, with requests answering instead of the network."""

    @pytest.fixture(autouse=True)
    def anymail_settings(self, settings):
        settings.NOTIFICATIONS_PRIMARY_BACKEND = "anymail.backends.scaleway.EmailBackend"
        settings.NOTIFICATIONS_FALLBACK_BACKEND = "anymail.backends.brevo.EmailBackend"
        settings.ANYMAIL = {
            "SCALEWAY_SECRET_KEY": "scw-secret",
            "SCALEWAY_PROJECT_ID": "scw-project",
            "SCALEWAY_REGION": "fr-par",
            "BREVO_API_KEY": "xkeysib-test",
        }

    def _fake_network(self, monkeypatch, scaleway):
        calls = []

        def request(session, method, url, **kwargs):
            calls.append(url)
            if "api.scaleway.com" in url:
                return scaleway()
            return _response(201, {"messageId": "<brevo-1@smtp-relay.mailin.fr>"})

        monkeypatch.setattr(requests.Session, "request", request)
        return calls

    def test_scaleway_unreachable_brevo_sends(self, monkeypatch):
        def refuse():
            raise requests.ConnectionError("Failed to establish a new connection")

        calls = self._fake_network(monkeypatch, refuse)
        message = _message()

        assert get_connection(FAILOVER).send_messages([message]) == 1

        assert ["api.scaleway.com" in url for url in calls] == [True, False]
        assert message.notifications_provider == "anymail.backends.brevo.EmailBackend"
        assert message.anymail_status.message_id == "<brevo-1@smtp-relay.mailin.fr>"

    def test_scaleway_client_error_is_raised(self, monkeypatch):
        calls = self._fake_network(monkeypatch, lambda: _response(400, {"message": "invalid"}))

        with pytest.raises(AnymailRequestsAPIError) as raised:
            get_connection(FAILOVER).send_messages([_message()])

        assert raised.value.status_code == 400
        assert len(calls) == 1
