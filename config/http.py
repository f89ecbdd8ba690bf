"""The one factory for outbound HTTP clients.

Every call to another service goes through `http_client`, so each one has an explicit timeout
and identifies us. With `HTTP_SANDBOX` (test settings only) requests never leave the process:
the fakes in `ticketing/sandbox/` answer them through an in-memory transport.
"""

import httpx
from django.conf import settings


def http_client(*, timeout: float, headers: dict[str, str] | None = None) -> httpx.Client:
    transport: httpx.BaseTransport | None = None
    if settings.HTTP_SANDBOX:
        from ticketing.sandbox import router

        # Looked up at each call, so a test can wrap `router.handle`.
        transport = httpx.MockTransport(lambda request: router.handle(request))
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": f"AssistantDeclaration (+{settings.BASE_URL})", **(headers or {})},
        transport=transport,
    )
