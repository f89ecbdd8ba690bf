"""Sentry error reporting: initialised only when SENTRY_DSN is set, never with personal data."""

import re
from typing import Any

SENSITIVE_KEY = re.compile(
    r"pass|secret|token|key|auth|credential|cookie|session|csrf|email|signature", re.IGNORECASE
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
FILTERED = "[Filtré]"


def scrub(value: Any) -> Any:
    """Recursively replace sensitive values (by key name) and e-mail addresses (anywhere)."""
    if isinstance(value, dict):
        return {
            key: FILTERED if SENSITIVE_KEY.search(str(key)) else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return EMAIL.sub(FILTERED, value)
    return value


def before_send(event: dict, hint: dict) -> dict:
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)
        if request.get("query_string"):
            request["query_string"] = FILTERED
        if "headers" in request:
            request["headers"] = scrub(request["headers"])
    for key in ("extra", "contexts"):
        if key in event:
            event[key] = scrub(event[key])
    for breadcrumb in (event.get("breadcrumbs") or {}).get("values", []):
        data = breadcrumb.get("data")
        if isinstance(data, dict):
            if "url" in data:
                data["url"] = str(data["url"]).split("?", 1)[0]
            data.pop("http.query", None)
            breadcrumb["data"] = scrub(data)
        if isinstance(breadcrumb.get("message"), str):
            breadcrumb["message"] = EMAIL.sub(FILTERED, breadcrumb["message"])
    return event


def init_sentry(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> bool:
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.logging import ignore_logger

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,
        before_send_transaction=before_send,
    )
    # django-q logs failed tasks with a random name; they are captured by our task wrapper instead.
    ignore_logger("django-q")
    return True
