"""Crisp live chat: the signed identity of a signed-in user.

Crisp can verify that the e-mail address a visitor gives is really theirs: the page passes the
address with an HMAC-SHA256 signature computed with the website's secret key.
"""

import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest


def crisp_user_signature(email: str) -> str:
    """Hex HMAC-SHA256 of the e-mail address, keyed with CRISP_SIGNING_KEY."""
    return hmac.new(settings.CRISP_SIGNING_KEY.encode(), email.encode(), hashlib.sha256).hexdigest()


def crisp_identity(request: HttpRequest) -> dict[str, str] | None:
    """The e-mail address and its signature for a signed-in user, when Crisp signing is set up.

    Without a signing key nothing is passed to Crisp: the visitor types their address in the chat.
    """
    if not (settings.CRISP_WEBSITE_ID and settings.CRISP_SIGNING_KEY):
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.email:
        return None
    return {"email": user.email, "signature": crisp_user_signature(user.email)}
