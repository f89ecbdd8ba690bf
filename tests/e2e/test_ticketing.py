"""Connect a ticketing system (wrong then right credentials), follow the first sync, filter the
shows, and add, edit and delete a show typed in by hand."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Role
from tests.factories import DEFAULT_PASSWORD, MembershipFactory
from ticketing.models import Show, TicketingSystem
from ticketing.sandbox import accounts, faults
from ticketing.sandbox.billetweb import DEMO_CREDENTIALS
from ticketing.sandbox.dataset import build_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owner_page(page):
    owner = MembershipFactory(role=Role.OWNER, organisation__name="Salle des Fêtes")
    page.goto(reverse("accounts:login"))
    page.locator("[name=username]").fill(owner.user.email)
    page.locator("[name=password]").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**/organisations/{owner.organisation_id}/")
    yield page, owner.organisation
    accounts.clear()
    faults.clear()


def test_connect_billetweb_and_follow_the_first_sync(owner_page, check_a11y):
    page, organisation = owner_page
    accounts.register(
        "billetweb",
        access_key=DEMO_CREDENTIALS.access_key,
        secret_key=DEMO_CREDENTIALS.secret_key,
        dataset=build_dataset(shows=4, performances_per_show=2, tickets_per_performance=10),
    )
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Billetteries"
    ).click()
    assert page.get_by_text("Aucune billetterie n'est connectée").is_visible()
    check_a11y(page, "ticketing-empty")
    page.get_by_role("link", name="Connecter une billetterie").click()
    page.locator("label", has_text="Billetweb").click()
    check_a11y(page, "ticketing-choose")
    page.get_by_role("button", name="Continuer").click()

    page.locator("[name=access_key]").fill(DEMO_CREDENTIALS.access_key)
    page.locator("[name=secret_key]").fill("une-cle-fausse")
    page.get_by_role("button", name="Tester et connecter").click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    assert page.locator("[name=secret_key]").input_value() == ""  # never rendered back
    check_a11y(page, "ticketing-connect-refused")
    assert not TicketingSystem.objects.exists()

    page.locator("[name=access_key]").fill(DEMO_CREDENTIALS.access_key)
    page.locator("[name=secret_key]").fill(DEMO_CREDENTIALS.secret_key)
    page.get_by_role("button", name="Tester et connecter").click()
    assert page.get_by_text("Billetweb est connecté").is_visible()
    # django-q2 runs synchronously in tests: the first sync is already done.
    expect(page.get_by_text("Terminée")).to_be_visible()
    assert page.get_by_text("4 ajouté(s)").is_visible()
    check_a11y(page, "ticketing-list")

    page.get_by_role("button", name="Synchroniser Billetweb").click()
    assert page.get_by_text("La synchronisation de Billetweb a commencé.").is_visible()

    page.get_by_role("link", name="Accueil de l'organisation").click()
    page.get_by_role("link", name="Tous", exact=True).click()
    assert page.get_by_role("table", name=re.compile(r"Spectacles \(4\)")).is_visible()
    check_a11y(page, "organisation-home-shows")
    page.get_by_role("link", name=re.compile("Déclarés")).click()
    assert page.get_by_text("Aucun spectacle n'a été trouvé avec ce filtre.").is_visible()


def test_manual_show_add_edit_delete(owner_page, check_a11y):
    page, organisation = owner_page
    page.get_by_role("link", name="Ajouter un spectacle à la main").click()
    check_a11y(page, "manual-show-add")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Ajoutez au moins une représentation").is_visible()
    page.locator("[name=name]").fill("Lecture au jardin")
    page.locator("[name=representations-0-starts_at]").fill("2026-06-12T20:30")
    page.locator("[name=representations-0-ends_at]").fill("2026-06-12T19:00")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("La fin doit être après le début.").is_visible()
    check_a11y(page, "manual-show-errors")
    page.locator("[name=representations-0-ends_at]").fill("2026-06-12T22:00")
    page.locator("[name=representations-1-starts_at]").fill("2026-06-13T20:30")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Le spectacle « Lecture au jardin » est ajouté.").is_visible()
    show = Show.objects.get()
    assert show.performances.count() == 2

    page.get_by_role("link", name="Modifier Lecture au jardin").click()
    page.locator("[name=name]").fill("Lecture au jardin d'été")
    page.locator("[name=representations-1-starts_at]").fill("")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Le spectacle est modifié.").is_visible()
    show.refresh_from_db()
    assert (show.name, show.performances.count()) == ("Lecture au jardin d'été", 1)

    page.get_by_role("link", name="Supprimer Lecture au jardin d'été").click()
    check_a11y(page, "manual-show-delete")
    page.get_by_role("button", name="Supprimer le spectacle").click()
    assert page.get_by_text("est supprimé").is_visible()
    assert not Show.objects.exists()


def test_the_status_updates_without_reloading_while_a_sync_runs(owner_page, check_a11y):
    from django.db import connections
    from django.utils import timezone

    from ticketing.credentials import credentials_encrypt, credentials_fingerprint
    from ticketing.models import SyncRun
    from ticketing.sync import LOCK_NAMESPACE

    page, organisation = owner_page
    system = TicketingSystem.objects.create(
        organisation=organisation,
        provider="billetweb",
        credentials_encrypted=credentials_encrypt(DEMO_CREDENTIALS),
        credentials_fingerprint=credentials_fingerprint("billetweb", DEMO_CREDENTIALS),
    )
    run = SyncRun.objects.create(
        ticketing_system=system, status=SyncRun.Status.RUNNING, started_at=timezone.now()
    )
    worker = connections.create_connection("default")  # a worker holding the system's lock
    try:
        with worker.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, system.pk])
        page.goto(reverse("ticketing:list", args=[organisation.pk]))
        expect(page.get_by_text("En cours", exact=True)).to_be_visible()
        check_a11y(page, "ticketing-running")
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now(), shows_added=3
        )
        with page.expect_request(lambda request: "/etat/" in request.url):
            pass  # the page polls the status fragment by itself
        expect(page.get_by_text("3 ajouté(s)")).to_be_visible()
    finally:
        worker.close()
