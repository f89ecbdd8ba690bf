"""Every page of the foundation renders in light and dark themes with zero axe violations."""

import pytest
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = [
    "pages:home",
    "pages:faq",
    "pages:help",
    "pages:accessibility",
    "pages:legal_notice",
    "pages:privacy",
    "pages:terms",
    "pages:sitemap",
    "accounts:signup",
    "accounts:login",
    "accounts:confirmation_resend",
    "accounts:password_reset",
]
PRIVATE_PAGES = [
    "pages:dashboard",
    "accounts:settings",
    "accounts:password_change",
    "accounts:delete",
]


def sign_in(page, email: str) -> None:
    page.goto(reverse("accounts:login"))
    page.locator("[name=username]").fill(email)
    page.locator("[name=password]").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/tableau-de-bord/")


def test_public_pages(page, check_a11y):
    for name in PUBLIC_PAGES:
        response = page.goto(reverse(name))
        assert response.status == 200, name
        assert page.locator("h1").count() == 1, name
        check_a11y(page, name.replace(":", "-"))
    page.goto(reverse("pages:provider_help", args=["billetweb"]))
    assert page.get_by_role("heading", name="Comment connecter Billetweb ?").is_visible()
    check_a11y(page, "pages-provider_help")


def test_private_pages(page, check_a11y):
    user = UserFactory()
    sign_in(page, user.email)
    for name in PRIVATE_PAGES:
        response = page.goto(reverse(name))
        assert response.status == 200, name
        check_a11y(page, name.replace(":", "-"))


def test_forms_with_errors(page, check_a11y):
    page.goto(reverse("accounts:signup"))
    page.get_by_role("button", name="Créer mon compte").click()
    assert page.locator(".fr-error-text").count() >= 4
    check_a11y(page, "signup-errors")
    page.goto(reverse("accounts:login"))
    page.locator("[name=username]").fill("personne@exemple.fr")
    page.locator("[name=password]").fill("mauvais")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_text("Adresse e-mail ou mot de passe incorrect.").is_visible()
    check_a11y(page, "login-errors")


def test_invalid_link_page(page, check_a11y):
    response = page.goto(reverse("accounts:password_reset_confirm", args=["xx", "1-2"]))
    assert response.status == 400
    check_a11y(page, "link-invalid")


@pytest.mark.urls("tests.e2e.error_urls")
def test_error_pages(page, check_a11y):
    for url, status in [
        ("/page-qui-n-existe-pas/", 404),
        ("/_test/403/", 403),
        ("/_test/500/", 500),
    ]:
        response = page.goto(url)
        assert response.status == status
        check_a11y(page, f"error-{status}")


@pytest.mark.urls("tests.e2e.dev_urls")
def test_dev_mailbox(page, check_a11y, settings):
    settings.DEBUG = True
    page.goto(reverse("accounts:password_reset"))
    user = UserFactory()
    page.locator("[name=email]").fill(user.email)
    page.get_by_role("button", name="Recevoir le lien").click()
    page.goto("/dev/emails/")
    check_a11y(page, "dev-emails")
    page.get_by_role("link", name="Choisissez un nouveau mot de passe").click()
    assert page.frame_locator("iframe").get_by_text("Choisir un nouveau mot de passe").is_visible()
    check_a11y(page, "dev-email-detail")


def test_lockout_page(page, check_a11y, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        page.goto(reverse("accounts:login"))
        page.locator("[name=username]").fill(user.email)
        page.locator("[name=password]").fill("mauvais-mot-de-passe")
        page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_role("heading", name="Connexion temporairement bloquée").is_visible()
    check_a11y(page, "lockout")
