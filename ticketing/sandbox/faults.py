"""Injectable faults, per sandboxed service.

The state is module-level and shared by every thread: tests and the live test server run in
the same process, and the loopback server handles each request in its own thread.
"""

import enum
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx


class Fault(enum.Enum):
    TIMEOUT = "timeout"
    SERVER_ERROR = "server_error"  # 500
    UNAVAILABLE = "unavailable"  # 503 with an HTML maintenance page
    MALFORMED = "malformed"  # 200 with a truncated JSON body
    RATE_LIMITED = "rate_limited"  # 429 with Retry-After (or the provider's own rate-limit body)
    # Ticketing providers:
    FIREWALL = "firewall"  # the provider's firewall page (Billetweb: Cloudflare challenge)
    MALFORMED_RECORD = "malformed_record"  # one record of a listing is unreadable, the rest fine
    CREDENTIALS_REFUSED = "credentials_refused"  # the provider's answer to revoked credentials


# The faults every service answers the same way (`fault_response`); the others are per service.
TRANSPORT_FAULTS = frozenset(
    {Fault.TIMEOUT, Fault.SERVER_ERROR, Fault.UNAVAILABLE, Fault.MALFORMED, Fault.RATE_LIMITED}
)

RETRY_AFTER_SECONDS = 30
MAINTENANCE_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>Maintenance en cours</title></head>
<body>
<h1>Service momentanément indisponible</h1>
<p>Une opération de maintenance est en cours. Merci de réessayer dans quelques minutes.</p>
</body>
</html>
"""

_lock = threading.Lock()
_active: dict[str, Fault] = {}


def activate(service: str, fault: Fault) -> None:
    with _lock:
        _active[service] = fault


def active(service: str) -> Fault | None:
    with _lock:
        return _active.get(service)


def clear(service: str | None = None) -> None:
    with _lock:
        if service is None:
            _active.clear()
        else:
            _active.pop(service, None)


def snapshot() -> dict[str, Fault]:
    with _lock:
        return dict(_active)


@contextmanager
def inject(service: str, fault: Fault) -> Iterator[None]:
    """`with inject("company_directory", Fault.TIMEOUT): ...` — the previous state comes back
    afterwards, even when the block fails."""
    with _lock:
        previous = _active.get(service)
        _active[service] = fault
    try:
        yield
    finally:
        with _lock:
            if previous is None:
                _active.pop(service, None)
            else:
                _active[service] = previous


def fault_response(
    fault: Fault,
    request: httpx.Request,
    *,
    error: Callable[[int, str], httpx.Response],
    normal: Callable[[], httpx.Response],
) -> httpx.Response:
    """What the service answers under `fault`. `error` builds the service's own JSON error body;
    `normal` builds the answer it would have given, truncated for MALFORMED.

    TIMEOUT raises httpx.ReadTimeout: in-process that is what the client sees, and the loopback
    server turns it into a real stall."""
    if fault is Fault.TIMEOUT:
        raise httpx.ReadTimeout("Sandbox: simulated timeout", request=request)
    if fault is Fault.SERVER_ERROR:
        return error(500, "Une erreur inattendue s'est produite. Veuillez réessayer plus tard.")
    if fault is Fault.UNAVAILABLE:
        return httpx.Response(
            503,
            headers={"Content-Type": "text/html; charset=utf-8", "Retry-After": "120"},
            text=MAINTENANCE_PAGE,
        )
    if fault is Fault.RATE_LIMITED:
        response = error(429, "Trop de requêtes. Veuillez réessayer plus tard.")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    body = normal().content
    return httpx.Response(
        200,
        headers={"Content-Type": "application/json"},
        content=body[: max(1, len(body) // 2)],
    )
