"""How long sent e-mails are kept (stated in the privacy policy)."""

from datetime import datetime, timedelta

from django.utils import timezone

from notifications.models import OutgoingEmail

OUTGOING_EMAIL_RETENTION = timedelta(days=90)


def outgoing_emails_purge(*, now: datetime | None = None) -> int:
    """Deletes e-mails older than the retention period once they are no longer waiting."""
    now = now or timezone.now()
    deleted, _ = (
        OutgoingEmail.objects.filter(created_at__lt=now - OUTGOING_EMAIL_RETENTION)
        .exclude(status=OutgoingEmail.Status.QUEUED)
        .delete()
    )
    return deleted


def outgoing_emails_forget(*, address: str) -> int:
    """Deletes the e-mails sent to an address (its owner deleted the account)."""
    deleted, _ = OutgoingEmail.objects.filter(to__contains=[address]).delete()
    return deleted


def outgoing_emails_recent_count(*, address: str, within: timedelta) -> int:
    return OutgoingEmail.objects.filter(
        to__contains=[address], created_at__gte=timezone.now() - within
    ).count()
