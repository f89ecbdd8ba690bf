"""SQL queries per page: fixed numbers, so that a regression shows up as a failing test."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_for_an_anonymous_visitor(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(reverse("pages:home")).status_code == 200


def test_home_page_for_a_signed_in_user(client, user, django_assert_num_queries):
    client.force_login(user)
    with django_assert_num_queries(2):  # the session, the user
        assert client.get(reverse("pages:home")).status_code == 200


def test_account_page(client, user, django_assert_num_queries):
    client.force_login(user)
    with django_assert_num_queries(2):  # the session, the user
        assert client.get(reverse("accounts:settings")).status_code == 200
