"""One entry point for every fake API, dispatched on the first path segment.

Used as `httpx.MockTransport(handle)` in tests and behind the loopback server for the demo:
`/recherche-entreprises/search` → company directory, `/geoplateforme/geocodage/search/` →
national address base.
"""

from collections.abc import Callable

import httpx

from ticketing.sandbox import address_base, company_directory

SERVICES: dict[str, tuple[str, Callable[[httpx.Request, str], httpx.Response]]] = {
    "recherche-entreprises": (company_directory.SERVICE, company_directory.handle),
    "geoplateforme": (address_base.SERVICE, address_base.handle),
}
SERVICE_NAMES = frozenset(name for name, _ in SERVICES.values())


def handle(request: httpx.Request) -> httpx.Response:
    """The fake service's answer; raises httpx.ReadTimeout under an injected TIMEOUT fault."""
    prefix, _, rest = request.url.path.lstrip("/").partition("/")
    service = SERVICES.get(prefix)
    if service is None:
        return httpx.Response(404, text="Not Found")
    _, handler = service
    return handler(request, f"/{rest}")
