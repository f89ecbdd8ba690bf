import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _isolated_cache():
    yield
    cache.clear()


@pytest.fixture
def user(db):
    from tests.factories import UserFactory

    return UserFactory()
