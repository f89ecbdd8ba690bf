"""django-q2 entry points: they take ids and call the services."""

from notifications import services


def deliver_email(outgoing_email_id: int) -> None:
    services.outgoing_email_deliver(outgoing_email_id=outgoing_email_id)
