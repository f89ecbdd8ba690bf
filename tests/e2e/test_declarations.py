"""Declare a synced show to SACEM and SACD in the browser, see what was sent, correct it."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from declarations import agencies
from tests.declarations.fixtures import show_with_performances
from tests.factories import DEFAULT_PASSWORD
from ticketing.sandbox import sacd

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def declarant_page(page):
    for kind in ("sacem", "sacd"):
        agencies.agencies_import(kind, agencies.sample_path(kind).read_text(encoding="utf-8"))
    sacd.reset()
    membership, show = show_with_performances(2)
    page.goto(reverse("accounts:login"))
    page.locator("[name=username]").fill(membership.user.email)
    page.locator("[name=password]").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**/organisations/{show.organisation_id}/")
    yield page, show
    sacd.reset()


def save(page):
    page.get_by_role("button", name="Enregistrer").click()
    errors = page.locator(".fr-error-text, [role=alert]").all_inner_texts()
    assert not [e for e in errors if "enregistrée" not in e], errors
    expect(page.get_by_text("La déclaration est enregistrée.")).to_be_visible()


def test_declare_to_sacem_and_sacd_then_correct(declarant_page, check_a11y):
    page, show = declarant_page
    page.get_by_role("link", name="Tous", exact=True).click()
    page.get_by_role("link", name=show.name).click()
    expect(page.get_by_role("heading", name=f"Déclaration – {show.name}")).to_be_visible()
    check_a11y(page, "declaration-form-new")

    page.get_by_label("SACEM", exact=True).check(force=True)
    page.get_by_label("SACD", exact=True).check(force=True)
    save(page)
    page.locator("[name=spectacle-performance_type]").select_option("theatre")
    page.locator("[name=spectacle-producer_siren]").fill("552100554")
    page.locator("[name=spectacle-producer_name]").fill("Compagnie des Braises")
    page.locator("[name=spectacle-venue_name]").fill("Salle des Lilas")
    page.locator("[name=spectacle-venue_street]").fill("12 rue des Lilas")
    page.locator("[name=spectacle-venue_postal_code]").fill("69004")
    page.locator("[name=spectacle-venue_city]").fill("Lyon")
    page.locator("[name=spectacle-capacity]").fill("120")
    page.locator("[name=spectacle-expenses_excl_vat]").fill("3 000")
    page.locator("[name=spectacle-expenses_incl_vat]").fill("3 165")
    page.locator("[name=spectacle-introduction_fees_excl_vat]").fill("400")
    page.locator("[name=spectacle-introduction_fees_incl_vat]").fill("422")
    save(page)
    check_a11y(page, "declaration-form-filled")

    page.get_by_role("link", name="Vérifier et envoyer").click()
    expect(page.get_by_role("heading", name=re.compile("Vérifier et envoyer"))).to_be_visible()
    expect(page.get_by_text("Billetterie TTC")).to_be_visible()
    check_a11y(page, "declaration-review")
    page.get_by_role("button", name="Confirmer l'envoi").click()

    # django-q2 runs synchronously in tests: the sending is done when the page comes back.
    table = page.get_by_role("table", name="Envois aux organismes")
    expect(table.get_by_text(re.compile("Transmise le"))).to_have_count(2)
    check_a11y(page, "declaration-sent")
    with page.expect_download() as pdf:
        table.get_by_role("link", name=re.compile(r"Déclaration SACEM .*\.pdf")).click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    with page.expect_download() as xml:
        table.get_by_role("link", name=re.compile(r"Déclaration SACD .*\.xml")).click()
    assert "<rep_version>1</rep_version>" in Path(xml.value.path()).read_text(encoding="utf-8")

    page.get_by_role("button", name="Préparer une correction").click()
    page.locator("[name=spectacle-capacity]").fill("150")
    save(page)
    page.get_by_role("link", name="Vérifier et envoyer").click()
    expect(
        page.get_by_text(re.compile(r"correction pour SACEM, SACD|correction pour SACD, SACEM"))
    ).to_be_visible()
    page.get_by_role("button", name="Confirmer l'envoi").click()
    expect(table.get_by_text("2 (correction)")).to_have_count(2)
    assert len(sacd.received) == 2
    check_a11y(page, "declaration-corrected")
