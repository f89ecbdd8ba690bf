"""Invitations (signed, expiring, single use) and role rules (always an owner)."""

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from accounts import teams
from accounts.models import Invitation, Membership, Role, User
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return MembershipFactory(role=Role.OWNER)


def invite(owner, email="nouvelle@exemple.fr", role=Role.MEMBER) -> Invitation:
    return teams.invitation_create(
        organisation=owner.organisation, invited_by=owner.user, email=email, role=role
    )


def token_of(invitation: Invitation) -> str:
    invitation.refresh_from_db()
    return teams.invitation_token(invitation)


def test_an_invitation_is_emailed_with_a_working_link(owner):
    invitation = invite(owner)
    message = mail.outbox[-1]
    assert message.to == ["nouvelle@exemple.fr"]
    assert owner.organisation.name in message.subject
    token = re.search(r"/organisations/invitation/([^/\s]+)/", message.body).group(1)
    assert teams.invitation_from_token(token) == invitation


def test_a_member_cannot_be_invited_twice(owner):
    member = MembershipFactory(organisation=owner.organisation)
    with pytest.raises(teams.TeamRuleError, match="fait déjà partie"):
        invite(owner, email=member.user.email.upper())
    invite(owner)
    with pytest.raises(teams.TeamRuleError, match="déjà en attente"):
        invite(owner, email="NOUVELLE@exemple.fr")


def test_an_expired_invitation_can_be_sent_again_from_the_form(owner):
    invitation = invite(owner)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    again = invite(owner, role=Role.OWNER)
    assert again.pk == invitation.pk
    assert again.role == Role.OWNER
    assert again.expires_at > timezone.now() + timedelta(days=6)


def test_accepting_makes_a_member_once_and_sends_the_welcome_email(owner):
    user = UserFactory(email="nouvelle@exemple.fr")
    token = token_of(invite(owner))
    membership = teams.invitation_accept(token=token, user=user)
    assert membership.role == Role.MEMBER
    assert mail.outbox[-1].to == [user.email]
    assert (
        "Bienvenue" in mail.outbox[-1].subject or owner.organisation.name in mail.outbox[-1].subject
    )
    with pytest.raises(teams.InvalidInvitation):
        teams.invitation_accept(token=token, user=user)
    assert Membership.objects.filter(user=user).count() == 1


def test_an_invitation_for_another_address_is_refused(owner):
    token = token_of(invite(owner))
    other = UserFactory(email="autre@exemple.fr")
    with pytest.raises(teams.WrongAccount):
        teams.invitation_accept(token=token, user=other)
    assert not Membership.objects.filter(user=other).exists()
    # and the invitation still works for the right person
    right = UserFactory(email="Nouvelle@Exemple.fr")
    teams.invitation_accept(token=token, user=right)


def test_revoked_and_expired_and_replaced_links_do_not_work(owner):
    invitation = invite(owner)
    first = token_of(invitation)
    teams.invitation_resend(organisation=owner.organisation, invitation_id=invitation.pk)
    second = token_of(invitation)
    with pytest.raises(teams.InvalidInvitation):
        teams.invitation_from_token(first)
    teams.invitation_from_token(second)

    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with pytest.raises(teams.InvalidInvitation):
        teams.invitation_from_token(second)

    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    teams.invitation_revoke(organisation=owner.organisation, invitation_id=invitation.pk)
    with pytest.raises(teams.InvalidInvitation):
        teams.invitation_from_token(second)
    with pytest.raises(teams.TeamRuleError):
        teams.invitation_resend(organisation=owner.organisation, invitation_id=invitation.pk)


def test_a_tampered_or_old_signature_is_refused(owner, settings):
    invitation = invite(owner)
    token = token_of(invitation)
    with pytest.raises(teams.InvalidInvitation):
        teams.invitation_from_token(token[:-2] + ("aa" if not token.endswith("aa") else "bb"))
    with pytest.raises(teams.InvalidInvitation):
        teams.invitation_from_token("pas-un-jeton")
    forged = signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt="autre")
    with pytest.raises(teams.InvalidInvitation):
        teams.invitation_from_token(forged)


def test_signup_through_the_invitation_creates_a_confirmed_account(owner):
    token = token_of(invite(owner, role=Role.OWNER))
    user = teams.invitation_signup(
        token=token, first_name="Léa", last_name="Durand", password=DEFAULT_PASSWORD
    )
    assert user.is_active and user.email_confirmed_at and user.terms_accepted_at
    assert user.check_password(DEFAULT_PASSWORD)
    assert Membership.objects.get(user=user).role == Role.OWNER
    with pytest.raises(teams.InvalidInvitation):
        teams.invitation_signup(
            token=token, first_name="X", last_name="Y", password=DEFAULT_PASSWORD
        )


def test_signup_through_the_invitation_refuses_an_existing_account(owner):
    UserFactory(email="nouvelle@exemple.fr")
    token = token_of(invite(owner))
    with pytest.raises(teams.AccountExists):
        teams.invitation_signup(token=token, first_name="X", last_name="Y", password="x" * 20)


def test_signup_through_the_invitation_takes_over_an_unconfirmed_account(owner):
    pending = UserFactory(email="nouvelle@exemple.fr", is_active=False, email_confirmed_at=None)
    token = token_of(invite(owner))
    user = teams.invitation_signup(
        token=token, first_name="Léa", last_name="Durand", password=DEFAULT_PASSWORD
    )
    assert user.pk == pending.pk and user.is_active
    assert User.objects.filter(email__iexact="nouvelle@exemple.fr").count() == 1


def test_the_last_owner_cannot_step_down_or_leave(owner):
    organisation = owner.organisation
    with pytest.raises(teams.TeamRuleError, match="au moins un propriétaire"):
        teams.member_role_change(
            organisation=organisation,
            membership_id=owner.pk,
            role=Role.MEMBER,
            changed_by=owner.user,
        )
    with pytest.raises(teams.TeamRuleError):
        teams.member_leave(organisation=organisation, user=owner.user)
    with pytest.raises(teams.TeamRuleError):
        teams.member_remove(
            organisation=organisation, membership_id=owner.pk, removed_by=owner.user
        )


def test_an_owner_can_step_down_once_another_owner_exists(owner):
    colleague = MembershipFactory(organisation=owner.organisation)
    teams.member_role_change(
        organisation=owner.organisation,
        membership_id=colleague.pk,
        role=Role.OWNER,
        changed_by=owner.user,
    )
    assert mail.outbox[-1].to == [colleague.user.email]
    teams.member_leave(organisation=owner.organisation, user=owner.user)
    assert list(Membership.objects.filter(organisation=owner.organisation)) == [colleague]


def test_a_removed_member_is_told(owner):
    colleague = MembershipFactory(organisation=owner.organisation)
    teams.member_remove(
        organisation=owner.organisation, membership_id=colleague.pk, removed_by=owner.user
    )
    assert not Membership.objects.filter(pk=colleague.pk).exists()
    assert mail.outbox[-1].to == [colleague.user.email]
    assert owner.organisation.name in mail.outbox[-1].body


def test_deleting_the_only_owner_promotes_the_oldest_member(owner, client):
    first = MembershipFactory(organisation=owner.organisation)
    MembershipFactory(organisation=owner.organisation)
    client.force_login(owner.user)
    page = client.get(reverse("accounts:delete"))
    assert first.user.full_name in page.content.decode()
    response = client.post(
        reverse("accounts:delete"), {"password": DEFAULT_PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.role == Role.OWNER
    assert any(message.to == [first.user.email] for message in mail.outbox)


def test_deleting_the_only_member_keeps_the_organisation_for_review(owner):
    from accounts.services import account_delete

    account_delete(user=owner.user)
    organisation = owner.organisation
    organisation.refresh_from_db()
    assert organisation.needs_review
    assert "Plus aucun membre" in organisation.review_reasons


def test_invitation_emails_to_one_address_are_limited(owner):
    invitation = invite(owner)
    for _ in range(4):
        teams.invitation_resend(organisation=owner.organisation, invitation_id=invitation.pk)
    sent = len(mail.outbox)
    with pytest.raises(teams.TeamRuleError, match="réessayez plus tard"):
        teams.invitation_resend(organisation=owner.organisation, invitation_id=invitation.pk)
    assert len(mail.outbox) == sent
    # The link of the last e-mail that left still works.
    invitation.refresh_from_db()
    teams.invitation_from_token(teams.invitation_token(invitation))


def test_the_handover_prefers_an_active_member(owner):
    from accounts.services import account_delete

    dormant = MembershipFactory(organisation=owner.organisation)
    dormant.user.is_active = False
    dormant.user.save()
    active = MembershipFactory(organisation=owner.organisation)
    account_delete(user=owner.user)
    active.refresh_from_db()
    dormant.refresh_from_db()
    assert (active.role, dormant.role) == (Role.OWNER, Role.MEMBER)


def test_deleting_the_only_owner_from_the_admin_hands_over(owner, admin_client):
    colleague = MembershipFactory(organisation=owner.organisation)
    response = admin_client.post(
        reverse("admin:accounts_user_delete", args=[owner.user.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.role == Role.OWNER
