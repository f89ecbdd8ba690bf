"""French formatting of amounts, rates and dates, as template filters (`{% load
declaration_format %}`) and as plain functions for Python code (CSV, e-mails).

Nothing here depends on the server's locale or time zone: day and month names are written below
and aware datetimes are converted to Europe/Paris with zoneinfo.
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django import template

register = template.Library()

PARIS = ZoneInfo("Europe/Paris")
NARROW_NBSP = "\u202f"  # thousands separator (French typography, as CLDR)
NBSP = "\u00a0"  # before "€" and "%"
CENT = Decimal("0.01")

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def decimal_format(value: Decimal | int, places: int = 2, grouping: bool = True) -> str:
    """`1234.5` → "1 234,50" (narrow no-break space, decimal comma, half-up rounding).
    A value that rounds to zero never shows a minus sign."""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)
    sign = "-" if rounded < 0 else ""
    units, _, decimals = f"{abs(rounded):f}".partition(".")
    if grouping:
        units = f"{int(units):,}".replace(",", NARROW_NBSP)
    return sign + units + ("," + decimals if decimals else "")


@register.filter
def euros(value: Decimal | int | None) -> str:
    """ "1 234,50 €"; an empty string for None."""
    if value is None or value == "":
        return ""
    return decimal_format(value) + NBSP + "€"


@register.filter
def rate(value: Decimal | None) -> str:
    """A fraction as a percentage: 0.055 → "5,5 %", 0.2 → "20 %"."""
    if value is None or value == "":
        return ""
    percent = (Decimal(value) * 100).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if percent == 0:
        percent = abs(percent)
    text = f"{percent.normalize():f}".replace(".", ",")
    return text + NBSP + "%"


def to_paris(value: datetime | date) -> datetime | date:
    """An aware datetime in Paris time; a naive one is taken as already in Paris time (the
    rule for provider strings without offset); a date is left alone."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=PARIS)
        return value.astimezone(PARIS)
    return value


@register.filter
def paris_date(value: datetime | date | None) -> str:
    """ "samedi 14 mars 2026", "dimanche 1er mars 2026"."""
    if not value:
        return ""
    day = to_paris(value)
    number = "1er" if day.day == 1 else str(day.day)
    return f"{DAYS[day.weekday()]} {number} {MONTHS[day.month - 1]} {day.year}"


@register.filter
def paris_time(value: datetime | None) -> str:
    """ "20 h 30", "20 h" on the hour."""
    if not value:
        return ""
    moment = to_paris(value)
    if moment.minute:
        return f"{moment.hour} h {moment.minute:02d}"
    return f"{moment.hour} h"


@register.filter
def paris_datetime(value: datetime | None) -> str:
    """ "samedi 14 mars 2026 à 20 h 30"."""
    if not value:
        return ""
    return f"{paris_date(value)} à {paris_time(value)}"


@register.filter
def short_date(value: datetime | date | None) -> str:
    """ "14/03/2026"."""
    if not value:
        return ""
    day = to_paris(value)
    return f"{day.day:02d}/{day.month:02d}/{day.year}"
