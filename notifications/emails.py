"""Templated e-mails, sent through the default backend (stored, then delivered by a task)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string

from notifications.models import OutgoingEmail
from notifications.services import outgoing_email_queue


def send_templated_email(
    *,
    to: list[str],
    template: str,
    context: dict,
    reply_to: list[str] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    """Render `emails/{template}.subject.txt`, `.txt` and `.html`, then send them.

    Templates receive `context` plus `BASE_URL`, `CONTACT_EMAIL` and (text and HTML) `subject`.
    The subject and the text part are rendered without HTML escaping.
    """
    templated_message(
        to=to, template=template, context=context, reply_to=reply_to, attachments=attachments
    ).send()


def templated_email_queue(
    *,
    to: list[str],
    template: str,
    context: dict,
    reply_to: list[str] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> OutgoingEmail:
    """As `send_templated_email`, returning the stored e-mail: queued in the caller's
    transaction, so recording that it was sent and sending it happen together or not at all."""
    message = templated_message(
        to=to, template=template, context=context, reply_to=reply_to, attachments=attachments
    )
    return outgoing_email_queue(message=message)


def templated_message(
    *,
    to: list[str],
    template: str,
    context: dict,
    reply_to: list[str] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> EmailMultiAlternatives:
    context = {"BASE_URL": settings.BASE_URL, "CONTACT_EMAIL": settings.CONTACT_EMAIL, **context}
    subject = " ".join(_render_plain(f"emails/{template}.subject.txt", context).split())
    context["subject"] = subject
    message = EmailMultiAlternatives(
        subject=subject,
        body=_render_plain(f"emails/{template}.txt", context).strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(filename, content, mimetype)
    return message


def _render_plain(template_name: str, context: dict) -> str:
    """Render a text template with autoescaping off (no `&#x27;` in plain text)."""
    template = get_template(template_name).template
    return template.render(Context(context, autoescape=False))
