"""Team use cases: invitations, roles, removal. An organisation always keeps at least one owner.

Every change to an organisation's team locks the organisation row first, so two owners acting at
the same moment cannot both step down and leave the organisation without an owner.
"""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Organisation, Role, User
from accounts.services import absolute_url, may_email
from notifications.emails import send_templated_email

INVITATION_VALIDITY = timedelta(days=7)
MAX_PENDING_INVITATIONS = 50
_INVITATION_SALT = "accounts.invitation"

logger = logging.getLogger(__name__)


class TeamRuleError(Exception):
    """An action refused by the team rules; the message is shown to the user."""


class InvalidInvitation(Exception):
    """The invitation link is malformed, expired, revoked, replaced or already used."""


class WrongAccount(Exception):
    """The invitation was sent to another e-mail address than the signed-in user's."""


def _new_nonce() -> str:
    return secrets.token_hex(16)


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=_INVITATION_SALT)


def invitation_url(invitation: Invitation) -> str:
    return absolute_url(
        reverse("organisations:invitation", kwargs={"token": invitation_token(invitation)})
    )


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation the link points to; InvalidInvitation otherwise."""
    try:
        payload = signing.loads(
            token, salt=_INVITATION_SALT, max_age=INVITATION_VALIDITY.total_seconds()
        )
        invitation_id, nonce = int(payload["i"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise InvalidInvitation from error
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not secrets.compare_digest(invitation.nonce, nonce):
        raise InvalidInvitation
    if not invitation.is_usable:
        raise InvalidInvitation
    return invitation


def organisation_url(organisation: Organisation) -> str:
    return absolute_url(reverse("organisations:home", kwargs={"organisation_id": organisation.pk}))


def _send_invitation(invitation: Invitation) -> None:
    if not may_email(invitation.email):
        raise TeamRuleError(
            "Plusieurs e-mails ont déjà été envoyés à cette adresse dans l'heure : réessayez plus "
            "tard."
        )
    send_templated_email(
        to=[invitation.email],
        template="organisation_invitation",
        context={
            "invitation": invitation,
            "organisation": invitation.organisation,
            "inviter": invitation.invited_by,
            "accept_url": invitation_url(invitation),
            "expires_at": invitation.expires_at,
        },
    )


def _lock(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, invited_by: User, email: str, role: str
) -> Invitation:
    _lock(organisation)
    email = email.strip()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise TeamRuleError("Cette personne fait déjà partie de l'organisation.")
    pending = organisation.invitations.pending().filter(email__iexact=email).first()
    now = timezone.now()
    if pending is not None:
        if pending.expires_at > now:
            raise TeamRuleError(
                "Une invitation est déjà en attente pour cette adresse : vous pouvez la renvoyer "
                "depuis la liste des invitations."
            )
        pending.role = role
        pending.invited_by = invited_by
        _refresh_and_send(pending)
        return pending
    if organisation.invitations.pending().count() >= MAX_PENDING_INVITATIONS:
        raise TeamRuleError(
            f"Votre organisation a déjà {MAX_PENDING_INVITATIONS} invitations en attente : "
            "révoquez celles qui ne servent plus avant d'en envoyer de nouvelles."
        )
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        invited_by=invited_by,
        sent_at=now,
        expires_at=now + INVITATION_VALIDITY,
        nonce=_new_nonce(),
    )
    _send_invitation(invitation)
    return invitation


def _refresh_and_send(invitation: Invitation) -> None:
    now = timezone.now()
    invitation.nonce = _new_nonce()
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_VALIDITY
    invitation.save()
    _send_invitation(invitation)


def _pending_invitation(organisation: Organisation, invitation_id: int) -> Invitation:
    invitation = (
        organisation.invitations.pending().select_for_update().filter(pk=invitation_id).first()
    )
    if invitation is None:
        raise TeamRuleError("Cette invitation a déjà été acceptée ou révoquée.")
    return invitation


@transaction.atomic
def invitation_resend(*, organisation: Organisation, invitation_id: int) -> Invitation:
    """Sends a new link valid for another 7 days; the previous link stops working."""
    invitation = _pending_invitation(organisation, invitation_id)
    _refresh_and_send(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, organisation: Organisation, invitation_id: int) -> Invitation:
    invitation = _pending_invitation(organisation, invitation_id)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Makes the signed-in user a member, once: the invitation row is locked and re-checked."""
    invitation = invitation_from_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise InvalidInvitation
    if invitation.email.casefold() != user.email.casefold():
        raise WrongAccount
    organisation = _lock(invitation.organisation)
    membership, created = Membership.objects.get_or_create(
        organisation=organisation, user=user, defaults={"role": invitation.role}
    )
    if not created and invitation.role == Role.OWNER and not membership.is_owner:
        membership.role = Role.OWNER
        membership.save(update_fields=["role"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    organisation.access_requests.filter(user=user).delete()
    if created:
        welcome_send(membership)
    return membership


def welcome_send(membership: Membership) -> None:
    send_templated_email(
        to=[membership.user.email],
        template="organisation_welcome",
        context={
            "user": membership.user,
            "organisation": membership.organisation,
            "role": membership.get_role_display(),
            "is_owner": membership.is_owner,
            "organisation_url": organisation_url(membership.organisation),
        },
    )


def _membership(organisation: Organisation, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user")
        .filter(organisation=organisation, pk=membership_id)
        .first()
    )
    if membership is None:
        raise TeamRuleError("Cette personne ne fait plus partie de l'organisation.")
    return membership


def _is_last_owner(membership: Membership) -> bool:
    if not membership.is_owner:
        return False
    other_owners = Membership.objects.filter(
        organisation_id=membership.organisation_id, role=Role.OWNER
    ).exclude(pk=membership.pk)
    return not other_owners.exists()


LAST_OWNER = (
    "Une organisation doit toujours avoir au moins un propriétaire : nommez d'abord une autre "
    "personne propriétaire."
)


@transaction.atomic
def member_role_change(
    *, organisation: Organisation, membership_id: int, role: str, changed_by: User
) -> Membership:
    organisation = _lock(organisation)
    membership = _membership(organisation, membership_id)
    if membership.role == role:
        return membership
    if role != Role.OWNER and _is_last_owner(membership):
        raise TeamRuleError(LAST_OWNER)
    membership.role = role
    membership.save(update_fields=["role"])
    if membership.user_id != changed_by.pk:
        send_templated_email(
            to=[membership.user.email],
            template="organisation_role_changed",
            context={
                "user": membership.user,
                "organisation": organisation,
                "role": membership.get_role_display(),
                "is_owner": membership.is_owner,
                "changed_by": changed_by,
                "organisation_url": organisation_url(organisation),
            },
        )
    return membership


@transaction.atomic
def member_remove(*, organisation: Organisation, membership_id: int, removed_by: User) -> None:
    organisation = _lock(organisation)
    membership = _membership(organisation, membership_id)
    if _is_last_owner(membership):
        if not organisation.memberships.exclude(pk=membership.pk).exists():
            raise TeamRuleError(
                "Vous êtes la seule personne de cette organisation : invitez d'abord un ou une "
                "collègue et nommez-le propriétaire. Pour supprimer l'organisation, écrivez-nous."
            )
        raise TeamRuleError(LAST_OWNER)
    membership.delete()
    if membership.user_id != removed_by.pk:
        send_templated_email(
            to=[membership.user.email],
            template="organisation_removed",
            context={
                "user": membership.user,
                "organisation": organisation,
                "removed_by": removed_by,
                "dashboard_url": absolute_url(reverse("pages:dashboard")),
            },
        )


def member_leave(*, organisation: Organisation, user: User) -> None:
    membership = Membership.objects.filter(organisation=organisation, user=user).first()
    if membership is None:
        return
    member_remove(organisation=organisation, membership_id=membership.pk, removed_by=user)


def _successor(organisation_id: int, leaving: User) -> Membership | None:
    """The longest-standing other member, who becomes owner when the only owner's account goes."""
    return (
        Membership.objects.filter(organisation_id=organisation_id)
        .exclude(user=leaving)
        .select_related("user")
        .order_by("-user__is_active", "created_at", "pk")
        .first()
    )


@transaction.atomic
def owners_handover(*, user: User) -> list[Organisation]:
    """Before an account disappears: where it is the only owner, the longest-standing other
    member becomes owner (and is told). Returns the organisations left with no member at all."""
    orphaned = []
    for membership in Membership.objects.filter(user=user, role=Role.OWNER).select_related(
        "organisation"
    ):
        organisation = _lock(membership.organisation)
        if not _is_last_owner(membership):
            continue
        successor = _successor(organisation.pk, user)
        if successor is None:
            orphaned.append(organisation)
            continue
        successor.role = Role.OWNER
        successor.save(update_fields=["role"])
        send_templated_email(
            to=[successor.user.email],
            template="organisation_role_changed",
            context={
                "user": successor.user,
                "organisation": organisation,
                "role": successor.get_role_display(),
                "is_owner": True,
                "changed_by": None,
                "organisation_url": organisation_url(organisation),
            },
        )
    for organisation in orphaned:
        organisation.needs_review = True
        organisation.review_reasons = "\n".join(
            filter(None, [organisation.review_reasons, "Plus aucun membre : compte supprimé."])
        )
        organisation.save(update_fields=["needs_review", "review_reasons"])
    if orphaned:
        logger.info("Organisations left without members: %s", [o.pk for o in orphaned])
    return orphaned


def organisation_successor_names(user: User) -> list[tuple[Organisation, str]]:
    """For the account deletion page: who would become owner, per organisation."""
    result = []
    for membership in Membership.objects.filter(user=user, role=Role.OWNER).select_related(
        "organisation"
    ):
        if not _is_last_owner(membership):
            continue
        successor = _successor(membership.organisation_id, user)
        result.append((membership.organisation, successor.user.full_name if successor else ""))
    return result


class AccountExists(Exception):
    """The invited address already has an account: its owner signs in instead."""


@transaction.atomic
def invitation_signup(*, token: str, first_name: str, last_name: str, password: str) -> User:
    """Creates the invited person's account, already confirmed (the link proves they read that
    mailbox), and makes them a member. An unconfirmed account on that address is taken over."""
    invitation = invitation_from_token(token)
    user = User.objects.select_for_update().filter(email__iexact=invitation.email).first()
    if user is not None and (user.is_active or user.email_confirmed_at is not None):
        raise AccountExists
    now = timezone.now()
    if user is None:
        user = User(email=invitation.email)
        try:
            with transaction.atomic():
                user.set_unusable_password()
                user.save()
        except IntegrityError as error:  # the same form sent twice at the same moment
            raise AccountExists from error
    user.first_name = first_name
    user.last_name = last_name
    user.set_password(password)
    user.is_active = True
    user.email_confirmed_at = now
    user.terms_accepted_at = now
    user.terms_version = settings.TERMS_VERSION
    user.rotate_security_stamp()
    user.save()
    invitation_accept(token=token, user=user)
    return user
