from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_q.models import Schedule

from accounts.demo import ADMIN_EMAIL, DEMO_EMAIL, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_demo_setup_is_idempotent_and_its_login_works(client):
    for _ in range(2):
        call_command("demo_setup", stdout=StringIO())
    assert Schedule.objects.count() == 3
    response = client.post(
        reverse("accounts:login"), {"username": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    assert response.url == reverse("pages:dashboard")
    client.logout()
    client.post(reverse("accounts:login"), {"username": ADMIN_EMAIL, "password": DEMO_PASSWORD})
    assert client.get(reverse("admin:index")).status_code == 200
