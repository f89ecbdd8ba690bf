"""SQL queries per page: fixed numbers, so that a regression shows up as a failing test."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_for_an_anonymous_visitor(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(reverse("pages:home")).status_code == 200


def test_home_page_for_a_signed_in_user(client, user, django_assert_num_queries):
    client.force_login(user)
    with django_assert_num_queries(3):  # the session, the user, the header's organisations
        assert client.get(reverse("pages:home")).status_code == 200


def test_account_page(client, user, django_assert_num_queries):
    client.force_login(user)
    with django_assert_num_queries(3):  # the session, the user, the header's organisations
        assert client.get(reverse("accounts:settings")).status_code == 200


@pytest.mark.parametrize("members", [1, 50])
def test_organisation_home_does_not_grow_with_the_team(client, members, django_assert_num_queries):
    from accounts.models import Role
    from tests.factories import MembershipFactory

    owner = MembershipFactory(role=Role.OWNER)
    MembershipFactory.create_batch(members - 1, organisation=owner.organisation)
    client.force_login(owner.user)
    url = reverse("organisations:home", args=[owner.organisation_id])
    # session, user, membership + organisation, member count, header's organisations
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("members", [1, 50])
def test_team_page_does_not_grow_with_the_team(client, members, django_assert_num_queries):
    from accounts.models import Role
    from tests.factories import MembershipFactory

    owner = MembershipFactory(role=Role.OWNER)
    MembershipFactory.create_batch(members - 1, organisation=owner.organisation)
    client.force_login(owner.user)
    url = reverse("organisations:team", args=[owner.organisation_id])
    # session, user, membership + organisation, members + users, invitations, access
    # requests, header's organisations
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200
