"""Retention of accounts, as the privacy policy states it.

- An inscription never confirmed is deleted after UNCONFIRMED_RETENTION.
- An account unused for INACTIVE_RETENTION (no login since, or since sign-up) is warned by
  e-mail, then deleted WARNING_NOTICE later unless its owner signs in meanwhile (signing in
  clears the warning, see accounts/signals.py).
Staff accounts are never purged.
"""

import logging
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import absolute_url, account_delete
from notifications.emails import send_templated_email

logger = logging.getLogger(__name__)

UNCONFIRMED_RETENTION = timedelta(days=30)
INACTIVE_RETENTION = timedelta(days=730)
WARNING_NOTICE = timedelta(days=30)


def _unused_since(before: datetime) -> QuerySet[User]:
    confirmed = Q(email_confirmed_at__isnull=False) | Q(is_active=True)
    return User.objects.filter(confirmed, is_staff=False).filter(
        Q(last_login__lt=before) | Q(last_login__isnull=True, date_joined__lt=before)
    )


def accounts_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Runs daily. Returns how many accounts were warned and deleted, for the task's result."""
    now = now or timezone.now()
    unconfirmed = User.objects.filter(
        is_staff=False,
        is_active=False,
        email_confirmed_at__isnull=True,
        date_joined__lt=now - UNCONFIRMED_RETENTION,
    )
    unconfirmed_count, _ = unconfirmed.delete()

    to_warn = _unused_since(now - (INACTIVE_RETENTION - WARNING_NOTICE)).filter(
        inactivity_warned_at__isnull=True
    )
    warned = 0
    for user in to_warn.iterator():
        send_templated_email(
            to=[user.email],
            template="inactivity_warning",
            context={
                "user": user,
                "deletion_date": now + WARNING_NOTICE,
                "login_url": absolute_url(reverse("accounts:login")),
            },
        )
        user.inactivity_warned_at = now
        user.save(update_fields=["inactivity_warned_at"])
        warned += 1

    deleted = 0
    to_delete = _unused_since(now - INACTIVE_RETENTION).filter(
        inactivity_warned_at__lte=now - WARNING_NOTICE
    )
    for user in to_delete.iterator():
        account_delete(user=user)
        deleted += 1
    logger.info(
        "Accounts purge: %s unconfirmed deleted, %s warned, %s inactive deleted",
        unconfirmed_count,
        warned,
        deleted,
    )
    return {"unconfirmed_deleted": unconfirmed_count, "warned": warned, "inactive_deleted": deleted}


SECURITY_LOG_RETENTION = timedelta(days=90)


def sessions_and_logs_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Deletes expired sessions (and their links to users) and old login logs."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.sessions.models import Session

    from accounts.models import UserSession

    now = now or timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    live = Session.objects.values("session_key")
    UserSession.objects.exclude(session_key__in=live).delete()
    old = now - SECURITY_LOG_RETENTION
    logs = sum(
        model.objects.filter(attempt_time__lt=old).delete()[0]
        for model in (AccessAttempt, AccessFailureLog)
    )
    logs += AccessLog.objects.filter(attempt_time__lt=old).delete()[0]
    return {"sessions_deleted": sessions, "login_logs_deleted": logs}


INVITATION_RETENTION = timedelta(days=90)
ACCESS_REQUEST_RETENTION = timedelta(days=365)


def invitations_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Forgets the addresses of people who never joined, and old access requests."""
    from accounts.models import AccessRequest, Invitation

    now = now or timezone.now()
    invitations, _ = Invitation.objects.filter(
        accepted_at__isnull=True, expires_at__lt=now - INVITATION_RETENTION
    ).delete()
    requests, _ = AccessRequest.objects.filter(
        requested_at__lt=now - ACCESS_REQUEST_RETENTION
    ).delete()
    return {"invitations_deleted": invitations, "access_requests_deleted": requests}
