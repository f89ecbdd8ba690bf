import pytest
from django.urls import reverse

from tests.factories import OrganisationFactory
from ticketing.connectors.base import Credentials
from ticketing.credentials import credentials_encrypt, credentials_fingerprint
from ticketing.manual import PerformanceInput, manual_show_create
from ticketing.models import SyncRun, TicketingSystem

pytestmark = pytest.mark.django_db


def test_support_reads_systems_shows_and_runs_and_never_sees_credentials(admin_client):
    from django.utils import timezone

    organisation = OrganisationFactory()
    credentials = Credentials("12345", "tres-secret-0042")
    system = TicketingSystem.objects.create(
        organisation=organisation,
        provider="billetweb",
        credentials_encrypted=credentials_encrypt(credentials),
        credentials_fingerprint=credentials_fingerprint("billetweb", credentials),
    )
    SyncRun.objects.create(ticketing_system=system)
    show = manual_show_create(
        organisation=organisation,
        name="Lecture",
        performances=[PerformanceInput(starts_at=timezone.now(), ends_at=None)],
    )
    pages = [
        reverse("admin:ticketing_ticketingsystem_changelist"),
        reverse("admin:ticketing_ticketingsystem_change", args=[system.pk]),
        reverse("admin:ticketing_show_changelist"),
        reverse("admin:ticketing_show_change", args=[show.pk]),
        reverse("admin:ticketing_syncrun_changelist"),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "tres-secret" not in body
        assert system.credentials_encrypted not in body


def test_a_run_left_running_by_a_dead_worker_shows_as_interrupted(client):
    from django.utils import timezone

    from accounts.models import Role
    from tests.factories import MembershipFactory

    owner = MembershipFactory(role=Role.OWNER)
    credentials = Credentials("12345", "secret")
    system = TicketingSystem.objects.create(
        organisation=owner.organisation,
        provider="billetweb",
        credentials_encrypted=credentials_encrypt(credentials),
        credentials_fingerprint=credentials_fingerprint("billetweb", credentials),
    )
    run = SyncRun.objects.create(
        ticketing_system=system, status=SyncRun.Status.RUNNING, started_at=timezone.now()
    )
    client.force_login(owner.user)
    page = client.get(reverse("ticketing:list", args=[owner.organisation_id])).content.decode()
    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert "interrompue" in page
