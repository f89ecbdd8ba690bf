import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _real_email_pipeline(settings):
    """Django's test set-up swaps EMAIL_BACKEND for locmem; put ours back so that every
    e-mail goes through OutgoingEmail and the delivery task (whose backend is locmem)."""
    settings.EMAIL_BACKEND = "notifications.backends.QueuedEmailBackend"


@pytest.fixture(autouse=True)
def _isolated_cache():
    yield
    cache.clear()


@pytest.fixture
def user(db):
    from tests.factories import UserFactory

    return UserFactory()
