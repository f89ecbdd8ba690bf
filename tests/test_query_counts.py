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
    # session, user, membership + organisation, shows count, alert count, last syncs, header's
    # organisations (no show: no list query)
    with django_assert_num_queries(7):
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


@pytest.mark.parametrize("count", [1, 30])
def test_organisation_home_does_not_grow_with_the_shows(client, count, django_assert_num_queries):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Role
    from tests.factories import MembershipFactory
    from ticketing.models import Performance, Show, TicketingSystem

    owner = MembershipFactory(role=Role.OWNER)
    system = TicketingSystem.objects.create(organisation=owner.organisation, provider="manual")
    ended = timezone.now() - timedelta(days=3)
    for n in range(count):
        show = Show.objects.create(
            ticketing_system=system,
            organisation=owner.organisation,
            external_id=str(n),
            name=f"Spectacle {n}",
            first_starts_at=ended,
            last_ends_at=ended,
        )
        Performance.objects.create(show=show, external_id="1", starts_at=ended)
    client.force_login(owner.user)
    url = reverse("organisations:home", args=[owner.organisation_id])
    with django_assert_num_queries(8):  # the 7 above and the page of shows
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == count
