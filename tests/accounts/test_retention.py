from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from accounts.models import User
from accounts.retention import accounts_purge
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
    schedule = Schedule.objects.get(func="accounts.tasks.purge_accounts")
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.next_run > timezone.now()
    from accounts.tasks import purge_accounts

    assert purge_accounts() == {"unconfirmed_deleted": 0, "warned": 0, "inactive_deleted": 0}
