from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from declarations.choices import SHOW_TAX_RATE
from declarations.figures import key_figures, show_tax
from declarations.snapshot import ZERO
from declarations.templatetags.declaration_format import (
    euros,
    paris_date,
    paris_datetime,
    paris_time,
    rate,
    short_date,
)
from tests.declarations.samples import amount, performance, snapshot

NNBSP = "\u202f"
NBSP = "\u00a0"


def with_performances(*performances, **changes):
    return replace(snapshot(0), performances=performances, **changes)


# --- Key figures ----------------------------------------------------------------------------


def test_key_figures_of_the_sample_run():
    figures = key_figures(snapshot(2))

    assert figures.performance_count == 2
    assert figures.first_start == datetime(2026, 3, 14, 19, 30, tzinfo=UTC)
    assert figures.last_start == datetime(2026, 3, 15, 19, 30, tzinfo=UTC)
    assert figures.ticketing == amount("2274.88", "2400.00")
    assert figures.ticketing.vat == Decimal("125.12")
    assert (figures.paid_tickets, figures.free_tickets, figures.tickets) == (192, 8, 200)
    assert figures.average_price == Decimal("12.50")  # 2 400 / 192
    assert figures.bar == amount("200.00", "240.00")
    assert figures.programmes == amount("100.00", "120.00")
    assert figures.catering == ZERO
    assert figures.non_ticketing == amount("300.00", "360.00")
    assert figures.expenses == amount("3000.00", "3165.00")
    assert figures.introduction_fees == amount("400.00", "422.00")
    assert figures.circus_fees == ZERO
    assert figures.vat_rates == (Decimal("0.055"),)


def test_key_figures_with_mixed_vat_rates_sum_the_amounts_not_the_rates():
    data = with_performances(
        performance(1, ticketing=amount("1000.00", "1055.00"), vat_rate=Decimal("0.055")),
        performance(2, ticketing=amount("1000.00", "1200.00"), vat_rate=Decimal("0.2")),
        performance(3, ticketing=amount("100.00", "102.10"), vat_rate=Decimal("0.021")),
    )

    figures = key_figures(data)

    assert figures.ticketing == amount("2100.00", "2357.10")
    assert figures.ticketing.vat == Decimal("257.10")
    assert figures.vat_rates == (Decimal("0.021"), Decimal("0.055"), Decimal("0.2"))
    assert show_tax(data).tax == Decimal("73.50")  # 3.5 % of 2 100.00


def test_first_and_last_start_do_not_rely_on_the_order():
    late = performance(5)
    early = performance(1)

    figures = key_figures(with_performances(late, early))

    assert (figures.first_start, figures.last_start) == (early.starts_at, late.starts_at)


def test_non_ticketing_adds_the_four_kinds():
    data = with_performances(
        performance(
            1,
            bar=amount("10.00", "12.00"),
            catering=amount("20.00", "22.00"),
            programmes=amount("30.00", "31.65"),
            other=amount("40.00", "48.00"),
        )
    )

    assert key_figures(data).non_ticketing == amount("100.00", "113.65")


def test_average_price_is_rounded_half_up_to_the_cent():
    data = with_performances(
        performance(1, ticketing=amount("9.53", "10.05"), paid_tickets=2, free_tickets=0)
    )

    assert key_figures(data).average_price == Decimal("5.03")  # 5.025, not 5.02 (half-even)


def test_no_paid_ticket_means_no_average_price():
    data = with_performances(performance(1, paid_tickets=0, free_tickets=50))

    figures = key_figures(data)

    assert figures.average_price is None
    assert figures.tickets == 50


def test_key_figures_without_performances():
    figures = key_figures(with_performances())

    assert figures.performance_count == 0
    assert figures.first_start is None and figures.last_start is None
    assert figures.ticketing == ZERO
    assert figures.average_price is None
    assert figures.expenses == amount("3000.00", "3165.00")


# --- CNM and ASTP tax -----------------------------------------------------------------------


def test_show_tax_on_ticketing_revenue_excluding_vat():
    tax = show_tax(snapshot(2))

    assert tax.base == Decimal("2274.88")
    assert tax.rate == SHOW_TAX_RATE == Decimal("0.035")
    assert tax.tax == Decimal("79.62")  # 79.6208
    assert not tax.free_show
    assert tax.base_label == "recette de billetterie HT"


def test_show_tax_rounds_the_half_cent_up():
    data = with_performances(performance(1, ticketing=amount("3.00", "3.17")))

    assert show_tax(data).tax == Decimal("0.11")  # 0.105


def test_show_tax_is_rounded_once_on_the_total():
    data = with_performances(
        performance(1, ticketing=amount("1.00", "1.06")),
        performance(2, ticketing=amount("1.00", "1.06")),
    )

    # Per performance it would be 2 × 0.04; on the total, 3.5 % of 2.00.
    assert show_tax(data).tax == Decimal("0.07")


def test_free_show_is_taxed_on_the_sale_price():
    free = {"paid_tickets": 0, "free_tickets": 80, "ticketing": ZERO}
    data = with_performances(performance(1, **free), performance(2, **free))

    tax = show_tax(data)

    assert tax.free_show
    assert tax.base == Decimal("2500.00")
    assert tax.tax == Decimal("87.50")
    assert tax.base_label == "prix de cession HT (spectacle gratuit)"


def test_revenue_without_paid_tickets_is_not_a_free_show():
    data = with_performances(performance(1, paid_tickets=0, ticketing=amount("100.00", "105.50")))

    tax = show_tax(data)

    assert not tax.free_show
    assert (tax.base, tax.tax) == (Decimal("100.00"), Decimal("3.50"))


def test_free_show_without_sale_price_owes_nothing():
    data = with_performances(performance(1, paid_tickets=0, ticketing=ZERO))
    data = replace(data, show=replace(data.show, sale_price=ZERO))

    tax = show_tax(data)

    assert tax.free_show
    assert (tax.base, tax.tax) == (Decimal("0.00"), Decimal("0.00"))
    assert euros(tax.tax) == f"0,00{NBSP}€"


# --- Formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.5"), f"1{NNBSP}234,50{NBSP}€"),
        (Decimal("1234567.89"), f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
        (Decimal("999.995"), f"1{NNBSP}000,00{NBSP}€"),
        (Decimal("12.345"), f"12,35{NBSP}€"),
        (Decimal("0.5"), f"0,50{NBSP}€"),
        (Decimal("0"), f"0,00{NBSP}€"),
        (0, f"0,00{NBSP}€"),
        (Decimal("-0.00"), f"0,00{NBSP}€"),
        (Decimal("-0.004"), f"0,00{NBSP}€"),
        (Decimal("100"), f"100,00{NBSP}€"),
    ],
)
def test_euros(value, expected):
    assert euros(value) == expected


def test_euros_of_nothing_is_empty():
    assert euros(None) == ""


def test_a_vat_amount_of_zero_has_no_sign():
    nothing = with_performances(performance(1, ticketing=amount("0.00", "0.00")))

    assert euros(key_figures(nothing).ticketing.vat) == f"0,00{NBSP}€"
    assert "-" not in euros(Decimal("-0.001"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.055"), f"5,5{NBSP}%"),
        (Decimal("0.0550"), f"5,5{NBSP}%"),
        (Decimal("0.2"), f"20{NBSP}%"),
        (Decimal("0.10"), f"10{NBSP}%"),
        (Decimal("0.021"), f"2,1{NBSP}%"),
        (Decimal("0"), f"0{NBSP}%"),
        (Decimal("-0"), f"0{NBSP}%"),
        (SHOW_TAX_RATE, f"3,5{NBSP}%"),
    ],
)
def test_rate(value, expected):
    assert rate(value) == expected


def test_paris_date_converts_from_utc_before_taking_the_day():
    assert paris_date(datetime(2026, 3, 14, 19, 30, tzinfo=UTC)) == "samedi 14 mars 2026"
    # 23:30 UTC on Friday 31 July is already Saturday in Paris (UTC+2 in summer).
    assert paris_date(datetime(2026, 7, 31, 23, 30, tzinfo=UTC)) == "samedi 1er août 2026"
    assert paris_date(date(2026, 12, 25)) == "vendredi 25 décembre 2026"
    assert paris_date(datetime(2026, 2, 1, 12, tzinfo=UTC)) == "dimanche 1er février 2026"


def test_paris_datetime_follows_summer_time():
    # Summer time starts on Sunday 29 March 2026 at 2:00 in Paris.
    before = datetime(2026, 3, 28, 19, 30, tzinfo=UTC)
    after = datetime(2026, 3, 29, 18, 30, tzinfo=UTC)
    back_to_winter = datetime(2026, 10, 25, 19, 30, tzinfo=UTC)

    assert paris_datetime(before) == "samedi 28 mars 2026 à 20 h 30"
    assert paris_datetime(after) == "dimanche 29 mars 2026 à 20 h 30"
    assert paris_datetime(back_to_winter) == "dimanche 25 octobre 2026 à 20 h 30"


def test_paris_time_on_the_hour_and_naive_datetimes():
    assert paris_time(datetime(2026, 6, 1, 18, 0, tzinfo=UTC)) == "20 h"
    assert paris_time(datetime(2026, 6, 1, 7, 5, tzinfo=UTC)) == "9 h 05"
    # Without offset, a datetime is Paris time already (the rule of providers' strings).
    assert paris_time(datetime(2026, 6, 1, 20, 30)) == "20 h 30"


def test_short_date():
    assert short_date(datetime(2026, 3, 14, 19, 30, tzinfo=UTC)) == "14/03/2026"
    assert short_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "01/01/2027"
    assert short_date(date(2026, 1, 5)) == "05/01/2026"
    assert short_date(None) == ""


def test_formats_ignore_the_server_time_zone(settings):
    settings.TIME_ZONE = "UTC"
    moment = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)

    with timezone.override("UTC"):
        assert paris_datetime(moment) == "dimanche 15 mars 2026 à 0 h 30"
        assert short_date(moment) == "15/03/2026"


def test_filters_in_a_template():
    template = Template(
        "{% load declaration_format %}{{ amount|euros }} | {{ vat|rate }} | "
        "{{ start|paris_datetime }} | {{ start|paris_date }} | {{ start|short_date }}"
    )
    context = Context(
        {
            "amount": Decimal("2274.88"),
            "vat": Decimal("0.055"),
            "start": datetime(2026, 3, 14, 19, 30, tzinfo=UTC),
        }
    )

    assert template.render(context) == (
        f"2{NNBSP}274,88{NBSP}€ | 5,5{NBSP}% | samedi 14 mars 2026 à 20 h 30 | "
        "samedi 14 mars 2026 | 14/03/2026"
    )
