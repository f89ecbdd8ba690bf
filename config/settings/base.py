"""Settings shared by every environment, all read from environment variables.

This module is the production configuration: `dev.py` and `test.py` import it after
choosing their environment. In production a missing required variable stops the start-up.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from config.sentry import init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent.parent

ENVIRONMENT = os.environ.get("DJANGO_ENV", "production")
IS_PRODUCTION = ENVIRONMENT == "production"


def env(name: str, default: str = "", *, required: bool = False) -> str:
    value = os.environ.get(name, "").strip()
    if not value and required and IS_PRODUCTION:
        raise ImproperlyConfigured(f"The environment variable {name} is required in production.")
    return value or default


def env_list(name: str, default: str = "", *, required: bool = False) -> list[str]:
    return [
        item.strip() for item in env(name, default, required=required).split(",") if item.strip()
    ]


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env("DJANGO_SECRET_KEY", required=True)
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", required=True)
BASE_URL = env("BASE_URL", required=True).rstrip("/")
CSRF_TRUSTED_ORIGINS = [BASE_URL] if BASE_URL else []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "widget_tweaks",
    "dsfr",
    "django_q",
    "axes",
    "accounts",
    "notifications",
    "ticketing",
    "declarations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "accounts.context_processors.organisations",
            ],
        },
    },
]

# --- Database: PostgreSQL only --------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", required=True)
if not DATABASE_URL:
    from config.embedded_postgres import embedded_database_url

    DATABASE_URL = embedded_database_url()
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and authentication --------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# The e-mail is unique through a case-insensitive constraint (Lower(email)), which this check ignores.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "pages:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
PASSWORD_MIN_LENGTH = 12
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Links sent by e-mail (confirmation, password reset) are valid this long.
PASSWORD_RESET_TIMEOUT = 60 * 60
ACCOUNT_CONFIRMATION_TIMEOUT = 3 * 24 * 60 * 60
TERMS_VERSION = "2026-12-01"

# Server-side sessions in PostgreSQL.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 14 * 24 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Login throttling: the (account, IP) pair is locked after 5 failures, for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
AXES_USERNAME_CALLABLE = "accounts.throttling.login_identifier"
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
# Reverse proxies in front of the app that append to X-Forwarded-For (Scalingo's router: 1).
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "1" if IS_PRODUCTION else "0"))
AXES_VERBOSE = False

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The declaration form of a long run posts about 21 fields per performance (500: 10,500).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 25_000

# Uploaded attachments and the documents of each transmission (Django's storage API; files
# are served only through views that check membership).
MEDIA_ROOT = env("MEDIA_ROOT", str(BASE_DIR / ".data" / "media"))
MEDIA_URL = "/media/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- django-dsfr ------------------------------------------------------------------------------
DSFR_MARK_OPTIONAL_FIELDS = True
DSFR_CONTENT_IS_SAFE = False
DSFR_USE_INTEGRITY_CHECKSUMS = True

# --- Background tasks (django-q2, ORM broker on the same PostgreSQL) --------------------------
Q_CLUSTER = {
    "name": "assistant",
    "orm": "default",
    "workers": int(env("Q_WORKERS", "2")),
    # A ticketing sync may run up to SYNC_TIMEOUT_SECONDS (ticketing/sync.py sets it per task);
    # `retry` must exceed every task's timeout, or a running task would be handed out twice.
    "timeout": 300,
    "retry": 3700,
    "max_attempts": 5,
    "catch_up": False,
    "save_limit": 1000,
    "queue_limit": 20,
    "bulk": 1,
    "poll": 1,
    "label": "Tâches",
}

# --- E-mail -----------------------------------------------------------------------------------
# Every message is stored as an OutgoingEmail and delivered by a task (notifications/).
EMAIL_BACKEND = "notifications.backends.QueuedEmailBackend"
NOTIFICATIONS_DELIVERY_BACKEND = "notifications.backends.FailoverEmailBackend"
NOTIFICATIONS_PRIMARY_BACKEND = "anymail.backends.scaleway.EmailBackend"
NOTIFICATIONS_FALLBACK_BACKEND = "anymail.backends.brevo.EmailBackend"
ANYMAIL = {
    "SCALEWAY_SECRET_KEY": env("SCALEWAY_TEM_SECRET_KEY", required=True),
    "SCALEWAY_PROJECT_ID": env("SCALEWAY_TEM_PROJECT_ID", required=True),
    "SCALEWAY_REGION": env("SCALEWAY_TEM_REGION", "fr-par"),
    "BREVO_API_KEY": env("BREVO_API_KEY"),
}
DEFAULT_FROM_EMAIL = env(
    "EMAIL_FROM", "Assistant déclaration <noreply@assistant-declaration.beta.gouv.fr>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CONTACT_EMAIL = env("CONTACT_EMAIL", "contact@assistant-declaration.beta.gouv.fr")
SECURITY_CONTACT_EMAIL = env("SECURITY_CONTACT_EMAIL", CONTACT_EMAIL)
# Recipients on these domains are dropped (and logged) outside production.
MAILER_DOMAINS_TO_CATCH = [] if IS_PRODUCTION else env_list("MAILER_DOMAINS_TO_CATCH")

# --- Public APIs: company directory and national address base -------------------------------
# Called through config.http.http_client (explicit timeout, User-Agent). Tests set HTTP_SANDBOX,
# so the fakes in ticketing/sandbox/ answer in-process; the demo serves them on loopback.
COMPANY_DIRECTORY_URL = env(
    "COMPANY_DIRECTORY_URL", "https://recherche-entreprises.api.gouv.fr"
).rstrip("/")
ADDRESS_BASE_URL = env("ADDRESS_BASE_URL", "https://data.geopf.fr").rstrip("/")
PUBLIC_API_TIMEOUT_SECONDS = 3
HTTP_SANDBOX = False

# --- Ticketing providers ------------------------------------------------------------------------
# Fernet keys (comma-separated, newest first) encrypting the ticketing credentials at rest. After
# adding a key in front, `manage.py ticketing_reencrypt` rewrites every credential with it.
TICKETING_CREDENTIALS_KEYS = env_list("TICKETING_CREDENTIALS_KEYS", required=True)
# Each can point at a sandbox (ticketing/sandbox/). Supersoniks and SoTicket live on each
# customer's own domain: {domain} is replaced by the access key.
TICKETING_BASE_URLS = {
    "billetweb": env("BILLETWEB_URL", "https://www.billetweb.fr/api").rstrip("/"),
    "mapado": env("MAPADO_URL", "https://ticketing.mapado.net").rstrip("/"),
    "helloasso": env("HELLOASSO_URL", "https://api.helloasso.com").rstrip("/"),
    "shotgun": env("SHOTGUN_URL", "https://smartboard-api.shotgun.live").rstrip("/"),
    "supersoniks": env("SUPERSONIKS_URL", "https://{domain}/api/v2").rstrip("/"),
}
# Outbound calls to a user-given host refuse private and loopback addresses unless this is set
# (development, where the sandboxes listen on 127.0.0.1).
TICKETING_ALLOW_PRIVATE_HOSTS = False
# Requests wait for the provider's shared budget (ticketing/rate_budget.py). Off in tests only,
# where the sandboxes answer in-process and time does not pass.
TICKETING_RATE_BUDGETS = True

# --- Declarations: the SACD and SIBIL web services ----------------------------------------------
# SACD identifies the platform with a provider account (the declarant is named inside the XML);
# an empty base URL means SACD teletransmission is not configured and is refused with a message.
SACD_API = {
    "BASE_URL": env("SACD_API_BASE_URL", "").rstrip("/"),
    "CONSUMER_KEY": env("SACD_API_CONSUMER_KEY", ""),
    "SECRET_KEY": env("SACD_API_SECRET_KEY", ""),
    "PROVIDER_NAME": env("SACD_API_PROVIDER_NAME", "ASSISTANT_DECLARATION"),
    "PROVIDER_REFFILE": env("SACD_API_PROVIDER_REFFILE", ""),
    "PROVIDER_PASSWORD": env("SACD_API_PROVIDER_PASSWORD", ""),
}
# SIBIL: each organisation logs in with its own technical account (stored encrypted).
SIBIL_API_BASE_URL = env("SIBIL_API_BASE_URL", "").rstrip("/")
DECLARATIONS_API_TIMEOUT_SECONDS = 30

# --- Third parties, all optional --------------------------------------------------------------
CRISP_WEBSITE_ID = env("CRISP_WEBSITE_ID")
CRISP_SIGNING_KEY = env("CRISP_SIGNING_KEY")
MATOMO_URL = env("MATOMO_URL").rstrip("/")
MATOMO_SITE_ID = env("MATOMO_SITE_ID")
SENTRY_DSN = env("SENTRY_DSN")
init_sentry(
    dsn=SENTRY_DSN,
    environment=env("SENTRY_ENVIRONMENT", ENVIRONMENT),
    release=env("SENTRY_RELEASE"),
    traces_sample_rate=float(env("SENTRY_TRACES_SAMPLE_RATE", "0")),
)

# --- Security headers -------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if IS_PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
# Flash messages live in the server-side session: no extra cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
X_FRAME_OPTIONS = "DENY"

_matomo = [MATOMO_URL] if MATOMO_URL else []
_crisp_scripts = ["https://client.crisp.chat"] if CRISP_WEBSITE_ID else []
# Hosts and sources Crisp's documentation asks for (chat box, uploads, real-time relay).
_crisp_connect = (
    [
        "https://client.crisp.chat",
        "https://storage.crisp.chat",
        "wss://client.relay.crisp.chat",
        "wss://stream.relay.crisp.chat",
    ]
    if CRISP_WEBSITE_ID
    else []
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE, *_matomo, *_crisp_scripts],
        "style-src": ["'self'", "'unsafe-inline'", *_crisp_scripts],
        "img-src": [
            "'self'",
            "data:",
            *_matomo,
            *(
                [
                    "https://client.crisp.chat",
                    "https://image.crisp.chat",
                    "https://storage.crisp.chat",
                ]
                if CRISP_WEBSITE_ID
                else []
            ),
        ],
        "worker-src": ["'self'", *(["blob:"] if CRISP_WEBSITE_ID else [])],
        "font-src": ["'self'", "data:", *_crisp_scripts],
        "connect-src": ["'self'", *_matomo, *_crisp_connect],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        # WeasyPrint and fontTools log every step of a PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # httpx logs every request URL at INFO, query string included (searched names, addresses).
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
