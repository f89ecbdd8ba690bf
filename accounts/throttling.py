"""How django-axes identifies who is trying to log in (see AXES_* in the settings)."""

from django.conf import settings
from django.http import HttpRequest


def login_identifier(request: HttpRequest, credentials: dict | None) -> str | None:
    """The e-mail as the account knows it: `LEA@…` and `lea@…` share one failure counter."""
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if username is None and request is not None:
        username = request.POST.get(settings.AXES_USERNAME_FORM_FIELD)
    return username.strip().lower() if username else username


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address. Behind TRUSTED_PROXY_COUNT reverse proxies (the host's router),
    it is that many hops from the right of X-Forwarded-For: earlier hops are client-supplied."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [hop for hop in forwarded if hop]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
