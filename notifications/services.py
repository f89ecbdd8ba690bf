"""Durable outgoing e-mail: store, enqueue, deliver (with the catcher), retry."""

import base64
import logging
import mimetypes
from email.mime.base import MIMEBase
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django_q.tasks import async_task

from notifications.models import OutgoingEmail

logger = logging.getLogger(__name__)

DELIVER_TASK = "notifications.tasks.deliver_email"
# Set on a message by the backend that sent it (FailoverEmailBackend): that backend's dotted path.
PROVIDER_ATTRIBUTE = "notifications_provider"
MAX_ERROR_LENGTH = 4000


class EmailNotSentError(Exception):
    """The delivery backend returned without sending the message."""


def outgoing_email_queue(*, message: EmailMessage) -> OutgoingEmail:
    """Store the message and enqueue its delivery, in the caller's transaction."""
    body_text, body_html = message.body, ""
    if message.content_subtype == "html":
        body_text, body_html = strip_tags(message.body), message.body
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html" and not body_html:
            body_html = content
        else:
            logger.warning("Dropped an alternative part of type %s", mimetype)
    outgoing_email = OutgoingEmail.objects.create(
        from_email=message.from_email,
        to=list(message.to),
        cc=list(message.cc),
        bcc=list(message.bcc),
        reply_to=list(message.reply_to),
        headers={str(name): str(value) for name, value in message.extra_headers.items()},
        subject=message.subject,
        body_text=body_text,
        body_html=body_html,
        attachments=[_serialize_attachment(attachment) for attachment in message.attachments],
    )
    _enqueue(outgoing_email.pk)
    return outgoing_email


def outgoing_email_deliver(*, outgoing_email_id: int) -> None:
    """Send a stored e-mail once; re-raise a failure so that the task is retried."""
    error: Exception | None = None
    with transaction.atomic():
        outgoing_email = (
            OutgoingEmail.objects.select_for_update().filter(pk=outgoing_email_id).first()
        )
        if outgoing_email is None:
            logger.warning("OutgoingEmail %s no longer exists, nothing to send", outgoing_email_id)
            return
        if outgoing_email.status in {OutgoingEmail.Status.SENT, OutgoingEmail.Status.CAUGHT}:
            logger.info("OutgoingEmail %s was already delivered", outgoing_email_id)
            return

        message = build_message(outgoing_email)
        _apply_catcher(message, outgoing_email_id=outgoing_email_id)
        if not message.recipients():
            outgoing_email.status = OutgoingEmail.Status.CAUGHT
            outgoing_email.save(update_fields=["status"])
            return

        outgoing_email.attempts += 1
        backend = settings.NOTIFICATIONS_DELIVERY_BACKEND
        try:
            if not get_connection(backend, fail_silently=False).send_messages([message]):
                raise EmailNotSentError(f"{backend} did not send the message.")
        except Exception as exc:
            error = exc
            outgoing_email.status = OutgoingEmail.Status.FAILED
            outgoing_email.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        else:
            anymail_status = getattr(message, "anymail_status", None)
            message_id = getattr(anymail_status, "message_id", None)
            outgoing_email.status = OutgoingEmail.Status.SENT
            outgoing_email.provider = getattr(message, PROVIDER_ATTRIBUTE, backend)
            outgoing_email.provider_message_id = str(message_id or "")[:255]
            outgoing_email.sent_at = timezone.now()
            outgoing_email.last_error = ""
        outgoing_email.save()

    if error is not None:
        logger.warning("Sending OutgoingEmail %s failed: %s", outgoing_email_id, error)
        raise error


def outgoing_email_retry(*, outgoing_email_id: int) -> bool:
    """Enqueue a failed e-mail again (after django-q2 gave up on it). True if it was failed."""
    with transaction.atomic():
        updated = OutgoingEmail.objects.filter(
            pk=outgoing_email_id, status=OutgoingEmail.Status.FAILED
        ).update(status=OutgoingEmail.Status.QUEUED)
        if updated:
            _enqueue(outgoing_email_id)
    return bool(updated)


def build_message(outgoing_email: OutgoingEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=outgoing_email.subject,
        body=outgoing_email.body_text,
        from_email=outgoing_email.from_email,
        to=outgoing_email.to,
        cc=outgoing_email.cc,
        bcc=outgoing_email.bcc,
        reply_to=outgoing_email.reply_to,
        headers=outgoing_email.headers,
    )
    if outgoing_email.body_html:
        message.attach_alternative(outgoing_email.body_html, "text/html")
    for attachment in outgoing_email.attachments:
        message.attach(
            attachment["filename"],
            base64.b64decode(attachment["content"]),
            attachment["mimetype"],
        )
    return message


def is_caught_address(address: str) -> bool:
    """True when the address is on one of `MAILER_DOMAINS_TO_CATCH` (or one of their subdomains)."""
    domain = parseaddr(address)[1].rpartition("@")[2].lower()
    for caught in settings.MAILER_DOMAINS_TO_CATCH:
        caught = caught.strip().lstrip("@").lower()
        if caught and (domain == caught or domain.endswith(f".{caught}")):
            return True
    return False


def _apply_catcher(message: EmailMessage, *, outgoing_email_id: int) -> None:
    for field in ("to", "cc", "bcc"):
        addresses = getattr(message, field)
        kept = [address for address in addresses if not is_caught_address(address)]
        for address in addresses:
            if address not in kept:
                logger.info("OutgoingEmail %s: caught recipient %s", outgoing_email_id, address)
        setattr(message, field, kept)


def _enqueue(outgoing_email_id: int) -> None:
    async_task(DELIVER_TASK, outgoing_email_id, group="emails")


def _serialize_attachment(attachment: MIMEBase | tuple) -> dict:
    if isinstance(attachment, MIMEBase):
        filename = attachment.get_filename() or "piece-jointe"
        mimetype = attachment.get_content_type()
        content = attachment.get_payload(decode=True) or b""
    else:
        filename, content, mimetype = attachment
        mimetype = mimetype or mimetypes.guess_type(filename or "")[0] or "application/octet-stream"
    if isinstance(content, str):
        content = content.encode()
    return {
        "filename": filename or "piece-jointe",
        "mimetype": mimetype,
        "content": base64.b64encode(content).decode("ascii"),
    }
