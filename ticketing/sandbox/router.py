"""One entry point for every fake API, dispatched on the first path segment.

Used as `httpx.MockTransport(handle)` in tests and behind the loopback server for the demo:
`/recherche-entreprises/search` → company directory, `/geoplateforme/geocodage/search/` →
national address base.
"""

import importlib

import httpx

# URL prefix → module of ticketing/sandbox/ defining SERVICE (its fault name) and
# handle(request, path) -> httpx.Response. Imported on first use.
MODULES = {
    "recherche-entreprises": "company_directory",
    "geoplateforme": "address_base",
    "billetweb": "billetweb",
    "mapado": "mapado",
    "helloasso": "helloasso",
    "shotgun": "shotgun",
    "supersoniks": "supersoniks",
    "sacd": "sacd",
    "sibil": "sibil",
}
SERVICE_NAMES = frozenset(
    {
        "company_directory",
        "address_base",
        "billetweb",
        "mapado",
        "helloasso",
        "shotgun",
        "supersoniks",
        "sacd",
        "sibil",
    }
)


def handle(request: httpx.Request) -> httpx.Response:
    """The fake service's answer; raises httpx.ReadTimeout under an injected TIMEOUT fault."""
    prefix, _, rest = request.url.path.lstrip("/").partition("/")
    module_name = MODULES.get(prefix)
    if module_name is None:
        return httpx.Response(404, text="Not Found")
    try:
        module = importlib.import_module(f"ticketing.sandbox.{module_name}")
    except ModuleNotFoundError:
        return httpx.Response(404, text="Not Found")
    return module.handle(request, f"/{rest}")
