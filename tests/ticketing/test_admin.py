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
