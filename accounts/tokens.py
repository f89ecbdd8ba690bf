"""Single-use, expiring links sent by e-mail.

Each token is bound to the user's `security_stamp`, which changes whenever a new link is
issued, the password changes or the account is confirmed: every older link then stops working.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import User


class StampedTokenGenerator(PasswordResetTokenGenerator):
    def __init__(self, *, purpose: str, timeout_setting: str) -> None:
        super().__init__()
        self.key_salt = f"accounts.tokens.{purpose}"
        self.timeout_setting = timeout_setting

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{user.pk}{user.security_stamp}{user.password}{user.is_active}{timestamp}"

    def check_token(self, user: User | None, token: str | None) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        valid = any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )
        age = self._num_seconds(self._now()) - timestamp
        return valid and 0 <= age <= getattr(settings, self.timeout_setting)


confirmation_tokens = StampedTokenGenerator(
    purpose="confirmation", timeout_setting="ACCOUNT_CONFIRMATION_TIMEOUT"
)
password_reset_tokens = StampedTokenGenerator(
    purpose="password_reset", timeout_setting="PASSWORD_RESET_TIMEOUT"
)


def encode_uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_from_uid(uidb64: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk).first()
