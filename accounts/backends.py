from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.models import User


class EmailBackend(ModelBackend):
    """Authenticates by e-mail whatever its case, hashing the password exactly once on every path.

    Inactive users are refused. When the password of an account that was never confirmed is
    right, the request is flagged so that the login form can say why, without a second hash
    whose timing would tell which addresses have an unconfirmed account.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs,
    ) -> User | None:
        if not username or password is None:
            return None
        user = User.objects.filter(email__iexact=username).first()
        if user is None:
            User().set_password(password)  # same cost as a real check
            return None
        if not user.check_password(password):
            return None
        if self.user_can_authenticate(user):
            return user
        if request is not None and user.email_confirmed_at is None:
            request.unconfirmed_login = True
        return None
