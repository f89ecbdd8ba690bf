"""An owner invites a colleague, who signs up through the link; a member of two organisations
switches between them from the header."""

import re

import pytest
from django.urls import reverse

from accounts.models import Membership, Role
from notifications.models import OutgoingEmail
from tests.factories import DEFAULT_PASSWORD, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLEAGUE = "sam.colin@exemple.fr"
COLLEAGUE_PASSWORD = "Une-regie-lumiere-2026"


def sign_in(page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto(reverse("accounts:login"))
    page.locator("[name=username]").fill(email)
    page.locator("[name=password]").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def invitation_link(to: str) -> str:
    email = (
        OutgoingEmail.objects.filter(to__contains=[to], body_text__contains="/invitation/")
        .order_by("-created_at", "-pk")
        .first()
    )
    url = re.search(r"https?://\S+/organisations/invitation/\S+/", email.body_text).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def test_invite_a_colleague_who_signs_up_through_the_link(browser, live_server, page, check_a11y):
    owner = MembershipFactory(role=Role.OWNER, organisation__name="Théâtre des Étoiles")
    organisation = owner.organisation
    sign_in(page, owner.user.email)
    page.wait_for_url(f"**/organisations/{organisation.pk}/")
    check_a11y(page, "organisation-home")

    page.get_by_role("link", name="Équipe", exact=True).first.click()
    page.locator("[name=email]").fill(COLLEAGUE)
    page.get_by_role("button", name="Envoyer l'invitation").click()
    assert page.get_by_text(f"Une invitation a été envoyée à {COLLEAGUE}").is_visible()
    assert page.get_by_role("table", name=re.compile("Invitations en attente")).is_visible()
    check_a11y(page, "organisation-team")

    # The colleague opens the link in another browser, without an account.
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    colleague = context.new_page()
    colleague.goto(invitation_link(COLLEAGUE))
    assert colleague.get_by_role("heading", name=re.compile("Rejoindre")).is_visible()
    check_a11y(colleague, "invitation")
    colleague.get_by_role("link", name="Créer mon compte").click()
    check_a11y(colleague, "invitation-signup")
    colleague.locator("[name=first_name]").fill("Sam")
    colleague.locator("[name=last_name]").fill("Colin")
    colleague.locator("[name=password1]").fill(COLLEAGUE_PASSWORD)
    colleague.locator("[name=password2]").fill(COLLEAGUE_PASSWORD)
    colleague.locator("label[for=id_accept_terms]").click()
    colleague.get_by_role("button", name="Créer mon compte et rejoindre l'organisation").click()
    colleague.wait_for_url(f"**/organisations/{organisation.pk}/")
    assert colleague.get_by_text("Votre compte est créé").is_visible()
    assert colleague.get_by_text("Vous êtes membre de cette organisation.").is_visible()
    context.close()

    membership = Membership.objects.get(user__email=COLLEAGUE)
    assert membership.role == Role.MEMBER

    # The owner sees the new member, makes them owner, and the used link is dead.
    page.reload()
    row = page.get_by_role("row", name=re.compile("Sam Colin"))
    row.get_by_label("Rôle de Sam Colin").select_option("owner")
    row.get_by_role("button", name="Modifier le rôle de Sam Colin").click()
    assert page.get_by_text("Le rôle a été modifié.").is_visible()
    membership.refresh_from_db()
    assert membership.role == Role.OWNER
    page.goto(invitation_link(COLLEAGUE))
    assert page.get_by_role("heading", name="Invitation invalide ou expirée").is_visible()
    check_a11y(page, "invitation-invalid")


def test_switch_between_organisations(page, check_a11y):
    first = MembershipFactory(role=Role.OWNER, organisation__name="Compagnie du Levant")
    MembershipFactory(
        user=first.user, role=Role.MEMBER, organisation__name="Festival des Couchants"
    )
    sign_in(page, first.user.email)
    page.wait_for_url("**/tableau-de-bord/")
    assert page.get_by_role("heading", name="Tableau de bord").is_visible()
    check_a11y(page, "dashboard-organisations")

    page.get_by_role("link", name=re.compile("Compagnie du Levant")).first.click()
    page.wait_for_url(f"**/organisations/{first.organisation_id}/")
    switcher = page.get_by_role("button", name=re.compile("Compagnie du Levant"))
    switcher.click()
    page.get_by_role("link", name="Festival des Couchants").click()
    assert page.get_by_role("heading", name="Festival des Couchants").is_visible()
    assert page.get_by_text("Vous êtes membre de cette organisation.").is_visible()
    check_a11y(page, "organisation-home-member")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Paramètres"
    ).click()
    assert page.get_by_text("Seuls les propriétaires").is_visible()
    check_a11y(page, "organisation-settings-read-only")


def test_confirmation_and_refusal_pages_are_accessible(browser, live_server, page, check_a11y):
    from accounts import teams

    owner = MembershipFactory(role=Role.OWNER, organisation__siren="784125635")
    colleague = MembershipFactory(organisation=owner.organisation)
    sign_in(page, owner.user.email)
    page.wait_for_url(f"**/organisations/{owner.organisation_id}/")

    page.goto(reverse("organisations:member_remove", args=[owner.organisation_id, colleague.pk]))
    check_a11y(page, "organisation-member-remove")
    page.get_by_role("button", name="Retirer de l'organisation").click()
    assert page.get_by_text("ne fait plus partie de l'organisation").is_visible()

    page.goto(reverse("organisations:leave", args=[owner.organisation_id]))
    check_a11y(page, "organisation-leave")
    page.get_by_role("button", name="Quitter l'organisation").click()
    assert page.get_by_text("Vous êtes la seule personne de cette organisation").is_visible()

    invitation = teams.invitation_create(
        organisation=owner.organisation,
        invited_by=owner.user,
        email="quelquun@exemple.fr",
        role=Role.MEMBER,
    )
    page.goto(reverse("organisations:invitation", args=[teams.invitation_token(invitation)]))
    assert page.get_by_text("destinée à un autre compte").is_visible()
    assert page.get_by_role("button", name="Rejoindre l'organisation").count() == 0
    check_a11y(page, "invitation-wrong-account")

    # Someone else finds the organisation already registered.
    other = MembershipFactory(role=Role.OWNER)
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    visitor = context.new_page()
    sign_in(visitor, other.user.email)
    visitor.goto(reverse("organisations:create") + "?siret=78412563500028")
    assert visitor.get_by_role("heading", name="Cette organisation est déjà inscrite").is_visible()
    check_a11y(visitor, "organisation-exists")
    visitor.get_by_role("button", name="Demander une invitation").click()
    assert visitor.get_by_text("Votre demande a été transmise").is_visible()
    context.close()
