"""Local development and the demo (`make run`): safe defaults, e-mails kept in the database."""

import os

os.environ.setdefault("DJANGO_ENV", "development")

from .base import *  # noqa: E402,F403
from .base import env, env_list  # noqa: E402

DEBUG = True
SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-secret-key-not-for-production")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
BASE_URL = env("BASE_URL", f"http://127.0.0.1:{env('PORT', '8000')}")
CSRF_TRUSTED_ORIGINS = [BASE_URL]

# E-mails are stored as OutgoingEmail rows and browsable at /dev/emails/; nothing leaves.
NOTIFICATIONS_DELIVERY_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Public APIs: the fakes served on loopback by `manage.py sandbox_serve` (started by `make run`).
SANDBOX_PORT = int(env("SANDBOX_PORT", "8001"))
COMPANY_DIRECTORY_URL = env(
    "COMPANY_DIRECTORY_URL", f"http://127.0.0.1:{SANDBOX_PORT}/recherche-entreprises"
).rstrip("/")
ADDRESS_BASE_URL = env("ADDRESS_BASE_URL", f"http://127.0.0.1:{SANDBOX_PORT}/geoplateforme").rstrip(
    "/"
)

# Ticketing: a fixed development key, and every provider answered by its loopback sandbox.
TICKETING_CREDENTIALS_KEYS = env_list(
    "TICKETING_CREDENTIALS_KEYS", "ZGV2LW9ubHkta2V5LWZvci1hc3Npc3RhbnQtZGVjbDE="
)
TICKETING_BASE_URLS = {
    provider: env(f"{provider.upper()}_URL", f"http://127.0.0.1:{SANDBOX_PORT}/{provider}")
    for provider in ("billetweb", "mapado", "helloasso", "shotgun")
}
TICKETING_BASE_URLS["supersoniks"] = env(
    "SUPERSONIKS_URL", f"http://127.0.0.1:{SANDBOX_PORT}/supersoniks/{{domain}}/api/v2"
)
TICKETING_ALLOW_PRIVATE_HOSTS = True

# Declarations: SACD and SIBIL answered by their loopback sandboxes, with the demo provider account.
SACD_API = {
    "BASE_URL": env("SACD_API_BASE_URL", f"http://127.0.0.1:{SANDBOX_PORT}/sacd"),
    "CONSUMER_KEY": "demo-consumer-key",
    "SECRET_KEY": "demo-secret-key",
    "PROVIDER_NAME": "ASSISTANT_DECLARATION",
    "PROVIDER_REFFILE": "demo-reffile",
    "PROVIDER_PASSWORD": "demo-password",
}
SIBIL_API_BASE_URL = env("SIBIL_API_BASE_URL", f"http://127.0.0.1:{SANDBOX_PORT}/sibil")
