from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django_q.models import Schedule

from accounts.demo import (
    ADMIN_EMAIL,
    COLLEAGUE_EMAIL,
    DEMO_EMAIL,
    DEMO_ORGANISATION_POSTAL_CODE,
    DEMO_ORGANISATION_SIREN,
    DEMO_ORGANISATION_SIRET,
    DEMO_PASSWORD,
)
from accounts.models import Membership, Organisation, Role
from ticketing.sandbox.company_directory import COMPANIES, DEMO_COMPANY_SIREN

pytestmark = pytest.mark.django_db


def test_demo_setup_is_idempotent_and_its_login_works(client):
    for _ in range(2):
        call_command("demo_setup", stdout=StringIO())
    assert Schedule.objects.count() == 5
    response = client.post(
        reverse("accounts:login"), {"username": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    assert response.url == reverse("pages:dashboard")
    client.logout()
    client.post(reverse("accounts:login"), {"username": ADMIN_EMAIL, "password": DEMO_PASSWORD})
    assert client.get(reverse("admin:index")).status_code == 200
    client.logout()
    response = client.post(
        reverse("accounts:login"), {"username": COLLEAGUE_EMAIL, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_demo_user_owns_an_organisation_with_a_colleague():
    for _ in range(2):
        call_command("demo_setup", stdout=StringIO())

    organisation = Organisation.objects.get()
    assert organisation.siren == DEMO_ORGANISATION_SIREN
    assert not organisation.needs_review
    assert organisation.created_by.email == DEMO_EMAIL
    roles = dict(
        Membership.objects.filter(organisation=organisation).values_list("user__email", "role")
    )
    assert roles == {DEMO_EMAIL: Role.OWNER, COLLEAGUE_EMAIL: Role.MEMBER}
    assert mail.outbox == []


def test_demo_setup_restores_the_demo_roles(client):
    call_command("demo_setup", stdout=StringIO())
    Membership.objects.filter(user__email=DEMO_EMAIL).update(role=Role.MEMBER)
    Organisation.objects.update(name="Renommée", needs_review=True)

    call_command("demo_setup", stdout=StringIO())

    assert Membership.objects.get(user__email=DEMO_EMAIL).role == Role.OWNER
    assert Organisation.objects.get().name == "Théâtre de la Lune Rousse"
    assert not Organisation.objects.get().needs_review


def test_demo_organisation_is_the_fake_directory_demo_company():
    [company] = [company for company in COMPANIES if company.siren == DEMO_COMPANY_SIREN]
    assert company.siren == DEMO_ORGANISATION_SIREN
    assert company.head_office.siret == DEMO_ORGANISATION_SIRET
    assert company.head_office.postal_code == DEMO_ORGANISATION_POSTAL_CODE
