import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, email, password=DEFAULT_PASSWORD, next=None, **headers):
    data = {"username": email, "password": password}
    if next is not None:
        data["next"] = next
    return client.post(reverse("accounts:login"), data, **headers)


def test_login_is_case_insensitive_and_redirects_to_the_dashboard(client, user):
    response = login(client, user.email.upper())
    assert response.status_code == 302
    assert response.url == reverse("pages:dashboard")
    assert user.sessions.count() == 1


def test_wrong_password_gives_one_neutral_error(client, user):
    response = login(client, user.email, "mauvais-mot-de-passe")
    assert "Adresse e-mail ou mot de passe incorrect." in response.content.decode()
    unknown = login(client, "personne@nulle-part.fr", "mauvais-mot-de-passe")
    assert "Adresse e-mail ou mot de passe incorrect." in unknown.content.decode()


def test_unconfirmed_account_is_told_to_confirm(client):
    pending = UserFactory(is_active=False, email_confirmed_at=None)
    response = login(client, pending.email)
    assert response.status_code == 200
    assert "pas encore confirmée" in response.content.decode()
    assert reverse("accounts:confirmation_resend") in response.content.decode()


def test_next_redirect_only_to_same_site(client, user):
    assert login(client, user.email, next="/compte/").url == "/compte/"
    client.logout()
    assert login(client, user.email, next="https://evil.example/").url == reverse("pages:dashboard")
    client.logout()
    assert login(client, user.email, next="//evil.example/").url == reverse("pages:dashboard")


def test_repeated_failures_lock_the_account_and_ip_pair(client, user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.email, "mauvais-mot-de-passe")
    response = login(client, user.email)  # even the right password is refused now
    assert response.status_code == 429
    assert "bloquée pendant 15 minutes" in response.content.decode()
    assert login(client, user.email.upper()).status_code == 429  # one counter whatever the case
    # Another account from the same IP is not locked.
    other = UserFactory()
    assert login(client, other.email).status_code == 302


def test_logout_requires_post_and_ends_the_session(client, user):
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.url == reverse("accounts:login")
    assert client.get(reverse("accounts:settings")).status_code == 302


def test_production_hashes_with_argon2_first():
    from config.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("Un-mot-de-passe-solide-42", hasher.salt())
    assert encoded.startswith("argon2$") and hasher.verify("Un-mot-de-passe-solide-42", encoded)


def test_client_ip_behind_the_host_router(rf, settings):
    from accounts.throttling import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # the spoofed first hop is ignored
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"


def test_lockout_is_per_client_ip_behind_the_router(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.email, "mauvais-mot-de-passe", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert login(client, user.email, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert login(client, user.email, HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 302
