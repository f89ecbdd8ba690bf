from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessRequest, Invitation, Membership, Organisation, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(email="support@exemple.fr", is_staff=True, is_superuser=True))
    return client


def make_organisation(index: int = 0, **fields) -> Organisation:
    values = {
        "name": f"Compagnie {index}",
        "siren": f"{index:09d}",
        "head_office_siret": f"{index:09d}99999",
        "street": "12 rue de la Roquette",
        "postal_code": "75011",
        "city": "Paris",
        **fields,
    }
    return Organisation.objects.create(**values)


def populate(count: int) -> None:
    """`count` organisations, each with an owner, a member, an invitation and an access request."""
    now = timezone.now()
    for index in range(count):
        organisation = make_organisation(index, needs_review=index % 2 == 0)
        owner = UserFactory()
        Membership.objects.create(organisation=organisation, user=owner, role=Role.OWNER)
        Membership.objects.create(organisation=organisation, user=UserFactory())
        Invitation.objects.create(
            organisation=organisation,
            email=f"invite{index}@exemple.fr",
            invited_by=owner,
            expires_at=now + timedelta(days=7),
            nonce="a" * 32,
        )
        AccessRequest.objects.create(organisation=organisation, user=UserFactory())


PAGES = [
    ("admin:accounts_organisation_changelist", {}),
    ("admin:accounts_organisation_changelist", {"q": "compagnie"}),
    ("admin:accounts_organisation_changelist", {"needs_review__exact": "1"}),
    ("admin:accounts_organisation_changelist", {"o": "-7"}),  # by member count
    ("admin:accounts_membership_changelist", {}),
    ("admin:accounts_membership_changelist", {"q": "compagnie"}),
    ("admin:accounts_membership_changelist", {"role__exact": "owner"}),
    ("admin:accounts_invitation_changelist", {}),
    ("admin:accounts_invitation_changelist", {"q": "invite"}),
    ("admin:accounts_invitation_changelist", {"status": "pending"}),
    ("admin:accounts_accessrequest_changelist", {}),
    ("admin:accounts_accessrequest_changelist", {"q": "compagnie"}),
]


@pytest.mark.parametrize("count", [1, 30])
@pytest.mark.parametrize(("url_name", "params"), PAGES)
def test_changelists_answer_with_a_bounded_number_of_queries(
    superuser_client, django_assert_max_num_queries, count, url_name, params
):
    populate(count)
    # The session, the user, two counts (filtered and total), the page of rows.
    with django_assert_max_num_queries(5):
        response = superuser_client.get(reverse(url_name), params)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 1


def test_organisation_list_counts_members_and_filters(superuser_client):
    populate(3)
    url = reverse("admin:accounts_organisation_changelist")

    rows = superuser_client.get(url).context["cl"].result_list
    assert [row.member_count_value for row in rows] == [2, 2, 2]

    found = superuser_client.get(url, {"q": "000000002"}).context["cl"].result_list
    assert [organisation.name for organisation in found] == ["Compagnie 2"]
    to_review = superuser_client.get(url, {"needs_review__exact": "1"}).context["cl"].result_list
    assert sorted(organisation.name for organisation in to_review) == [
        "Compagnie 0",
        "Compagnie 2",
    ]


def test_invitation_nonce_is_never_shown(superuser_client):
    populate(1)
    invitation = Invitation.objects.get()
    response = superuser_client.get(
        reverse("admin:accounts_invitation_change", args=[invitation.pk])
    )
    assert response.status_code == 200
    assert "a" * 32 not in response.content.decode()
    assert b'name="email"' not in response.content
    assert superuser_client.get(reverse("admin:accounts_invitation_add")).status_code == 403
    assert superuser_client.get(reverse("admin:accounts_accessrequest_add")).status_code == 403


@pytest.fixture
def organisation_with_owner():
    organisation = make_organisation(
        name="Théâtre des Étoiles", siren="732829320", head_office_siret="73282932000074"
    )
    owner = UserFactory(email="proprietaire@exemple.fr")
    membership = Membership.objects.create(organisation=organisation, user=owner, role=Role.OWNER)
    return organisation, membership


def change_form_data(organisation: Organisation, memberships: list[dict]) -> dict:
    """The organisation change form as the browser posts it, with its two inlines."""
    existing = [row for row in memberships if row.get("id")]
    data = {
        "name": organisation.name,
        "siren": organisation.siren,
        "head_office_siret": organisation.head_office_siret,
        "street": organisation.street,
        "postal_code": organisation.postal_code,
        "city": organisation.city,
        "sacem_id": organisation.sacem_id,
        "sacd_id": organisation.sacd_id,
        "review_reasons": organisation.review_reasons,
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(len(existing)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "invitations-TOTAL_FORMS": "0",
        "invitations-INITIAL_FORMS": "0",
        "invitations-MIN_NUM_FORMS": "0",
        "invitations-MAX_NUM_FORMS": "0",
    }
    if organisation.needs_review:
        data["needs_review"] = "on"
    for index, row in enumerate(memberships):
        data[f"memberships-{index}-organisation"] = str(organisation.pk)
        for key, value in row.items():
            data[f"memberships-{index}-{key}"] = str(value)
    return data


def test_change_form_opens(superuser_client, organisation_with_owner):
    organisation, _ = organisation_with_owner
    response = superuser_client.get(
        reverse("admin:accounts_organisation_change", args=[organisation.pk])
    )
    assert response.status_code == 200
    assert "proprietaire@exemple.fr" in response.content.decode()


def test_admin_attaches_a_user_through_the_organisation_form(
    superuser_client, organisation_with_owner
):
    organisation, owner_membership = organisation_with_owner
    newcomer = UserFactory(first_name="Sacha", email="sacha@exemple.fr")
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])

    response = superuser_client.post(
        url,
        change_form_data(
            organisation,
            [
                {"id": owner_membership.pk, "user": owner_membership.user_id, "role": "owner"},
                {"user": newcomer.pk, "role": "member"},
            ],
        ),
    )

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    membership = Membership.objects.get(organisation=organisation, user=newcomer)
    assert membership.role == Role.MEMBER
    [welcome] = mail.outbox
    assert welcome.to == ["sacha@exemple.fr"]
    assert welcome.subject == "Bienvenue dans l'organisation Théâtre des Étoiles"
    assert "Bonjour Sacha," in welcome.body


def test_the_organisation_form_keeps_an_owner(superuser_client, organisation_with_owner):
    organisation, owner_membership = organisation_with_owner
    newcomer = UserFactory()
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])

    response = superuser_client.post(
        url,
        change_form_data(
            organisation,
            [
                {"id": owner_membership.pk, "user": owner_membership.user_id, "role": "member"},
                {"user": newcomer.pk, "role": "member"},
            ],
        ),
    )

    assert response.status_code == 200
    assert "au moins un propriétaire" in response.content.decode()
    assert Membership.objects.get(pk=owner_membership.pk).role == Role.OWNER
    assert not Membership.objects.filter(user=newcomer).exists()
    assert mail.outbox == []


def test_the_organisation_form_refuses_a_duplicate_member(
    superuser_client, organisation_with_owner
):
    organisation, owner_membership = organisation_with_owner
    response = superuser_client.post(
        reverse("admin:accounts_organisation_change", args=[organisation.pk]),
        change_form_data(
            organisation,
            [
                {"id": owner_membership.pk, "user": owner_membership.user_id, "role": "owner"},
                {"user": owner_membership.user_id, "role": "member"},
            ],
        ),
    )
    assert response.status_code == 200
    assert Membership.objects.filter(organisation=organisation).count() == 1
    assert mail.outbox == []


def test_admin_adds_a_membership_from_the_membership_page(
    superuser_client, organisation_with_owner
):
    organisation, _ = organisation_with_owner
    newcomer = UserFactory(first_name="Lou", email="lou@exemple.fr")

    response = superuser_client.post(
        reverse("admin:accounts_membership_add"),
        {"organisation": organisation.pk, "user": newcomer.pk, "role": "owner"},
    )

    assert response.status_code == 302
    assert Membership.objects.get(user=newcomer).role == Role.OWNER
    [welcome] = mail.outbox
    assert welcome.to == ["lou@exemple.fr"]
    assert "En tant que propriétaire" in welcome.body


def test_a_member_alone_cannot_be_attached_to_an_organisation_without_owner(superuser_client):
    organisation = make_organisation(1)
    newcomer = UserFactory()

    response = superuser_client.post(
        reverse("admin:accounts_membership_add"),
        {"organisation": organisation.pk, "user": newcomer.pk, "role": "member"},
    )

    assert response.status_code == 200
    assert "au moins un propriétaire" in response.content.decode()
    assert not Membership.objects.exists()
    assert mail.outbox == []


def test_the_last_owner_cannot_be_removed_while_members_remain(
    superuser_client, organisation_with_owner
):
    organisation, owner_membership = organisation_with_owner
    Membership.objects.create(organisation=organisation, user=UserFactory())
    url = reverse("admin:accounts_membership_delete", args=[owner_membership.pk])

    response = superuser_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert Membership.objects.filter(pk=owner_membership.pk).exists()


def test_user_autocomplete_for_memberships(superuser_client, organisation_with_owner):
    UserFactory(email="sacha@exemple.fr")
    response = superuser_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "accounts",
            "model_name": "membership",
            "field_name": "user",
            "term": "sacha",
        },
    )
    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["sacha@exemple.fr"]


def test_mark_as_verified_action(superuser_client):
    flagged = make_organisation(1, needs_review=True, review_reasons="Adresse non reconnue.")
    untouched = make_organisation(2, needs_review=True, review_reasons="SIRET absent.")

    response = superuser_client.post(
        reverse("admin:accounts_organisation_changelist"),
        {"action": "mark_verified", "_selected_action": [flagged.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 organisation(s) marquée(s) comme vérifiée(s)." in response.content.decode()
    flagged.refresh_from_db()
    untouched.refresh_from_db()
    assert (flagged.needs_review, flagged.review_reasons) == (False, "")
    assert (untouched.needs_review, untouched.review_reasons) == (True, "SIRET absent.")


def test_revoke_action(superuser_client, organisation_with_owner):
    organisation, owner_membership = organisation_with_owner
    now = timezone.now()
    pending = Invitation.objects.create(
        organisation=organisation,
        email="attente@exemple.fr",
        expires_at=now + timedelta(days=7),
        nonce="b" * 32,
    )
    accepted = Invitation.objects.create(
        organisation=organisation,
        email="accepte@exemple.fr",
        expires_at=now + timedelta(days=7),
        nonce="c" * 32,
        accepted_at=now,
        accepted_by=owner_membership.user,
    )

    response = superuser_client.post(
        reverse("admin:accounts_invitation_changelist"),
        {"action": "revoke", "_selected_action": [pending.pk, accepted.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 invitation(s) révoquée(s)." in response.content.decode()
    pending.refresh_from_db()
    accepted.refresh_from_db()
    assert pending.status == "Révoquée"
    assert accepted.status == "Acceptée"
    assert accepted.revoked_at is None


def test_deleting_an_organisation_still_works(superuser_client):
    populate(1)
    organisation = Organisation.objects.get()
    response = superuser_client.post(
        reverse("admin:accounts_organisation_delete", args=[organisation.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Organisation.objects.exists()
    assert not Invitation.objects.exists()


def test_an_unconfirmed_account_cannot_be_attached(superuser_client):
    organisation = make_organisation(1)
    pending = UserFactory(is_active=False, email_confirmed_at=None)
    response = superuser_client.post(
        reverse("admin:accounts_membership_add"),
        {"organisation": organisation.pk, "user": pending.pk, "role": "owner"},
    )
    assert response.status_code == 200
    assert "pas actif" in response.content.decode()
    assert not Membership.objects.exists()
