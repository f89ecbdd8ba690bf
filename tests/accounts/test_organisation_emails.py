"""The organisation and team e-mails, rendered with the context their services give them."""

import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.http import urlencode

from accounts import teams
from accounts.models import Invitation, Membership, Organisation, Role
from accounts.services import absolute_url
from notifications.emails import send_templated_email
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NAME = "Compagnie <b>Zéro</b> & Fils"
ESCAPED_NAME = "Compagnie &lt;b&gt;Zéro&lt;/b&gt; &amp; Fils"


@pytest.fixture
def organisation():
    return Organisation.objects.create(
        name=NAME,
        siren="732829320",
        head_office_siret="73282932000074",
        street="12 rue de la Roquette",
        postal_code="75011",
        city="Paris",
    )


@pytest.fixture
def owner(organisation):
    user = UserFactory(first_name="Dominique", last_name="Durand", email="dominique@exemple.fr")
    Membership.objects.create(organisation=organisation, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def member(organisation):
    user = UserFactory(first_name="Sacha", last_name="Petit", email="sacha@exemple.fr")
    Membership.objects.create(organisation=organisation, user=user, role=Role.MEMBER)
    return user


def sent_message(to: str):
    """The only e-mail delivered, checked for what every organisation e-mail must respect."""
    [message] = mail.outbox
    assert message.to == [to]
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    for part in (message.subject, message.body, html):
        assert "None" not in part
    # The text part is not escaped; the HTML part is, and never lets the name's markup through.
    assert NAME in message.subject
    assert NAME in message.body
    assert "&amp;" not in message.body and "&lt;" not in message.body
    assert ESCAPED_NAME in html
    assert "<b>Zéro" not in html
    assert f"<title>{escape(message.subject)}</title>" in html
    return message.subject, message.body, html


def send_invitation(organisation, inviter, role=Role.MEMBER) -> str:
    """Sends the invitation e-mail and returns its link (signed with the current time)."""
    now = timezone.now()
    invitation = Invitation.objects.create(
        organisation=organisation,
        email="invitee@exemple.fr",
        role=role,
        invited_by=inviter,
        sent_at=now,
        # 23:30 UTC on 14 March is 00:30 on 15 March in Paris.
        expires_at=datetime(2026, 3, 14, 23, 30, tzinfo=UTC),
        nonce="0123456789abcdef0123456789abcdef",
    )
    accept_url = teams.invitation_url(invitation)
    send_templated_email(
        to=[invitation.email],
        template="organisation_invitation",
        context={
            "invitation": invitation,
            "organisation": organisation,
            "inviter": invitation.invited_by,
            "accept_url": accept_url,
            "expires_at": invitation.expires_at,
        },
    )
    return accept_url


def test_invitation_names_the_inviter_role_link_and_expiry(organisation, owner):
    accept_url = send_invitation(organisation, owner, role=Role.OWNER)

    subject, body, html = sent_message("invitee@exemple.fr")

    assert subject == f"Invitation à rejoindre {NAME} sur Assistant déclaration"
    assert body.startswith("Bonjour,\n")
    assert (
        f"Dominique Durand vous invite à rejoindre l'organisation {NAME} sur Assistant "
        "déclaration, avec le rôle « Propriétaire »." in body
    )
    assert "aide les entrepreneurs du spectacle vivant" in body
    assert f"\n{accept_url}\n" in body
    assert "valable jusqu'au 15 mars 2026 à 00:30" in body
    assert "Si vous n'attendiez pas cette invitation, ignorez cet e-mail" in body

    assert "Dominique Durand vous invite" in html
    assert "« Propriétaire »" in html
    assert f'href="{accept_url}"' in html
    assert "Rejoindre l'organisation</a>" in html
    assert "15 mars 2026 à 00:30" in html
    assert "ignorez cet e-mail" in html


def test_invitation_without_inviter_comes_from_the_organisation(organisation):
    send_invitation(organisation, inviter=None)

    _, body, html = sent_message("invitee@exemple.fr")

    assert f"L'équipe de {NAME} vous invite" in body
    assert "avec le rôle « Membre »" in body
    assert f"L'équipe de {ESCAPED_NAME} vous invite" in html


@pytest.mark.parametrize(
    ("role", "sentence"),
    [
        (Role.MEMBER, "En tant que membre, vous voyez toutes ses informations"),
        (Role.OWNER, "En tant que propriétaire, vous préparez et transmettez ses déclarations"),
    ],
)
def test_welcome(organisation, owner, role, sentence):
    user = UserFactory(first_name="Sacha", email="sacha@exemple.fr")
    membership = Membership.objects.create(organisation=organisation, user=user, role=role)
    url = teams.organisation_url(organisation)
    send_templated_email(
        to=[user.email],
        template="organisation_welcome",
        context={
            "user": user,
            "organisation": organisation,
            "role": membership.get_role_display(),
            "is_owner": membership.is_owner,
            "organisation_url": url,
        },
    )

    subject, body, html = sent_message("sacha@exemple.fr")

    assert subject == f"Bienvenue dans l'organisation {NAME}"
    assert body.startswith("Bonjour Sacha,\n")
    assert f"avec le rôle « {membership.get_role_display()} »" in body
    assert sentence in body
    assert f"Accéder à l'organisation : {url}" in body
    assert sentence in html
    assert f'href="{url}"' in html
    assert "Accéder à l'organisation</a>" in html


def role_changed(organisation, user, role, changed_by):
    url = teams.organisation_url(organisation)
    send_templated_email(
        to=[user.email],
        template="organisation_role_changed",
        context={
            "user": user,
            "organisation": organisation,
            "role": Role(role).label,
            "is_owner": role == Role.OWNER,
            "changed_by": changed_by,
            "organisation_url": url,
        },
    )
    return url


def test_role_changed_by_an_owner(organisation, owner, member):
    url = role_changed(organisation, member, Role.OWNER, changed_by=owner)

    subject, body, html = sent_message("sacha@exemple.fr")

    assert subject == f"Votre rôle dans l'organisation {NAME} a changé"
    assert body.startswith("Bonjour Sacha,\n")
    assert (
        f"Dominique Durand a modifié votre rôle dans l'organisation {NAME} sur Assistant "
        "déclaration : vous êtes désormais « Propriétaire »." in body
    )
    assert "En tant que propriétaire, vous gérez l'équipe" in body
    assert url in body
    assert f'href="{url}"' in html


def test_role_changed_to_member(organisation, owner, member):
    role_changed(organisation, owner, Role.MEMBER, changed_by=member)

    _, body, html = sent_message("dominique@exemple.fr")

    assert "Sacha Petit a modifié votre rôle" in body
    assert "vous êtes désormais « Membre »" in body
    assert "En tant que membre, vous voyez toujours" in html


def test_role_changed_because_the_last_owner_deleted_their_account(organisation, member):
    url = role_changed(organisation, member, Role.OWNER, changed_by=None)

    subject, body, html = sent_message("sacha@exemple.fr")

    assert subject == f"Vous êtes désormais propriétaire de l'organisation {NAME}"
    assert (
        f"Le compte de la dernière personne propriétaire de l'organisation {NAME} a été supprimé"
        in body
    )
    assert "vous êtes désormais « Propriétaire »" in body
    assert "a modifié votre rôle" not in body
    assert f"propriétaire de l'organisation <strong>{ESCAPED_NAME}</strong> a été supprimé" in html
    assert f'href="{url}"' in html


def test_removed(organisation, owner, member):
    dashboard_url = absolute_url(reverse("pages:dashboard"))
    send_templated_email(
        to=[member.email],
        template="organisation_removed",
        context={
            "user": member,
            "organisation": organisation,
            "removed_by": owner,
            "dashboard_url": dashboard_url,
        },
    )

    subject, body, html = sent_message("sacha@exemple.fr")

    assert subject == f"Vous n'avez plus accès à l'organisation {NAME}"
    assert body.startswith("Bonjour Sacha,\n")
    assert f"Dominique Durand vous a retiré l'accès à l'organisation {NAME}" in body
    assert "Votre compte existe toujours" in body
    assert dashboard_url in body
    assert "contactez les propriétaires de l'organisation ou écrivez-nous à" in body
    assert "contact@" in body.split("S'il s'agit d'une erreur")[1]
    assert f'href="{dashboard_url}"' in html
    assert "Votre compte existe toujours" in html


def access_request(organisation, requester, *, to_support: bool, to: str):
    team_url = absolute_url(
        reverse("organisations:team", kwargs={"organisation_id": organisation.pk})
        + "?"
        + urlencode({"email": requester.email})
    )
    send_templated_email(
        to=[to],
        template="organisation_access_request",
        context={
            "organisation": organisation,
            "requester": requester,
            "team_url": team_url,
            "to_support": to_support,
        },
        reply_to=[requester.email],
    )
    return team_url


def test_access_request_to_the_owners(organisation, owner):
    requester = UserFactory(first_name="Lou", last_name="Bernard", email="lou@exemple.fr")
    team_url = access_request(organisation, requester, to_support=False, to=owner.email)

    subject, body, html = sent_message("dominique@exemple.fr")

    assert mail.outbox[0].reply_to == ["lou@exemple.fr"]
    assert subject == f"Lou Bernard demande à rejoindre {NAME}"
    assert (
        f"Lou Bernard (lou@exemple.fr) demande à rejoindre l'organisation {NAME} "
        "(SIREN 732 829 320)" in body
    )
    assert f"\n{team_url}\n" in body
    assert "Si vous ne la connaissez pas, ignorez cet e-mail" in body
    assert f'href="{team_url}"' in html
    assert "Inviter cette personne</a>" in html
    assert "Si vous ne la connaissez pas, ignorez cet e-mail" in html
    assert "/admin/" not in body + html


def test_access_request_to_support_when_no_owner_is_left(organisation, settings):
    requester = UserFactory(first_name="Lou", last_name="Bernard", email="lou@exemple.fr")
    access_request(organisation, requester, to_support=True, to=settings.CONTACT_EMAIL)
    admin_url = "http://testserver" + reverse(
        "admin:accounts_organisation_change", args=[organisation.pk]
    )

    subject, body, html = sent_message(settings.CONTACT_EMAIL)

    assert subject == f"Organisation sans propriétaire : Lou Bernard demande à rejoindre {NAME}"
    assert "Lou Bernard (lou@exemple.fr) demande à rejoindre" in body
    assert "n'a plus de propriétaire actif" in body
    assert "rattachez-la depuis l'administration" in body
    assert f"\n{admin_url}\n" in body
    assert f'href="{admin_url}"' in html
    assert "Inviter cette personne" not in body + html
    assert "ignorez cet e-mail" not in body + html


def test_invitation_sent_by_the_service_uses_this_template(organisation, owner):
    invitation = teams.invitation_create(
        organisation=organisation, invited_by=owner, email="invitee@exemple.fr", role=Role.MEMBER
    )

    subject, body, html = sent_message("invitee@exemple.fr")

    assert subject == f"Invitation à rejoindre {NAME} sur Assistant déclaration"
    [accept_url] = re.findall(r"^http://testserver/organisations/invitation/\S+$", body, re.M)
    assert teams.invitation_from_token(accept_url.rstrip("/").rsplit("/", 1)[1]) == invitation
    assert f'href="{accept_url}"' in html
    assert date_format(timezone.localtime(invitation.expires_at), "j F Y à H:i") in body
