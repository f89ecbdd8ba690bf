"""Creating an organisation: from the company directory, by hand when it is down, and the
unique SIREN with its access request. The directory and address base are the sandbox fakes."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AccessRequest, Membership, Organisation, Role
from tests.factories import MembershipFactory
from ticketing.sandbox import faults
from ticketing.sandbox.faults import Fault

pytestmark = pytest.mark.django_db

LUNE_ROUSSE = {
    "name": "Théâtre de la Lune Rousse",
    "siren": "784 125 635",
    "siret": "784 125 635 00028",
    "street": "12 Rue de la Martinière",
    "postal_code": "69001",
    "city": "Lyon",
}


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _no_fault_left():
    yield
    faults.clear()


def test_a_user_without_organisation_is_welcomed(signed_in):
    page = signed_in.get(reverse("pages:dashboard")).content.decode()
    assert "Créer une organisation" in page
    assert "Demandez-lui une invitation" in page


def test_search_shows_name_formatted_siret_and_address(signed_in):
    response = signed_in.get(reverse("organisations:search"), {"q": "lune rousse"})
    page = response.content.decode()
    assert "THEATRE DE LA LUNE ROUSSE" in page
    assert "784 125 635 00028" in page
    assert "69001" in page
    assert "?siret=78412563500028" in page


def test_a_short_query_is_refused_with_a_french_message(signed_in):
    page = signed_in.get(reverse("organisations:search"), {"q": "ab"}).content.decode()
    assert "Saisissez au moins 3 caractères." in page


def test_choosing_a_company_prefills_name_and_normalised_address(signed_in):
    response = signed_in.get(reverse("organisations:create"), {"siret": "78412563500028"})
    form = response.context["form"]
    assert form.initial["name"] == "THEATRE DE LA LUNE ROUSSE"
    assert form.initial["siren"] == "784125635"
    assert form.initial["postal_code"] == "69001"
    assert form.initial["city"] == "Lyon"
    assert form.initial["street"].startswith("12 ")


def test_creation_from_the_directory_is_not_flagged(signed_in, user):
    response = signed_in.post(reverse("organisations:create"), LUNE_ROUSSE)
    organisation = Organisation.objects.get()
    assert response.url == reverse("organisations:home", args=[organisation.pk])
    assert organisation.siren == "784125635"
    assert organisation.head_office_siret == "78412563500028"
    assert not organisation.needs_review, organisation.review_reasons
    assert Membership.objects.get(organisation=organisation).user == user
    assert Membership.objects.get(organisation=organisation).role == Role.OWNER


def test_directory_down_the_search_offers_the_manual_form(signed_in):
    with faults.inject("company_directory", Fault.UNAVAILABLE):
        page = signed_in.get(reverse("organisations:search"), {"q": "lune"}).content.decode()
    assert "ne répond pas" in page
    assert reverse("organisations:create") in page


@pytest.mark.parametrize("fault", [Fault.TIMEOUT, Fault.SERVER_ERROR, Fault.MALFORMED])
def test_directory_down_the_organisation_is_created_and_flagged(signed_in, fault):
    with faults.inject("company_directory", fault):
        response = signed_in.post(reverse("organisations:create"), LUNE_ROUSSE)
    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert organisation.needs_review
    assert "Annuaire des entreprises indisponible" in organisation.review_reasons


def test_address_base_down_the_typed_address_is_kept_and_flagged(signed_in):
    data = {**LUNE_ROUSSE, "street": "12 rue martiniere"}
    with faults.inject("address_base", Fault.UNAVAILABLE):
        signed_in.post(reverse("organisations:create"), data)
    organisation = Organisation.objects.get()
    assert organisation.street == "12 rue martiniere"
    assert organisation.needs_review
    assert "Base adresse nationale indisponible" in organisation.review_reasons


def test_a_non_diffusible_company_is_created_by_hand_and_flagged(signed_in):
    response = signed_in.get(reverse("organisations:create"), {"siret": "90318264000016"})
    assert "name" not in response.context["form"].initial
    assert "non diffusible" in response.content.decode()
    signed_in.post(
        reverse("organisations:create"),
        {
            "name": "Claire Moreau Spectacles",
            "siren": "903182640",
            "siret": "90318264000016",
            "street": "3 Cours Napoléon",
            "postal_code": "20000",
            "city": "Ajaccio",
        },
    )
    organisation = Organisation.objects.get()
    assert organisation.needs_review
    assert "non diffusible" in organisation.review_reasons


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siren", "78412563", "9 chiffres"),
        ("siren", "784125636", "n'est pas valide"),
        ("siret", "7841256350002", "14 chiffres"),
        ("siret", "78412563500029", "n'est pas valide"),
        ("siret", "84127793200015", "doit commencer par le numéro SIREN"),
        ("postal_code", "6900", "5 chiffres"),
        ("name", "", "Ce champ est obligatoire"),
    ],
)
def test_invalid_identifiers_are_explained_and_nothing_is_created(signed_in, field, value, message):
    response = signed_in.post(reverse("organisations:create"), {**LUNE_ROUSSE, field: value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Organisation.objects.exists()


def test_a_la_poste_establishment_siret_is_accepted(signed_in):
    response = signed_in.post(
        reverse("organisations:create"),
        {
            **LUNE_ROUSSE,
            "name": "Bureau de poste",
            "siren": "356000000",
            "siret": "35600000003120",
        },
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get()
    # Not the head office: created, and left to an administrator to check.
    assert organisation.needs_review


def test_a_taken_siren_offers_an_access_request_without_naming_members(signed_in, user):
    owner = MembershipFactory(
        role=Role.OWNER, organisation__siren="784125635", organisation__name="Lune Rousse"
    )
    response = signed_in.post(reverse("organisations:create"), LUNE_ROUSSE)
    assert response.status_code == 409
    page = response.content.decode()
    assert "déjà inscrite" in page
    assert owner.user.email not in page and owner.user.last_name not in page
    assert Organisation.objects.count() == 1

    search = signed_in.get(reverse("organisations:search"), {"q": "lune rousse"}).content.decode()
    assert "Déjà inscrite sur la plateforme" in search

    mail.outbox.clear()
    signed_in.post(reverse("organisations:access_request"), {"siren": "784125635"})
    assert [message.to for message in mail.outbox] == [[owner.user.email]]
    assert user.email in mail.outbox[0].body
    assert mail.outbox[0].reply_to == [user.email]
    assert AccessRequest.objects.filter(user=user).count() == 1

    # Asking again within a week reaches nobody.
    signed_in.post(reverse("organisations:access_request"), {"siren": "784125635"})
    assert len(mail.outbox) == 1


def test_choosing_a_taken_company_shows_the_exists_page(signed_in):
    MembershipFactory(role=Role.OWNER, organisation__siren="784125635")
    response = signed_in.get(reverse("organisations:create"), {"siret": "78412563500028"})
    assert response.status_code == 409


def test_an_access_request_to_an_organisation_without_owner_goes_to_support(signed_in, settings):
    MembershipFactory(role=Role.MEMBER, organisation__siren="784125635")
    mail.outbox.clear()
    signed_in.post(reverse("organisations:access_request"), {"siren": "784125635"})
    assert [message.to for message in mail.outbox] == [[settings.CONTACT_EMAIL]]


def test_the_owner_sees_the_access_request_on_the_team_page(client, user):
    owner = MembershipFactory(role=Role.OWNER, organisation__siren="784125635")
    client.force_login(user)
    client.post(reverse("organisations:access_request"), {"siren": "784125635"})
    client.force_login(owner.user)
    page = client.get(reverse("organisations:team", args=[owner.organisation_id]))
    assert user.email in page.content.decode()
    # Inviting the person clears the request once accepted.
    from accounts import teams

    invitation = teams.invitation_create(
        organisation=owner.organisation, invited_by=owner.user, email=user.email, role="member"
    )
    teams.invitation_accept(token=teams.invitation_token(invitation), user=user)
    assert not AccessRequest.objects.exists()


class TestSettings:
    @pytest.fixture
    def owner(self, client):
        membership = MembershipFactory(role=Role.OWNER)
        client.force_login(membership.user)
        return membership

    def url(self, owner):
        return reverse("organisations:settings", args=[owner.organisation_id])

    def data(self, owner, **changes):
        organisation = owner.organisation
        return {
            "name": organisation.name,
            "street": organisation.street,
            "postal_code": organisation.postal_code,
            "city": organisation.city,
            "sacem_id": "",
            "sacd_id": "",
            **changes,
        }

    @pytest.mark.parametrize("field", ["sacem_id", "sacd_id"])
    @pytest.mark.parametrize("value", ["12a", "12345678901", "12 34"])
    def test_identifiers_must_be_1_to_10_digits(self, client, owner, field, value):
        response = client.post(self.url(owner), self.data(owner, **{field: value}))
        assert response.status_code == 200
        assert "1 à 10 chiffres" in " ".join(response.context["form"].errors[field])
        owner.organisation.refresh_from_db()
        assert getattr(owner.organisation, field) == ""

    def test_owner_saves_the_settings(self, client, owner):
        response = client.post(
            self.url(owner),
            self.data(owner, name="Nouveau nom", sacem_id="1234567890", sacd_id="42"),
        )
        assert response.status_code == 302
        owner.organisation.refresh_from_db()
        assert (
            owner.organisation.name,
            owner.organisation.sacem_id,
            owner.organisation.sacd_id,
        ) == (
            "Nouveau nom",
            "1234567890",
            "42",
        )

    def test_a_new_address_unknown_to_the_address_base_is_flagged(self, client, owner):
        client.post(
            self.url(owner),
            self.data(owner, street="999 Chemin Imaginaire", postal_code="75011"),
        )
        owner.organisation.refresh_from_db()
        assert owner.organisation.street == "999 Chemin Imaginaire"
        assert owner.organisation.needs_review

    def test_a_member_sees_the_settings_read_only(self, client, owner):
        member = MembershipFactory(organisation=owner.organisation)
        client.force_login(member.user)
        page = client.get(self.url(owner)).content.decode()
        assert "Seuls les propriétaires" in page
        assert "disabled" in page
        assert client.post(self.url(owner), self.data(owner, name="X")).status_code == 403


def test_a_typed_address_is_normalised_by_the_address_base(signed_in):
    signed_in.post(
        reverse("organisations:create"),
        {**LUNE_ROUSSE, "street": "12 rue de la martiniere", "city": "LYON"},
    )
    organisation = Organisation.objects.get()
    assert (organisation.street, organisation.city) == ("12 Rue de la Martinière", "Lyon")
    assert not organisation.needs_review


def test_the_live_suggestions_get_the_results_alone(signed_in):
    response = signed_in.get(reverse("organisations:search"), {"q": "nomade", "partial": "1"})
    page = response.content.decode()
    assert "COMPAGNIE DU THEATRE NOMADE" in page
    assert "<html" not in page


def test_one_person_asks_at_most_three_organisations_a_day(signed_in):
    owners = [MembershipFactory(role=Role.OWNER) for _ in range(4)]
    mail.outbox.clear()
    for owner in owners:
        signed_in.post(reverse("organisations:access_request"), {"siren": owner.organisation.siren})
    assert [message.to for message in mail.outbox] == [[o.user.email] for o in owners[:3]]
