import pytest
from django.conf import settings as django_settings

QUEUED_BACKEND = "notifications.backends.QueuedEmailBackend"
LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def queued_email_backend(settings):
    """Django's test set-up swaps EMAIL_BACKEND for locmem: put the project's backend back.

    Messages are then stored as OutgoingEmail rows and, with django-q2 in sync mode, delivered
    at once through NOTIFICATIONS_DELIVERY_BACKEND (locmem in the test settings).
    """
    settings.EMAIL_BACKEND = QUEUED_BACKEND
    settings.NOTIFICATIONS_DELIVERY_BACKEND = LOCMEM_BACKEND
    settings.MAILER_DOMAINS_TO_CATCH = []


@pytest.fixture
def q_async(monkeypatch):
    """Leave tasks in the ORM queue instead of running them in-process."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)


@pytest.fixture
def email_templates(settings):
    """Serve extra templates from memory, in front of the project's own (emails/base.html…)."""
    templates: dict[str, str] = {}
    engine = django_settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {
            **engine,
            "APP_DIRS": False,
            "OPTIONS": {
                **engine["OPTIONS"],
                "loaders": [
                    ("django.template.loaders.locmem.Loader", templates),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]
    return templates
