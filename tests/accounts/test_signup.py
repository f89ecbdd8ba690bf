import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "email": "Lea.Durand@Exemple.fr",
    "first_name": "Léa",
    "last_name": "Durand",
    "password1": "Une-salle-de-concert-2026",
    "password2": "Une-salle-de-concert-2026",
    "accept_terms": "on",
}


def link_in(message) -> str:
    return re.search(r"https?://\S+/inscription/confirmer/\S+/", message.body).group(0)


def path_of(url: str) -> str:
    return url.replace("http://testserver", "")


def test_signup_creates_an_inactive_account_and_sends_a_confirmation(client):
    response = client.post(reverse("accounts:signup"), GOOD)
    assert response.status_code == 200
    assert "Vérifiez votre messagerie" in response.content.decode()
    user = User.objects.get()
    assert user.email == "Lea.Durand@exemple.fr"
    assert not user.is_active and user.email_confirmed_at is None
    assert user.terms_version and user.terms_accepted_at
    assert user.password.startswith("md5$")  # hashed with the test hasher
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Lea.Durand@exemple.fr"]
    assert message.alternatives and "text/html" in message.alternatives[0][1]


def test_confirmation_link_activates_once(client):
    client.post(reverse("accounts:signup"), GOOD)
    url = path_of(link_in(mail.outbox[0]))
    assert client.get(url).status_code == 200
    assert not User.objects.get().is_active  # a GET (mail scanner) changes nothing
    response = client.post(url, {"password": "pas-le-bon-mot-de-passe"})
    assert response.context["form"].errors["password"] == [
        "Ce n'est pas le mot de passe choisi à l'inscription."
    ]
    assert not User.objects.get().is_active
    response = client.post(url, {"password": GOOD["password1"]})
    assert response.status_code == 302
    user = User.objects.get()
    assert user.is_active and user.email_confirmed_at
    assert client.post(url, {"password": GOOD["password1"]}).status_code == 400
    assert "plus valable" in client.get(url).content.decode()


def test_resending_the_confirmation_kills_the_previous_link(client):
    client.post(reverse("accounts:signup"), GOOD)
    first = path_of(link_in(mail.outbox[0]))
    client.post(reverse("accounts:confirmation_resend"), {"email": "lea.durand@exemple.fr"})
    assert len(mail.outbox) == 2
    second = path_of(link_in(mail.outbox[1]))
    assert client.post(first, {"password": GOOD["password1"]}).status_code == 400
    assert client.post(second, {"password": GOOD["password1"]}).status_code == 302


def test_nobody_can_prepare_an_account_for_someone_elses_address(client):
    """An intruder signs up with Léa's address; Léa signs up later and confirms: the intruder's
    password is gone, and the intruder's link (if ever seen) cannot activate the account."""
    intruder = {
        **GOOD,
        "password1": "Mot-de-passe-intrus-99",
        "password2": "Mot-de-passe-intrus-99",
    }
    client.post(reverse("accounts:signup"), intruder)
    intruder_link = path_of(link_in(mail.outbox[0]))
    client.post(reverse("accounts:signup"), GOOD)
    assert User.objects.count() == 1
    lea_link = path_of(link_in(mail.outbox[1]))
    assert client.post(intruder_link, {"password": "Mot-de-passe-intrus-99"}).status_code == 400
    response = client.post(lea_link, {"password": "Mot-de-passe-intrus-99"})
    assert response.status_code == 200 and not User.objects.get().is_active
    assert client.post(lea_link, {"password": GOOD["password1"]}).status_code == 302
    user = User.objects.get()
    assert user.is_active and not user.check_password("Mot-de-passe-intrus-99")


def test_signup_with_an_existing_email_answers_the_same_and_creates_nothing(client):
    UserFactory(email="lea.durand@exemple.fr")
    response = client.post(reverse("accounts:signup"), GOOD)
    assert response.status_code == 200
    assert "Vérifiez votre messagerie" in response.content.decode()
    assert User.objects.count() == 1
    assert mail.outbox[0].subject == "Tentative d'inscription avec votre adresse e-mail"


def test_resend_and_reset_answers_never_reveal_accounts(client):
    UserFactory(email="connu@exemple.fr")
    for url in (reverse("accounts:confirmation_resend"), reverse("accounts:password_reset")):
        known = client.post(url, {"email": "connu@exemple.fr"}).content.decode()
        unknown = client.post(url, {"email": "inconnu@exemple.fr"}).content.decode()
        assert strip_tokens(known) == strip_tokens(unknown)


def strip_tokens(html: str) -> str:
    """Removes what differs on every response (CSRF token, CSP nonce, generated ids)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'nonce="[^"]+"', "", html)
    return re.sub(r"breadcrumb-[a-z]+", "", html)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "pas-une-adresse"}, "email", "Saisissez une adresse e-mail valide"),
        ({"first_name": ""}, "first_name", "Ce champ est obligatoire."),
        ({"password1": "court", "password2": "court"}, "password2", "au minimum 12 caractères"),
        ({"password2": "Autre-mot-de-passe-2026"}, "password2", "ne sont pas identiques"),
        (
            {"password1": "123456789012345", "password2": "123456789012345"},
            "password2",
            "numérique",
        ),
        ({"accept_terms": ""}, "accept_terms", "Vous devez accepter les modalités"),
    ],
)
def test_signup_bad_input_shows_french_errors_and_saves_nothing(client, changes, field, message):
    data = {**GOOD, **changes}
    if not data["accept_terms"]:
        del data["accept_terms"]
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert 'aria-invalid="true"' in response.content.decode()
    assert not User.objects.exists()
    assert not mail.outbox


def test_terms_checkbox_is_unchecked_by_default(client):
    html = client.get(reverse("accounts:signup")).content.decode()
    checkbox = re.search(r'<input[^>]*name="accept_terms"[^>]*>', html).group(0)
    assert "checked" not in checkbox


def test_email_is_unique_whatever_its_case(db):
    UserFactory(email="Unique@Exemple.fr")
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="unique@exemple.FR")
