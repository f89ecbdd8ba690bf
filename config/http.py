"""The one factory for outbound HTTP clients.

Every call to another service goes through `http_client`, so each one has an explicit timeout
and identifies us. With `HTTP_SANDBOX` (test settings only) requests never leave the process:
the fakes in `ticketing/sandbox/` answer them through an in-memory transport.
"""

import logging

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)


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


def public_api_json(url: str, params: dict, *, service: str, unavailable: type[Exception]):
    """GET a public API (company directory, address base) and return its decoded JSON.

    Timeouts, network errors, non-200 answers and invalid JSON raise `unavailable`; each is
    logged with `service` but never with the query, which can be a person's name or address.
    """
    try:
        with http_client(timeout=settings.PUBLIC_API_TIMEOUT_SECONDS) as client:
            response = client.get(url, params=params)
    except httpx.TimeoutException as error:
        logger.warning("%s unavailable: timeout (%s).", service, type(error).__name__)
        raise unavailable("timeout") from error
    except httpx.HTTPError as error:
        logger.warning("%s unavailable: %s.", service, type(error).__name__)
        raise unavailable("connection") from error
    if response.status_code != 200:
        logger.warning(
            "%s unavailable: HTTP %s (Retry-After: %s).",
            service,
            response.status_code,
            response.headers.get("Retry-After", "-"),
        )
        raise unavailable(f"HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as error:
        logger.warning("%s unavailable: the answer is not valid JSON.", service)
        raise unavailable("invalid JSON") from error
