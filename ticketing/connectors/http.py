"""The HTTP side of every connector: one httpx client, a request counter, the shared rate
budget, retries with exponential backoff that honour `Retry-After`, and the guard against
user-given hosts that point inside our network."""

import ipaddress
import logging
import random
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from config.http import http_client
from ticketing.connectors.base import PermanentError, TransientError

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
MAX_WAIT_SECONDS = 60.0
RETRIED_STATUSES = {429, 500, 502, 503, 504}
UNAVAILABLE = "Le logiciel de billetterie ne répond pas pour le moment : la synchronisation reprendra plus tard."


class ProviderClient:
    """Passed to a connector. `throttle()` is called before every request: the sync engine
    gives one that draws on the provider's budget shared by all runs and workers."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
        throttle: Callable[[], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.requests_made = 0
        self.rate_limited_responses = 0
        self._throttle = throttle or (lambda: None)
        self._sleep = sleep
        self._client = http_client(timeout=timeout, headers=headers)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "ProviderClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def request(self, method: str, path: str, *, stream: bool = False, **kwargs) -> httpx.Response:
        """The response of the first attempt that is not a transient failure. Raises
        TransientError when every attempt failed; other statuses are for the connector.

        With `stream=True` the body is not read: iterate it (`iter_bytes`) and close the
        response; large listings then never sit whole in memory."""
        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._throttle()
            self.requests_made += 1
            try:
                request = self._client.build_request(method, url, **kwargs)
                response = self._client.send(request, stream=stream)
            except httpx.TransportError as error:
                wait, last_error = _backoff(attempt), error
                logger.info(
                    "Provider request failed (%s), attempt %s", type(error).__name__, attempt
                )
            else:
                if response.status_code not in RETRIED_STATUSES:
                    return response
                response.read()  # a retried answer is read and released
                if response.status_code == 429:
                    self.rate_limited_responses += 1
                wait = _retry_after(response) or _backoff(attempt)
                last_error = None
                logger.info("Provider answered %s, attempt %s", response.status_code, attempt)
                if attempt == MAX_ATTEMPTS:
                    raise TransientError(UNAVAILABLE, retry_after=_retry_after(response))
            if attempt < MAX_ATTEMPTS:
                self._sleep(min(wait, MAX_WAIT_SECONDS))
        raise TransientError(UNAVAILABLE) from last_error

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.request("POST", path, **kwargs)


def _backoff(attempt: int) -> float:
    return (2 ** (attempt - 1)) + random.random()  # noqa: S311 (jitter, not security)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    return None


def check_public_host(url: str) -> None:
    """Refuses a user-given URL whose host resolves to a private, loopback, link-local or
    reserved address (outside the sandbox in tests and development)."""
    host = urlsplit(url).hostname or ""
    if settings.HTTP_SANDBOX or getattr(settings, "TICKETING_ALLOW_PRIVATE_HOSTS", False):
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 443)}
    except (socket.gaierror, UnicodeError) as error:
        raise PermanentError(
            f"Le nom de domaine « {host} » est introuvable : vérifiez l'adresse de votre billetterie."
        ) from error
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise PermanentError(
                f"L'adresse « {host} » ne désigne pas une billetterie accessible sur internet."
            )
