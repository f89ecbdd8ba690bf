"""The ledger's SQL: latest state wins, exact times, performances a ticket left recomputed."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.factories import OrganisationFactory
from ticketing.connectors.base import TicketData
from ticketing.ledger import ledger_figures, ledger_write
from ticketing.models import LedgerTicket, Performance, Show, TicketingSystem

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)


@pytest.fixture
def performances():
    organisation = OrganisationFactory()
    system = TicketingSystem.objects.create(organisation=organisation, provider="billetweb")
    show = Show.objects.create(
        ticketing_system=system, organisation=organisation, external_id="1", name="Spectacle"
    )
    first, second = (
        Performance.objects.create(show=show, external_id=str(n), starts_at=AT) for n in (1, 2)
    )
    return system, first, second


def row(performance, *, price="10.55", at=AT, cancelled=False, ticket="t1"):
    state = TicketData(
        ticket, performance.external_id, cancelled, Decimal(price), Decimal("0.055"), at
    )
    return performance.pk, state


def test_a_ticket_is_stored_with_its_exact_time_and_an_older_state_is_ignored(performances):
    system, first, _ = performances
    assert ledger_write(system.pk, [row(first)]) == {first.pk}
    older = row(first, price="99", at=AT - timedelta(microseconds=1))
    assert ledger_write(system.pk, [older]) == {first.pk}  # looked at, not written
    stored = LedgerTicket.objects.get()
    assert (stored.updated_at, stored.price_incl_vat) == (AT, Decimal("10.55"))


def test_the_latest_of_two_states_in_one_batch_wins(performances):
    system, first, _ = performances
    later = row(first, cancelled=True, at=AT + timedelta(seconds=1))
    ledger_write(system.pk, [later, row(first)])
    assert LedgerTicket.objects.get().cancelled


def test_a_ticket_moving_to_another_performance_recomputes_both(performances):
    system, first, second = performances
    ledger_write(system.pk, [row(first), row(first, ticket="t2", price="0")])
    moved = row(second, at=AT + timedelta(seconds=1))
    assert ledger_write(system.pk, [moved]) == {first.pk, second.pk}
    figures = ledger_figures([first.pk, second.pk])
    assert (figures[first.pk].paid_tickets, figures[first.pk].free_tickets) == (0, 1)
    assert figures[second.pk].revenue_excl_vat == Decimal("10.00")
    assert figures[second.pk].vat_rate == Decimal("0.055")


def test_any_provider_id_survives_the_array_literal(performances):
    system, first, _ = performances
    odd = ['a"b', "c\\d", "e,f", "{g}", " h ", "NULL", "é"]
    ledger_write(system.pk, [row(first, ticket=ticket) for ticket in odd])
    assert sorted(LedgerTicket.objects.values_list("external_id", flat=True)) == sorted(odd)
