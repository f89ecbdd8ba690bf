import logging

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from notifications import services
from notifications.models import OutgoingEmail
from notifications.tasks import deliver_email

pytestmark = pytest.mark.django_db


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionError("ESP indisponible")


class SilentBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        return 0


def _queue(**kwargs) -> OutgoingEmail:
    defaults = {"subject": "Objet de test", "message": "Corps", "from_email": None}
    mail.send_mail(**{**defaults, **kwargs})
    return OutgoingEmail.objects.latest("pk")


def test_catcher_drops_recipients_on_caught_domains(settings, caplog):
    settings.MAILER_DOMAINS_TO_CATCH = ["sacem.fr", "@Domain.Demo"]
    message = mail.EmailMessage(
        "Objet de test",
        "Corps",
        to=["Agence <agence@sacem.fr>", "Camille <camille@example.org>"],
        cc=["delegation@paris.sacem.fr", "copie@example.org"],
        bcc=["demo@domain.demo"],
    )
    with caplog.at_level(logging.INFO, logger="notifications.services"):
        message.send()

    [sent] = mail.outbox
    assert sent.to == ["Camille <camille@example.org>"]
    assert sent.cc == ["copie@example.org"]
    assert sent.bcc == []
    outgoing = OutgoingEmail.objects.get()
    assert outgoing.status == OutgoingEmail.Status.SENT
    # The row keeps what the application asked for.
    assert outgoing.to == ["Agence <agence@sacem.fr>", "Camille <camille@example.org>"]
    assert "Agence <agence@sacem.fr>" in caplog.text
    assert "demo@domain.demo" in caplog.text


def test_catcher_marks_caught_when_no_recipient_remains(settings):
    settings.MAILER_DOMAINS_TO_CATCH = ["sacd.fr"]

    outgoing = _queue(recipient_list=["agence@sacd.fr"])

    assert mail.outbox == []
    assert outgoing.status == OutgoingEmail.Status.CAUGHT
    assert outgoing.attempts == 0
    assert outgoing.sent_at is None


def test_catcher_does_not_catch_lookalike_domains(settings):
    settings.MAILER_DOMAINS_TO_CATCH = ["sacem.fr"]
    assert services.is_caught_address("a@sacem.fr")
    assert services.is_caught_address("A <a@Lyon.SACEM.fr>")
    assert not services.is_caught_address("a@notsacem.fr")
    assert not services.is_caught_address("sacem.fr@example.org")


def test_delivering_a_sent_email_again_sends_nothing():
    outgoing = _queue(recipient_list=["a@example.org"])
    assert len(mail.outbox) == 1

    deliver_email(outgoing.pk)
    services.outgoing_email_deliver(outgoing_email_id=outgoing.pk)

    assert len(mail.outbox) == 1
    outgoing.refresh_from_db()
    assert outgoing.attempts == 1


def test_delivering_a_caught_email_again_sends_nothing(settings):
    settings.MAILER_DOMAINS_TO_CATCH = ["sacd.fr"]
    outgoing = _queue(recipient_list=["agence@sacd.fr"])
    settings.MAILER_DOMAINS_TO_CATCH = []

    deliver_email(outgoing.pk)

    assert mail.outbox == []


def test_delivering_a_deleted_email_does_nothing():
    deliver_email(123456789)
    assert mail.outbox == []


def test_failure_is_stored_and_raised_for_the_retry(settings):
    settings.NOTIFICATIONS_DELIVERY_BACKEND = f"{__name__}.BrokenBackend"

    # django-q2 in sync mode re-raises the task's exception to the caller.
    with pytest.raises(ConnectionError, match="ESP indisponible"):
        _queue(recipient_list=["a@example.org"])
    outgoing = OutgoingEmail.objects.get()
    assert outgoing.status == OutgoingEmail.Status.FAILED
    assert outgoing.attempts == 1
    assert outgoing.last_error == "ConnectionError: ESP indisponible"

    with pytest.raises(ConnectionError):
        deliver_email(outgoing.pk)
    outgoing.refresh_from_db()
    assert outgoing.attempts == 2

    settings.NOTIFICATIONS_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    deliver_email(outgoing.pk)
    outgoing.refresh_from_db()
    assert outgoing.status == OutgoingEmail.Status.SENT
    assert outgoing.attempts == 3
    assert outgoing.last_error == ""
    assert len(mail.outbox) == 1


def test_backend_that_sends_nothing_is_a_failure(settings):
    settings.NOTIFICATIONS_DELIVERY_BACKEND = f"{__name__}.SilentBackend"

    with pytest.raises(services.EmailNotSentError):
        _queue(recipient_list=["a@example.org"])
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.FAILED


def test_retry_enqueues_failed_emails_only(settings):
    settings.NOTIFICATIONS_DELIVERY_BACKEND = f"{__name__}.BrokenBackend"
    with pytest.raises(ConnectionError):
        _queue(recipient_list=["a@example.org"])
    failed = OutgoingEmail.objects.get()
    settings.NOTIFICATIONS_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert services.outgoing_email_retry(outgoing_email_id=failed.pk) is True
    failed.refresh_from_db()
    assert failed.status == OutgoingEmail.Status.SENT
    assert len(mail.outbox) == 1

    assert services.outgoing_email_retry(outgoing_email_id=failed.pk) is False
    assert len(mail.outbox) == 1
