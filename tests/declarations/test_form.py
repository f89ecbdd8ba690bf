"""The declaration form: fields per organism, amount rules, defaults reaching performances,
user edits protected from the sync, frozen shows, and a constant number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from declarations.building import details_for
from declarations.models import ShowDetails
from tests.declarations.fixtures import form_data, show_with_performances
from ticketing.models import Performance

pytestmark = pytest.mark.django_db


def url(show) -> str:
    return reverse("declarations:form", args=[show.organisation_id, show.pk])


def prepared(count=2, organisms=("sacem", "sacd")):
    membership, show = show_with_performances(count)
    details = details_for(show)
    details.organisms = list(organisms)
    details.save()
    return membership, show


def test_the_page_shows_the_fields_of_the_organisms_chosen(client):
    membership, show = prepared(organisms=["sibil"])
    client.force_login(membership.user)
    page = client.get(url(show)).content.decode()
    assert 'name="spectacle-producer_siren"' in page
    assert 'name="spectacle-expenses_excl_vat"' not in page  # SACEM and SACD only
    assert 'name="r-0-bar_excl_vat"' not in page  # SACEM only
    details = show.details
    details.organisms = ["sacem"]
    details.save()
    page = client.get(url(show)).content.decode()
    assert 'name="spectacle-expenses_excl_vat"' in page
    assert 'name="r-0-bar_excl_vat"' in page
    assert 'name="spectacle-producer_siren"' not in page


def test_a_valid_form_is_saved_and_the_performances_follow_the_show(client):
    membership, show = prepared()
    client.force_login(membership.user)
    data = form_data(show, **{"r-0-capacity": "120", "r-1-capacity": "80"})
    response = client.post(url(show), data)
    assert response.status_code == 302
    details = ShowDetails.objects.get(show=show)
    assert (details.venue_postal_code, details.capacity) == ("69004", 120)
    assert details.expenses_incl_vat == Decimal("3165.00")
    first, second = show.performances.order_by("starts_at")
    assert first.capacity is None  # equal to the show's: stored blank, so it follows the show
    assert second.capacity == 80
    data = form_data(show, **{"spectacle-capacity": "150", "r-1-capacity": "80"})
    assert client.post(url(show), data).status_code == 302
    first.refresh_from_db()
    assert first.capacity is None  # now 150, through the show
    details.refresh_from_db()
    assert details.capacity == 150


def test_amount_pairs_and_expenses_are_checked_and_nothing_is_saved(client):
    membership, show = prepared()
    client.force_login(membership.user)
    data = form_data(
        show,
        **{
            "spectacle-expenses_excl_vat": "100",
            "spectacle-expenses_incl_vat": "90",  # incl. below excl.
            "r-0-revenue_excl_vat": "0",
            "r-0-revenue_incl_vat": "10",  # one zero, one not
        },
    )
    response = client.post(url(show), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Le montant TTC ne peut pas être inférieur au montant HT." in page
    assert "nuls tous les deux, ou non nuls tous les deux" in page
    assert ShowDetails.objects.get(show=show).expenses_excl_vat == 0
    assert show.performances.order_by("starts_at").first().revenue_incl_vat == Decimal("1200.00")


def test_expenses_include_the_introduction_fees(client):
    membership, show = prepared()
    client.force_login(membership.user)
    data = form_data(show, **{"spectacle-expenses_excl_vat": "300"})
    response = client.post(url(show), data)
    assert "doivent être au moins égales à la somme des frais" in response.content.decode()


def test_editing_ticketing_figures_marks_the_performance_and_a_french_amount_is_read(client):
    membership, show = prepared()
    client.force_login(membership.user)
    data = form_data(
        show, **{"r-1-revenue_incl_vat": "1 250,50", "r-1-revenue_excl_vat": "1185,31"}
    )
    assert client.post(url(show), data).status_code == 302
    first, second = show.performances.order_by("starts_at")
    assert first.user_edited_at is None
    assert second.user_edited_at is not None
    assert second.revenue_incl_vat == Decimal("1250.50")


def test_a_performance_venue_needs_its_whole_address(client):
    membership, show = prepared()
    client.force_login(membership.user)
    data = form_data(show, **{"r-0-venue_name": "Chapiteau du parc"})
    response = client.post(url(show), data)
    assert "indiquez son intitulé, son adresse" in response.content.decode()
    data = form_data(
        show,
        **{
            "r-0-venue_name": "Chapiteau du parc",
            "r-0-venue_street": "1 allée du Parc",
            "r-0-venue_postal_code": "69006",
            "r-0-venue_city": "Lyon",
            "r-0-venue_type": "STRUCTURE_ITINERANTE_DEMONTABLE_CHAPITEAU",
        },
    )
    assert client.post(url(show), data).status_code == 302
    first = show.performances.order_by("starts_at").first()
    assert (first.venue_name, first.venue_postal_code) == ("Chapiteau du parc", "69006")


def test_capacity_zero_is_refused(client):
    membership, show = prepared()
    client.force_login(membership.user)
    response = client.post(url(show), form_data(show, **{"spectacle-capacity": "-1"}))
    # Once under the field and once in the list of errors at the top, not twice per place.
    assert response.content.decode().count("La jauge compte au moins une place.") == 2


def test_a_frozen_show_cannot_be_changed(client):
    membership, show = prepared()
    show.frozen_at = timezone.now()
    show.save()
    client.force_login(membership.user)
    page = client.get(url(show)).content.decode()
    assert "Préparer une correction" in page
    client.post(url(show), form_data(show, **{"spectacle-capacity": "999"}))
    assert ShowDetails.objects.get(show=show).capacity != 999


def test_new_details_start_from_the_last_declared_show_of_the_organisation(client):
    membership, show = prepared()
    client.force_login(membership.user)
    client.post(url(show), form_data(show))
    other = show.__class__.objects.create(
        ticketing_system=show.ticketing_system,
        organisation=show.organisation,
        external_id="78",
        name="Autre spectacle",
    )
    details = details_for(other)
    assert (details.venue_name, details.producer_siren) == ("Salle des Lilas", "552100554")
    page = client.get(url(other)).content.decode()
    assert '<option value="552100554">Compagnie des Braises</option>' in page


@pytest.mark.parametrize("count", [3, 40])
def test_the_form_page_makes_a_constant_number_of_queries(client, count, django_assert_num_queries):
    membership, show = prepared(count)
    client.force_login(membership.user)
    # session, user, membership + organisation, show + details, declarations, producers of
    # other shows, attachments, transmissions (+ their files: none), the header's
    # organisations, performances
    with django_assert_num_queries(10):
        assert client.get(url(show)).status_code == 200


def test_saving_many_performances_is_one_update(client, django_assert_max_num_queries):
    membership, show = prepared(30)
    client.force_login(membership.user)
    data = form_data(show)
    for index in range(30):
        data[f"r-{index}-paid_tickets"] = "97"
    with django_assert_max_num_queries(16):
        assert client.post(url(show), data).status_code == 302
    assert set(Performance.objects.filter(show=show).values_list("paid_tickets", flat=True)) == {97}


def test_figures_a_sync_wrote_after_the_page_was_shown_are_kept(client):
    membership, show = prepared()
    client.force_login(membership.user)
    data = form_data(show, **{"spectacle-capacity": "150"})  # the page as it was shown
    Performance.objects.filter(show=show).update(paid_tickets=150)  # then a sync
    assert client.post(url(show), data).status_code == 302
    assert set(Performance.objects.filter(show=show).values_list("paid_tickets", flat=True)) == {
        150
    }
    assert not Performance.objects.filter(show=show, user_edited_at__isnull=False).exists()


def test_a_rate_outside_the_legal_list_survives_a_save(client):
    membership, show = prepared()
    Performance.objects.filter(show=show).update(vat_rate=Decimal("0.085"))
    client.force_login(membership.user)
    page = client.get(url(show)).content.decode()
    assert '<option value="0.085" selected>8,5 %</option>' in page
    data = form_data(show)  # posts each performance's 0.085 back, as the browser would
    assert client.post(url(show), data).status_code == 302
    assert set(Performance.objects.filter(show=show).values_list("vat_rate", flat=True)) == {
        Decimal("0.085")
    }


def test_a_long_run_can_be_saved(client, settings):
    membership, show = prepared(120)  # about 2,500 fields posted
    client.force_login(membership.user)
    assert client.post(url(show), form_data(show)).status_code == 302


def test_an_incomplete_venue_of_its_own_is_refused_not_dropped(client):
    membership, show = prepared()
    client.force_login(membership.user)
    data = form_data(show, **{"r-0-venue_city": "Villeurbanne"})
    response = client.post(url(show), data)
    assert "ou videz tous ces champs" in response.content.decode()


def test_a_forged_rate_is_an_error_not_a_crash(client):
    membership, show = prepared()
    client.force_login(membership.user)
    data = form_data(show, **{"r-0-vat_rate": "abc", "initial-r-0-vat_rate": "x"})
    response = client.post(url(show), data)
    assert response.status_code == 200
