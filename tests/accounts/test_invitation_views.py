"""The invitation link in the browser's shoes: visitors, the right and the wrong account."""

import re

import pytest
from django.urls import reverse

from accounts import teams
from accounts.models import Membership, Role
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation():
    owner = MembershipFactory(role=Role.OWNER, organisation__name="Compagnie Zéphyr")
    return teams.invitation_create(
        organisation=owner.organisation,
        invited_by=owner.user,
        email="invitee@exemple.fr",
        role=Role.MEMBER,
    )


def link(invitation) -> str:
    return reverse("organisations:invitation", args=[teams.invitation_token(invitation)])


def test_a_visitor_without_account_is_offered_to_sign_up(client, invitation):
    page = client.get(link(invitation)).content.decode()
    assert "Compagnie Zéphyr" in page
    assert "Créer mon compte" in page


def test_a_visitor_with_an_account_is_sent_to_login_and_back(client, invitation):
    UserFactory(email="invitee@exemple.fr")
    url = link(invitation)  # the signature holds a timestamp: compute the link once
    response = client.get(url)
    expected = reverse("accounts:login") + "?next=" + url
    assert expected in response.content.decode()
    login = client.post(expected, {"username": "invitee@exemple.fr", "password": DEFAULT_PASSWORD})
    assert login.url == url


def test_opening_the_link_does_not_accept_it(client, invitation):
    user = UserFactory(email="invitee@exemple.fr")
    client.force_login(user)
    assert client.get(link(invitation)).status_code == 200
    assert not Membership.objects.filter(user=user).exists()
    response = client.post(link(invitation))
    assert response.url == reverse("organisations:home", args=[invitation.organisation_id])
    assert Membership.objects.filter(user=user, role=Role.MEMBER).exists()


def test_the_wrong_account_is_told_and_nothing_changes(client, invitation):
    other = UserFactory(email="someone.else@exemple.fr")
    client.force_login(other)
    response = client.post(link(invitation))
    assert response.status_code == 403
    assert "destinée à un autre compte" in response.content.decode()
    assert not Membership.objects.filter(user=other).exists()


def test_an_invalid_link_says_so(client, invitation):
    response = client.get(reverse("organisations:invitation", args=["abc:def"]))
    assert response.status_code == 400
    assert "plus valable" in response.content.decode()
    teams.invitation_revoke(organisation=invitation.organisation, invitation_id=invitation.pk)
    assert client.get(link(invitation)).status_code == 400


def test_signing_up_through_the_link_signs_in_and_joins(client, invitation):
    url = reverse("organisations:invitation_signup", args=[teams.invitation_token(invitation)])
    response = client.post(
        url,
        {
            "first_name": "Noé",
            "last_name": "Petit",
            "password1": "Un-plateau-de-tournage-77",
            "password2": "Un-plateau-de-tournage-77",
            "accept_terms": "on",
        },
    )
    assert response.url == reverse("organisations:home", args=[invitation.organisation_id])
    home = client.get(response.url)
    assert home.status_code == 200
    assert home.context["user"].email == "invitee@exemple.fr"


def test_the_signup_form_checks_the_password_and_terms(client, invitation):
    url = reverse("organisations:invitation_signup", args=[teams.invitation_token(invitation)])
    response = client.post(
        url,
        {"first_name": "Noé", "last_name": "Petit", "password1": "court", "password2": "court"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "accept_terms" in form.errors and "password2" in form.errors
    assert not Membership.objects.filter(user__email="invitee@exemple.fr").exists()


def test_the_dashboard_shows_the_users_pending_invitations(client, invitation):
    user = UserFactory(email="INVITEE@exemple.fr")
    client.force_login(user)
    page = client.get(reverse("pages:dashboard")).content.decode()
    assert "« Compagnie Zéphyr » vous invite comme membre" in page
    url = re.search(r'href="(/organisations/invitation/[^"]+/)"', page).group(1)
    assert client.post(url).status_code == 302
    assert Membership.objects.filter(user=user).exists()
