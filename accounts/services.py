"""Account use cases. Views parse input and call these; they own transactions and e-mails."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, UserSession
from accounts.tokens import confirmation_tokens, encode_uid, password_reset_tokens
from notifications.emails import send_templated_email
from notifications.retention import outgoing_emails_forget, outgoing_emails_recent_count

# Sign-up, confirmation and reset e-mails an address may receive per hour; beyond, the answer
# stays the same but nothing is sent (nobody can flood a mailbox through our forms).
ACCOUNT_EMAILS_PER_HOUR = 5

logger = logging.getLogger(__name__)


class InvalidLink(Exception):
    """The link from the e-mail has expired, was already used, or a newer one was sent."""


def absolute_url(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def _confirmation_url(user: User) -> str:
    return absolute_url(
        reverse(
            "accounts:signup_confirm",
            kwargs={"uidb64": encode_uid(user), "token": confirmation_tokens.make_token(user)},
        )
    )


def may_email(address: str) -> bool:
    if (
        outgoing_emails_recent_count(address=address, within=timedelta(hours=1))
        < ACCOUNT_EMAILS_PER_HOUR
    ):
        return True
    logger.warning("Account e-mail not sent: hourly limit reached for an address")
    return False


def _send_confirmation(user: User) -> None:
    if not may_email(user.email):
        return
    user.rotate_security_stamp()
    user.save(update_fields=["security_stamp"])
    send_templated_email(
        to=[user.email],
        template="signup_confirmation",
        context={"user": user, "confirmation_url": _confirmation_url(user)},
    )


def user_register(*, email: str, first_name: str, last_name: str, password: str) -> None:
    """Creates an inactive account and sends the confirmation link.

    The visitor gets the same answer, in the same time, whether the address has an account or not.
    A second sign-up on an unconfirmed account replaces its password: only the mailbox owner can
    confirm, and confirming asks for that password, so nobody can prepare an account for someone
    else's address. The owner of a confirmed account is told that someone tried.
    """
    password_hash = make_password(password)  # on every path, so that timing reveals nothing
    profile = {
        "first_name": first_name,
        "last_name": last_name,
        "password": password_hash,
        "terms_accepted_at": timezone.now(),
        "terms_version": settings.TERMS_VERSION,
    }
    with transaction.atomic():
        existing = User.objects.select_for_update().filter(email__iexact=email).first()
        if existing is None:
            try:
                with transaction.atomic():
                    user = User.objects.create(email=email, is_active=False, **profile)
            except IntegrityError:  # the same address signed up at the same moment
                existing = User.objects.select_for_update().get(email__iexact=email)
            else:
                _send_confirmation(user)
                return
        if not existing.is_active and existing.email_confirmed_at is None:
            for field, value in profile.items():
                setattr(existing, field, value)
            existing.save(update_fields=list(profile))
            _send_confirmation(existing)
            return
    if not may_email(existing.email):
        return
    send_templated_email(
        to=[existing.email],
        template="signup_existing_account",
        context={
            "user": existing,
            "login_url": absolute_url(reverse("accounts:login")),
            "reset_url": absolute_url(reverse("accounts:password_reset")),
        },
    )


def confirmation_resend(*, email: str) -> None:
    user = User.objects.filter(email__iexact=email, is_active=False).first()
    if user is not None and user.email_confirmed_at is None:
        _send_confirmation(user)


@transaction.atomic
def user_confirm(*, user_id: int, token: str, password: str) -> bool:
    """Activates the account if the link is still valid and the password is the account's.

    The row is locked and the link checked again, so a double submission confirms once.
    """
    user = User.objects.select_for_update().filter(pk=user_id, is_active=False).first()
    if user is None or not confirmation_tokens.check_token(user, token):
        raise InvalidLink
    if not user.check_password(password):
        return False
    user.is_active = True
    user.email_confirmed_at = timezone.now()
    user.rotate_security_stamp()
    user.save(update_fields=["is_active", "email_confirmed_at", "security_stamp"])
    sessions_end(user=user)
    return True


def password_reset_request(*, email: str) -> None:
    """Sends a reset link to an active account; says nothing either way to the visitor."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None or not may_email(user.email):
        return
    user.rotate_security_stamp()
    user.save(update_fields=["security_stamp"])
    url = absolute_url(
        reverse(
            "accounts:password_reset_confirm",
            kwargs={"uidb64": encode_uid(user), "token": password_reset_tokens.make_token(user)},
        )
    )
    send_templated_email(
        to=[user.email],
        template="password_reset_request",
        context={
            "user": user,
            "reset_url": url,
            "validity_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
    )


@transaction.atomic
def password_reset_complete(*, user_id: int, token: str, password: str) -> User:
    """Sets the new password once: the row is locked and the link checked again."""
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or not password_reset_tokens.check_token(user, token):
        raise InvalidLink
    password_set(
        user=user, password=password, keep_session_key=None, template="password_reset_done"
    )
    return user


def session_rotated(*, old_key: str | None, new_key: str | None) -> None:
    """Follows a session whose key changed (after a password change) so it can still be ended."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """Ends every server-side session of the user except `keep_session_key`."""
    links = UserSession.objects.filter(user=user)
    if keep_session_key:
        links = links.exclude(session_key=keep_session_key)
    keys = list(links.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    links.delete()
    return len(keys)


@transaction.atomic
def password_set(*, user: User, password: str, keep_session_key: str | None, template: str) -> None:
    """Sets a new password, ends the user's other sessions and tells them by e-mail."""
    user.set_password(password)
    user.rotate_security_stamp()
    user.save(update_fields=["password", "security_stamp"])
    sessions_end(user=user, keep_session_key=keep_session_key)
    send_templated_email(
        to=[user.email],
        template=template,
        context={
            "user": user,
            "login_url": absolute_url(reverse("accounts:login")),
            "reset_url": absolute_url(reverse("accounts:password_reset")),
        },
    )


def profile_update(*, user: User, first_name: str, last_name: str) -> None:
    user.first_name = first_name
    user.last_name = last_name
    user.save(update_fields=["first_name", "last_name"])


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Deletes the account and what belongs only to it (sessions, login attempts).

    Organisations stay: where the account was the only owner, another member becomes owner.
    Declarations made on behalf of an organisation stay with the organisation.
    """
    from axes.models import AccessAttempt, AccessLog

    from accounts.teams import owners_handover

    email, first_name = user.email, user.first_name
    owners_handover(user=user)
    sessions_end(user=user)
    AccessAttempt.objects.filter(username__iexact=email).delete()
    AccessLog.objects.filter(username__iexact=email).delete()
    user.delete()
    outgoing_emails_forget(address=email)
    logger.info("Account deleted by its owner")
    send_templated_email(
        to=[email],
        template="account_deleted",
        context={"first_name": first_name, "signup_url": absolute_url(reverse("accounts:signup"))},
    )
