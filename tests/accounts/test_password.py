import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

NEW = "Un-nouveau-mot-de-passe-77"


def reset_link(message) -> str:
    url = re.search(r"https?://\S+/mot-de-passe-oublie/\S+/", message.body).group(0)
    return url.replace("http://testserver", "")


def logged_in_client(user) -> Client:
    client = Client()
    client.post(reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD})
    return client


def test_reset_link_works_once_and_ends_every_session(client, user):
    other_device = logged_in_client(user)
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    link = reset_link(mail.outbox[-1])
    assert client.get(link).status_code == 200
    response = client.post(link, {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert mail.outbox[-1].subject == "Votre mot de passe a été réinitialisé"
    assert other_device.get(reverse("accounts:settings")).status_code == 302
    assert not user.sessions.exists()
    assert client.post(link, {"new_password1": NEW, "new_password2": NEW}).status_code == 400


def test_a_new_reset_link_kills_the_older_one(client, user):
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    older = reset_link(mail.outbox[-1])
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    newer = reset_link(mail.outbox[-1])
    assert client.get(older).status_code == 400
    assert client.get(newer).status_code == 200


def test_reset_with_bad_passwords_changes_nothing(client, user):
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    link = reset_link(mail.outbox[-1])
    response = client.post(link, {"new_password1": "court", "new_password2": "court"})
    assert response.status_code == 200
    assert "au minimum 12 caractères" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_unknown_email_sends_nothing(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "inconnu@exemple.fr"})
    assert response.status_code == 200
    assert not mail.outbox


def test_change_password_keeps_this_session_and_ends_the_others(user):
    this_device, other_device = logged_in_client(user), logged_in_client(user)
    assert Session.objects.count() == 2
    response = this_device.post(
        reverse("accounts:password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert this_device.get(reverse("accounts:settings")).status_code == 200
    assert other_device.get(reverse("accounts:settings")).status_code == 302
    assert Session.objects.count() == 1
    # The session key changed with the password; its link to the user followed.
    assert user.sessions.get().session_key == this_device.session.session_key
    assert mail.outbox[-1].subject == "Votre mot de passe a été modifié"


def test_change_password_requires_the_current_one(user):
    client = logged_in_client(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "pas-le-bon", "new_password1": NEW, "new_password2": NEW},
    )
    assert "Le mot de passe actuel est incorrect." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_profile_update_and_bad_input(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:settings"), {"first_name": "Alix", "last_name": ""})
    assert "Ce champ est obligatoire." in response.content.decode()
    user.refresh_from_db()
    assert user.first_name == "Camille"
    client.post(reverse("accounts:settings"), {"first_name": "Alix", "last_name": "Roy"})
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Alix", "Roy")


def test_account_deletion_needs_password_and_confirmation(user):
    client = logged_in_client(user)
    url = reverse("accounts:delete")
    client.post(url, {"password": "pas-le-bon", "confirm": "on"})
    client.post(url, {"password": DEFAULT_PASSWORD})
    assert User.objects.filter(pk=user.pk).exists()
    response = client.post(url, {"password": DEFAULT_PASSWORD, "confirm": "on"})
    assert response.url == reverse("pages:home")
    assert not User.objects.filter(pk=user.pk).exists()
    assert not any("_auth_user_id" in session.get_decoded() for session in Session.objects.all())
    assert mail.outbox[-1].subject == "Votre compte Assistant déclaration a été supprimé"


@pytest.mark.parametrize("name", ["accounts:password_reset", "accounts:confirmation_resend"])
def test_email_forms_reject_bad_addresses_in_french(client, name):
    response = client.post(reverse(name), {"email": "pas une adresse"})
    assert response.status_code == 200
    assert "Saisissez une adresse e-mail valide" in response.content.decode()
    assert not mail.outbox


def test_an_address_gets_at_most_five_account_emails_an_hour(client, user):
    for _ in range(8):
        response = client.post(reverse("accounts:password_reset"), {"email": user.email})
        assert "Vérifiez votre messagerie" in response.content.decode()
    assert len(mail.outbox) == 5
