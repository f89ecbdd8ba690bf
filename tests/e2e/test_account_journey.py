"""Sign-up → confirmation → sign-in → password change → sign-out → forgotten password → reset."""

import re

import pytest
from django.urls import reverse

from notifications.models import OutgoingEmail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "lea.durand@exemple.fr"
FIRST = "Une-salle-de-concert-2026"
SECOND = "Un-theatre-de-verdure-2027"
THIRD = "Un-festival-en-plein-air-2028"


def last_link(to: str, marker: str) -> str:
    email = OutgoingEmail.objects.filter(to__contains=[to]).order_by("-created_at", "-pk").first()
    return re.search(rf"https?://\S+{marker}\S+/", email.body_text).group(0)


def relative(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def sign_in(page, password: str) -> None:
    page.goto(reverse("accounts:login"))
    page.locator("[name=username]").fill(EMAIL)
    page.locator("[name=password]").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_account_journey(page, check_a11y):
    page.goto(reverse("pages:home"))
    page.get_by_role("link", name="Créer un compte").first.click()
    page.locator("[name=email]").fill(EMAIL)
    page.locator("[name=first_name]").fill("Léa")
    page.locator("[name=last_name]").fill("Durand")
    page.locator("[name=password1]").fill(FIRST)
    page.locator("[name=password2]").fill(FIRST)
    page.locator("label[for=id_accept_terms]").click()  # DSFR draws the box on the label
    page.get_by_role("button", name="Créer mon compte").click()
    assert page.get_by_role("heading", name="Vérifiez votre messagerie").is_visible()
    check_a11y(page, "journey-email-sent")

    # Not confirmed yet: sign-in explains why.
    sign_in(page, FIRST)
    assert page.get_by_text("pas encore confirmée").is_visible()

    page.goto(relative(last_link(EMAIL, "/inscription/confirmer/")))
    check_a11y(page, "journey-confirm")
    page.locator("[name=password]").fill(FIRST)
    page.get_by_role("button", name="Activer mon compte").click()
    assert page.get_by_text("Votre adresse e-mail est confirmée").is_visible()

    sign_in(page, FIRST)
    page.wait_for_url("**/tableau-de-bord/")

    page.goto(reverse("accounts:password_change"))
    page.locator("[name=old_password]").fill(FIRST)
    page.locator("[name=new_password1]").fill(SECOND)
    page.locator("[name=new_password2]").fill(SECOND)
    page.get_by_role("button", name="Changer de mot de passe").click()
    assert page.get_by_text("Votre mot de passe a été modifié").is_visible()

    page.get_by_role("button", name="Se déconnecter").click()
    assert page.get_by_text("Vous êtes déconnecté.").is_visible()

    sign_in(page, FIRST)
    assert page.get_by_text("Adresse e-mail ou mot de passe incorrect.").is_visible()

    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.locator("[name=email]").fill(EMAIL)
    page.get_by_role("button", name="Recevoir le lien").click()
    assert page.get_by_role("heading", name="Vérifiez votre messagerie").is_visible()

    page.goto(relative(last_link(EMAIL, "/mot-de-passe-oublie/")))
    check_a11y(page, "journey-reset")
    page.locator("[name=new_password1]").fill(THIRD)
    page.locator("[name=new_password2]").fill(THIRD)
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    assert page.get_by_text("Connectez-vous avec le nouveau mot de passe").is_visible()

    sign_in(page, THIRD)
    page.wait_for_url("**/tableau-de-bord/")
    assert page.get_by_role("heading", name="Bienvenue, Léa").is_visible()
