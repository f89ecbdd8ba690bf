"""One module per provider, each defining `build(credentials, client) -> Connector`.

`open_connector()` is the single way in, used by the sync engine and by `ticketing_fetch`, so
both behave the same.
"""

import importlib
from collections.abc import Callable

from django.conf import settings

from ticketing.connectors.base import Connector, Credentials
from ticketing.connectors.http import ProviderClient, check_public_host

MODULES = {
    "billetweb": "billetweb",
    "mapado": "mapado",
    "helloasso": "helloasso",
    "shotgun": "shotgun",
    "supersoniks": "supersoniks",
    "soticket": "supersoniks",  # Supersoniks' white label: same API
}


def base_url(provider: str, credentials: Credentials) -> str:
    """The provider's API root; Supersoniks and SoTicket live on the customer's own domain,
    which must be a public host."""
    if provider in ("supersoniks", "soticket"):
        url = settings.TICKETING_BASE_URLS["supersoniks"].format(domain=credentials.access_key)
        check_public_host(url)
        return url
    return settings.TICKETING_BASE_URLS[provider]


def open_connector(
    provider: str,
    credentials: Credentials,
    *,
    base_url_override: str | None = None,
    throttle: Callable[[], None] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> tuple[Connector, ProviderClient]:
    """The connector and its client (close the client when done; it counts the requests)."""
    module = importlib.import_module(f"ticketing.connectors.{MODULES[provider]}")
    options = {"throttle": throttle}
    if sleep is not None:
        options["sleep"] = sleep
    client = ProviderClient(base_url_override or base_url(provider, credentials), **options)
    return module.build(credentials, client, provider=provider), client
