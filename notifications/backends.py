"""E-mail backends: durable queueing in front, failover between providers behind.

`EMAIL_BACKEND = QueuedEmailBackend`: every message becomes an `OutgoingEmail` row and a task,
delivered later through `settings.NOTIFICATIONS_DELIVERY_BACKEND` (the failover backend in
production).
"""

import logging
from collections.abc import Sequence

import requests
from anymail.exceptions import AnymailRequestsAPIError
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from urllib3.exceptions import ProtocolError

from notifications import services
from notifications.services import PROVIDER_ATTRIBUTE

logger = logging.getLogger(__name__)


class QueuedEmailBackend(BaseEmailBackend):
    """Stores each message and enqueues its delivery; never talks to a provider itself.

    With django-q2's ORM broker the queued task is a row in the same database transaction as the
    `OutgoingEmail`: both are committed, or both rolled back, with the caller's `atomic()` block.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        queued = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                services.outgoing_email_queue(message=message)
            except Exception:
                if not self.fail_silently:
                    raise
                logger.exception("Could not queue the e-mail %r", message.subject)
            else:
                queued += 1
        return queued


class FailoverEmailBackend(BaseEmailBackend):
    """Sends through the primary provider, and through the fallback one only when the primary
    certainly did not take the message: it could not be reached, or it answered 5xx.

    Never falls back on 4xx answers, refused recipients or read timeouts: the message may have
    been accepted (a duplicate) or the error is ours and would fail the same way elsewhere.
    Both backends are read from the settings at each call.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            try:
                sent += self._send(message)
            except Exception:
                if not self.fail_silently:
                    raise
        return sent

    def _send(self, message: EmailMessage) -> int:
        primary = settings.NOTIFICATIONS_PRIMARY_BACKEND
        try:
            return _send_with(primary, message)
        except Exception as error:
            fallback = configured_fallback_backend()
            if fallback is None or not is_unreachable_error(error):
                raise
            logger.warning(
                "E-mail provider %s unreachable (%s), trying %s", primary, error, fallback
            )
            return _send_with(fallback, message)


def _send_with(backend_path: str, message: EmailMessage) -> int:
    sent = get_connection(backend_path, fail_silently=False).send_messages([message])
    if sent:
        setattr(message, PROVIDER_ATTRIBUTE, backend_path)
    return sent


def configured_fallback_backend() -> str | None:
    """The fallback backend's dotted path, or None when it has no credentials."""
    backend = getattr(settings, "NOTIFICATIONS_FALLBACK_BACKEND", "")
    anymail = getattr(settings, "ANYMAIL", {})
    if backend.startswith("anymail.backends.brevo.") and not anymail.get("BREVO_API_KEY"):
        return None
    return backend or None


def is_unreachable_error(error: BaseException) -> bool:
    """True when the provider certainly did not accept the message."""
    status_code = getattr(error, "status_code", None)
    if isinstance(error, AnymailRequestsAPIError) and status_code is not None:
        return status_code >= 500
    # Anymail re-raises requests errors as a subclass of both exceptions, chained to the original.
    cause = error.__cause__ if isinstance(error.__cause__, requests.RequestException) else error
    if isinstance(cause, requests.ConnectTimeout):
        return True
    if isinstance(cause, requests.ConnectionError):
        # "Connection aborted": the request may have been received before the connection broke.
        return not any(
            isinstance(arg, ProtocolError)
            or isinstance(getattr(arg, "reason", None), ProtocolError)
            for arg in cause.args
        )
    return False
