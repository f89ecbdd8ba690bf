"""Account use cases. Views parse input and call these; they own transactions and e-mails."""

import logging

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, UserSession
from accounts.tokens import confirmation_tokens, encode_uid, password_reset_tokens
from notifications.emails import send_templated_email

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def _confirmation_url(user: User) -> str:
    return absolute_url(
        reverse(
            "accounts:signup_confirm",
            kwargs={"uidb64": encode_uid(user), "token": confirmation_tokens.make_token(user)},
        )
    )


def _send_confirmation(user: User) -> None:
    user.rotate_security_stamp()
    user.save(update_fields=["security_stamp"])
    send_templated_email(
        to=[user.email],
        template="signup_confirmation",
        context={"user": user, "confirmation_url": _confirmation_url(user)},
    )


@transaction.atomic
def user_register(*, email: str, first_name: str, last_name: str, password: str) -> None:
    """Creates an inactive account and sends the confirmation link.

    When the address already has an account, the answer to the visitor is the same, and the
    account's owner gets either a new confirmation link or a notice that someone tried.
    """
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        if existing.email_confirmed_at is None and not existing.is_active:
            _send_confirmation(existing)
        else:
            send_templated_email(
                to=[existing.email],
                template="signup_existing_account",
                context={
                    "user": existing,
                    "login_url": absolute_url(reverse("accounts:login")),
                    "reset_url": absolute_url(reverse("accounts:password_reset")),
                },
            )
        return
    user = User.objects.create_user(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        is_active=False,
        terms_accepted_at=timezone.now(),
        terms_version=settings.TERMS_VERSION,
    )
    _send_confirmation(user)


def confirmation_resend(*, email: str) -> None:
    user = User.objects.filter(email__iexact=email, is_active=False).first()
    if user is not None and user.email_confirmed_at is None:
        _send_confirmation(user)


@transaction.atomic
def user_confirm(*, user: User) -> None:
    user.is_active = True
    user.email_confirmed_at = timezone.now()
    user.rotate_security_stamp()
    user.save(update_fields=["is_active", "email_confirmed_at", "security_stamp"])


def password_reset_request(*, email: str) -> None:
    """Sends a reset link to an active account; says nothing either way to the visitor."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
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

    Declarations already transmitted on behalf of an organisation stay with the organisation.
    """
    from axes.models import AccessAttempt, AccessLog

    email, first_name = user.email, user.first_name
    sessions_end(user=user)
    AccessAttempt.objects.filter(username__iexact=email).delete()
    AccessLog.objects.filter(username__iexact=email).delete()
    user.delete()
    logger.info("Account deleted by its owner")
    send_templated_email(
        to=[email],
        template="account_deleted",
        context={"first_name": first_name, "signup_url": absolute_url(reverse("accounts:signup"))},
    )
