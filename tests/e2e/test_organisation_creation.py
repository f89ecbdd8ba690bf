"""Creating an organisation in the browser: from the company directory, then by hand while the
directory is down (the organisation is usable at once and flagged for review)."""

import re

import pytest
from django.urls import reverse

from accounts.models import Organisation
from tests.factories import DEFAULT_PASSWORD, UserFactory
from ticketing.sandbox import faults
from ticketing.sandbox.faults import Fault

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in_page(page):
    user = UserFactory(first_name="Inès")
    page.goto(reverse("accounts:login"))
    page.locator("[name=username]").fill(user.email)
    page.locator("[name=password]").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/tableau-de-bord/")
    yield page
    faults.clear()


def test_create_from_the_directory(signed_in_page, check_a11y):
    page = signed_in_page
    assert page.get_by_role("heading", name="Bienvenue, Inès").is_visible()
    check_a11y(page, "organisation-welcome")
    page.get_by_role("link", name="Créer une organisation").first.click()
    page.locator("[name=q]").fill("lune rousse")
    page.get_by_role("button", name="Rechercher").click()
    assert page.get_by_text("784 125 635 00028").is_visible()
    check_a11y(page, "organisation-search-results")

    page.get_by_role("link", name="Choisir THEATRE DE LA LUNE ROUSSE").click()
    assert page.locator("[name=name]").input_value() == "THEATRE DE LA LUNE ROUSSE"
    assert page.locator("[name=postal_code]").input_value() == "69001"
    check_a11y(page, "organisation-create-prefilled")
    page.locator("[name=name]").fill("Théâtre de la Lune Rousse")
    page.get_by_role("button", name="Créer l'organisation").click()

    organisation = Organisation.objects.get()
    page.wait_for_url(f"**/organisations/{organisation.pk}/")
    assert page.get_by_text("L'organisation « Théâtre de la Lune Rousse » est créée.").is_visible()
    assert page.get_by_text("Vous êtes propriétaire de cette organisation.").is_visible()
    assert not page.get_by_text("Informations en cours de vérification").is_visible()

    page.get_by_role("link", name="Compléter les paramètres").click()
    page.locator("[name=sacem_id]").fill("12 AB")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("1 à 10 chiffres, sans espace.").first.is_visible()
    check_a11y(page, "organisation-settings-error")
    page.locator("[name=sacem_id]").fill("1234567")
    page.locator("[name=sacd_id]").fill("98765")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Les paramètres de l'organisation sont enregistrés.").is_visible()
    organisation.refresh_from_db()
    assert (organisation.sacem_id, organisation.sacd_id) == ("1234567", "98765")


def test_create_by_hand_while_the_directory_is_down(signed_in_page, check_a11y):
    page = signed_in_page
    page.goto(reverse("organisations:search"))
    with faults.inject("company_directory", Fault.UNAVAILABLE):
        page.locator("[name=q]").fill("lune rousse")
        page.get_by_role("button", name="Rechercher").click()
        assert page.get_by_text("L'annuaire des entreprises ne répond pas").is_visible()
        check_a11y(page, "organisation-search-directory-down")
        page.get_by_role("link", name="Saisir les informations à la main").first.click()
        check_a11y(page, "organisation-create-by-hand")

        page.locator("[name=name]").fill("Théâtre de la Lune Rousse")
        page.locator("[name=siren]").fill("784 125 635")
        page.locator("[name=siret]").fill("784 125 635 00029")  # a typo
        page.locator("[name=street]").fill("12 rue de la Martinière")
        page.locator("[name=postal_code]").fill("69001")
        page.locator("[name=city]").fill("Lyon")
        page.get_by_role("button", name="Créer l'organisation").click()
        assert page.get_by_text("Ce numéro SIRET n'est pas valide").is_visible()
        check_a11y(page, "organisation-create-errors")
        page.locator("[name=siret]").fill("784 125 635 00028")
        page.get_by_role("button", name="Créer l'organisation").click()
        page.wait_for_url(re.compile(r".*/organisations/\d+/$"))

    assert page.get_by_text("Informations en cours de vérification").is_visible()
    organisation = Organisation.objects.get()
    assert organisation.needs_review


def test_suggestions_appear_while_typing(signed_in_page, check_a11y):
    from playwright.sync_api import expect

    page = signed_in_page
    page.goto(reverse("organisations:search"))
    page.locator("[name=q]").press_sequentially("nomade", delay=30)
    expect(page.get_by_role("heading", name="COMPAGNIE DU THEATRE NOMADE")).to_be_visible()
    assert "q=nomade" in page.url
    check_a11y(page, "organisation-search-suggestions")
