"""django-q2 entry points: they take ids and call the services."""

from notifications import services
from notifications.retention import outgoing_emails_purge


def deliver_email(outgoing_email_id: int) -> None:
    services.outgoing_email_deliver(outgoing_email_id=outgoing_email_id)


def purge_outgoing_emails() -> int:
    return outgoing_emails_purge()
