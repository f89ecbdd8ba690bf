"""Sentry error reporting: initialised only when SENTRY_DSN is set, never with personal data."""

import re
from typing import Any

SENSITIVE_KEY = re.compile(
    r"pass|secret|token|key|auth|credential|cookie|session|csrf|email|signature", re.IGNORECASE
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# /<uidb64>/<token>/ in confirmation and password-reset links.
LINK_TOKEN = re.compile(r"/[\w-]+/[0-9a-z]+-[0-9a-f]{20,}/")
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
        return scrub_text(value)
    return value


def scrub_text(text: str) -> str:
    return LINK_TOKEN.sub(f"/{FILTERED}/", EMAIL.sub(FILTERED, text))


def before_send(event: dict, hint: dict) -> dict:
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)
        if isinstance(request.get("url"), str):
            request["url"] = scrub_text(request["url"])
        if request.get("query_string"):
            request["query_string"] = FILTERED
        if "headers" in request:
            request["headers"] = scrub(request["headers"])
    for key in ("extra", "contexts"):
        if key in event:
            event[key] = scrub(event[key])
    if isinstance(event.get("transaction"), str):
        event["transaction"] = scrub_text(event["transaction"])
    for exception in (event.get("exception") or {}).get("values", []):
        if isinstance(exception.get("value"), str):
            exception["value"] = scrub_text(exception["value"])
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        if isinstance(logentry.get("message"), str):
            logentry["message"] = scrub_text(logentry["message"])
        if logentry.get("params"):
            logentry["params"] = scrub(logentry["params"])
    for breadcrumb in (event.get("breadcrumbs") or {}).get("values", []):
        data = breadcrumb.get("data")
        if isinstance(data, dict):
            if "url" in data:
                data["url"] = scrub_text(str(data["url"]).split("?", 1)[0])
            data.pop("http.query", None)
            breadcrumb["data"] = scrub(data)
        if isinstance(breadcrumb.get("message"), str):
            breadcrumb["message"] = scrub_text(breadcrumb["message"])
    return event


def init_sentry(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> bool:
    if not dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        # Stack frames' local variables may hold passwords and e-mails (a form's cleaned_data).
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,
        before_send_transaction=before_send,
    )
    # Failed django-q2 tasks reach Sentry through the "django-q" logger's ERROR records.
    return True
