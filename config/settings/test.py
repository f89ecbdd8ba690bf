"""Test settings: the embedded PostgreSQL, tasks run in-process, e-mails in memory."""

import os

os.environ.setdefault("DJANGO_ENV", "test")

from .base import *  # noqa: E402,F403
from .base import Q_CLUSTER, STORAGES  # noqa: E402

DEBUG = False
SECRET_KEY = "test-secret-key"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
BASE_URL = "http://testserver"
CSRF_TRUSTED_ORIGINS = [BASE_URL]

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
NOTIFICATIONS_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Fast hashing in tests; a dedicated test checks the production hasher list.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = True

# Public APIs: answered in-process by ticketing/sandbox/ (httpx.MockTransport); no socket opens.
HTTP_SANDBOX = True
COMPANY_DIRECTORY_URL = "http://sandbox.test/recherche-entreprises"
ADDRESS_BASE_URL = "http://sandbox.test/geoplateforme"

# Ticketing: every provider answered in-process by its sandbox.
TICKETING_CREDENTIALS_KEYS = ["dGVzdC1vbmx5LWtleS1mb3ItYXNzaXN0YW50LWRlY2w="]
TICKETING_BASE_URLS = {
    "billetweb": "http://sandbox.test/billetweb",
    "mapado": "http://sandbox.test/mapado",
    "helloasso": "http://sandbox.test/helloasso",
    "shotgun": "http://sandbox.test/shotgun",
    "supersoniks": "http://sandbox.test/supersoniks/{domain}/api/v2",
}
TICKETING_RATE_BUDGETS = False

# Declarations: SACD and SIBIL answered in-process by their sandboxes.
SACD_API = {
    "BASE_URL": "http://sandbox.test/sacd",
    "CONSUMER_KEY": "demo-consumer-key",
    "SECRET_KEY": "demo-secret-key",
    "PROVIDER_NAME": "ASSISTANT_DECLARATION",
    "PROVIDER_REFFILE": "demo-reffile",
    "PROVIDER_PASSWORD": "demo-password",
}
SIBIL_API_BASE_URL = "http://sandbox.test/sibil"

# Uploaded and transmitted files go to a throw-away folder.
import tempfile  # noqa: E402

MEDIA_ROOT = tempfile.mkdtemp(prefix="assistant-media-")
