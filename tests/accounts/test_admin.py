import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_user_list_shows_status_sessions_and_last_login(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    member = UserFactory(email="membre@exemple.fr")
    UserFactory(email="attente@exemple.fr", is_active=False, email_confirmed_at=None)
    for _ in range(2):
        Client().post(
            reverse("accounts:login"), {"username": member.email, "password": DEFAULT_PASSWORD}
        )
    client.force_login(admin)
    url = reverse("admin:accounts_user_changelist")

    response = client.get(url)
    assert response.status_code == 200
    rows = {row.email: row for row in response.context["cl"].result_list}
    assert rows["membre@exemple.fr"].active_sessions_count == 2
    assert rows["membre@exemple.fr"].last_login is not None
    assert rows["attente@exemple.fr"].status == "En attente de confirmation"

    found = client.get(url, {"q": "attente"}).context["cl"].result_list
    assert [user.email for user in found] == ["attente@exemple.fr"]
    pending = client.get(url, {"confirmed": "no"}).context["cl"].result_list
    assert [user.email for user in pending] == ["attente@exemple.fr"]


def test_admin_can_open_and_create_a_user(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:accounts_user_change", args=[admin.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_user_add")).status_code == 200

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "nouveau@exemple.fr",
            "first_name": "Nour",
            "last_name": "Diallo",
            "usable_password": "true",
            "password1": "Un-mot-de-passe-solide-42",
            "password2": "Un-mot-de-passe-solide-42",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    from accounts.models import User

    assert User.objects.get(email="nouveau@exemple.fr").check_password("Un-mot-de-passe-solide-42")
