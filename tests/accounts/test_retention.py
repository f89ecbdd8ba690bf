from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from accounts.models import User
from accounts.retention import accounts_purge, sessions_and_logs_purge
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def test_unconfirmed_inscriptions_are_deleted_after_30_days():
    now = timezone.now()
    old = UserFactory(is_active=False, email_confirmed_at=None, date_joined=now - 31 * DAY)
    recent = UserFactory(is_active=False, email_confirmed_at=None, date_joined=now - 29 * DAY)
    accounts_purge(now=now)
    assert not User.objects.filter(pk=old.pk).exists()
    assert User.objects.filter(pk=recent.pk).exists()


def test_an_account_activated_by_an_admin_is_not_an_unconfirmed_inscription():
    now = timezone.now()
    activated = UserFactory(is_active=True, email_confirmed_at=None, date_joined=now - 60 * DAY)
    accounts_purge(now=now)
    assert User.objects.filter(pk=activated.pk).exists()


def test_inactive_accounts_are_warned_then_deleted_a_month_later():
    now = timezone.now()
    sleeper = UserFactory(last_login=now - 701 * DAY)
    active = UserFactory(last_login=now - 10 * DAY)
    staff = UserFactory(is_staff=True, last_login=now - 1000 * DAY)

    assert accounts_purge(now=now)["warned"] == 1
    sleeper.refresh_from_db()
    assert sleeper.inactivity_warned_at == now
    assert mail.outbox[-1].to == [sleeper.email]
    assert "sera bientôt supprimé" in mail.outbox[-1].subject

    assert accounts_purge(now=now + 10 * DAY) == {
        "unconfirmed_deleted": 0,
        "warned": 0,
        "inactive_deleted": 0,
    }
    assert accounts_purge(now=now + 31 * DAY)["inactive_deleted"] == 1
    assert not User.objects.filter(pk=sleeper.pk).exists()
    assert User.objects.filter(pk__in=[active.pk, staff.pk]).count() == 2


def test_signing_in_after_the_warning_keeps_the_account():
    now = timezone.now()
    sleeper = UserFactory(last_login=now - 701 * DAY)
    accounts_purge(now=now)
    Client().post(
        reverse("accounts:login"), {"username": sleeper.email, "password": DEFAULT_PASSWORD}
    )
    sleeper.refresh_from_db()
    assert sleeper.inactivity_warned_at is None
    accounts_purge(now=now + 31 * DAY)
    assert User.objects.filter(pk=sleeper.pk).exists()


def test_schedules_are_created_once():
    call_command("setup_schedules", stdout=StringIO())
    call_command("setup_schedules", stdout=StringIO())
    assert Schedule.objects.count() == 5
    for schedule in Schedule.objects.all():
        assert schedule.schedule_type == Schedule.DAILY
        assert schedule.next_run > timezone.now()
        async_task(schedule.func)  # runs in-process in tests: the function exists and works


def test_expired_sessions_and_old_login_logs_are_purged(client, user):
    from axes.models import AccessLog
    from django.contrib.sessions.models import Session

    client.post(reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD})
    assert user.sessions.count() == 1 and AccessLog.objects.count() == 1
    assert sessions_and_logs_purge() == {"sessions_deleted": 0, "login_logs_deleted": 0}
    later = timezone.now() + 100 * DAY
    Session.objects.update(expire_date=later - DAY)
    assert sessions_and_logs_purge(now=later) == {"sessions_deleted": 1, "login_logs_deleted": 1}
    assert not user.sessions.exists()


def test_sent_emails_are_kept_90_days_and_forgotten_with_the_account(user):
    from notifications.models import OutgoingEmail
    from notifications.retention import outgoing_emails_purge

    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert OutgoingEmail.objects.filter(to=[user.email]).count() == 1
    assert outgoing_emails_purge(now=timezone.now() + 89 * DAY) == 0
    assert outgoing_emails_purge(now=timezone.now() + 91 * DAY) == 1

    client.post(reverse("accounts:password_reset"), {"email": user.email})
    client.force_login(user)
    client.post(reverse("accounts:delete"), {"password": DEFAULT_PASSWORD, "confirm": "on"})
    # Only the notice of deletion is left, and it goes in 90 days like any other.
    assert list(OutgoingEmail.objects.values_list("subject", flat=True)) == [
        "Votre compte Assistant déclaration a été supprimé"
    ]


def test_unused_invitations_and_old_access_requests_are_forgotten():

    from accounts.models import AccessRequest, Invitation, Role
    from accounts.retention import invitations_purge
    from tests.factories import MembershipFactory, UserFactory

    owner = MembershipFactory(role=Role.OWNER)
    now = timezone.now()

    def invitation(email, expires_days_ago, accepted=False):
        return Invitation.objects.create(
            organisation=owner.organisation,
            email=email,
            expires_at=now - timedelta(days=expires_days_ago),
            accepted_at=now if accepted else None,
            nonce="n",
        )

    old = invitation("old@exemple.fr", 91)
    recent = invitation("recent@exemple.fr", 89)
    accepted = invitation("accepted@exemple.fr", 400, accepted=True)
    old_request = AccessRequest.objects.create(
        organisation=owner.organisation, user=UserFactory(), requested_at=now - timedelta(days=366)
    )
    new_request = AccessRequest.objects.create(organisation=owner.organisation, user=UserFactory())

    assert invitations_purge(now=now) == {"invitations_deleted": 1, "access_requests_deleted": 1}
    remaining = set(Invitation.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, accepted.pk} and old.pk not in remaining
    assert list(AccessRequest.objects.all()) == [new_request]
    assert not AccessRequest.objects.filter(pk=old_request.pk).exists()
