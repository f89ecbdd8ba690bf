"""Client of the national address base through the Géoplateforme geocoder (data.geopf.fr).

Logs never contain the searched text: an address can identify a person.
"""

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from accounts.identifiers import digits_only
from config.http import public_api_json

logger = logging.getLogger(__name__)

MIN_QUERY_LENGTH = 3
# Street-level results only: a municipality alone is not an address.
ADDRESS_KINDS = {"housenumber", "street", "locality"}
# The geocoder scores a complete, well-typed address around 0.8–1. Below 0.5 the best match
# usually shares only the city or a street word, so the typed address is kept as it is.
NORMALISE_MIN_SCORE = 0.5
_HOUSE_NUMBER = re.compile(r"\s*(\d+(?:\s*(?:bis|ter|quater|[a-z])\b)?)", re.IGNORECASE)


class AddressBaseUnavailable(Exception):
    """The geocoder did not answer usefully (timeout, network, 5xx, 429, unexpected answer)."""


class _MalformedFeature(ValueError):
    pass


@dataclass(frozen=True)
class Address:
    street: str
    postal_code: str
    city: str
    # "75, Paris, Île-de-France": department number, department, region.
    context: str
    label: str
    # housenumber, street or locality.
    kind: str
    score: float


def address_search(query: str, *, limit: int = 5) -> list[Address]:
    """Suggestions for a partly typed address (autocompletion)."""
    query = query.strip()
    if len(query) < MIN_QUERY_LENGTH:
        return []
    return _search(query, limit=limit, autocomplete=True)


def address_normalise(*, street: str, postal_code: str, city: str) -> Address | None:
    """The base's version of a complete address, or None when no confident match (see
    NORMALISE_MIN_SCORE) has the same postal code and, when one was typed, the same house
    number: a street-level match would silently drop the number."""
    query = " ".join(part.strip() for part in (street, postal_code, city) if part.strip())
    if len(query) < MIN_QUERY_LENGTH:
        return None
    postal_code = digits_only(postal_code)
    number = _house_number(street)
    candidates = [
        address
        for address in _search(query, limit=5, autocomplete=False)
        if address.postal_code == postal_code
        and address.score >= NORMALISE_MIN_SCORE
        and (number is None or _house_number(address.street) == number)
    ]
    return max(candidates, key=lambda address: address.score, default=None)


def _house_number(street: str) -> str | None:
    """'12 bis rue …' → '12 bis'; None when the street does not start with a number."""
    match = _HOUSE_NUMBER.match(street)
    return match.group(1).casefold().replace(" ", "") if match else None


def _search(query: str, *, limit: int, autocomplete: bool) -> list[Address]:
    params = {"q": query, "limit": str(limit), "autocomplete": "1" if autocomplete else "0"}
    payload = public_api_json(
        f"{settings.ADDRESS_BASE_URL}/geocodage/search/",
        params,
        service="Address base",
        unavailable=AddressBaseUnavailable,
    )
    features = payload.get("features") if isinstance(payload, dict) else None
    if not isinstance(features, list):
        logger.warning("Address base unavailable: the answer has no list of features.")
        raise AddressBaseUnavailable("unexpected JSON")
    addresses = []
    for feature in features:
        try:
            address = _address(feature)
        except _MalformedFeature as error:
            logger.warning("Address base: malformed feature skipped (%s).", error)
            continue
        if address is not None:
            addresses.append(address)
    return addresses


def _text(properties: dict, key: str, *, required: bool = True) -> str:
    value = properties.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _MalformedFeature(f"{key} is missing or not a string")
    return value.strip()


def _address(feature: Any) -> Address | None:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(properties, dict):
        raise _MalformedFeature("feature without properties")
    kind = properties.get("type")
    if kind not in ADDRESS_KINDS:
        return None
    score = properties.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise _MalformedFeature("score is not a number")
    return Address(
        street=_text(properties, "name"),
        postal_code=_text(properties, "postcode"),
        city=_text(properties, "city"),
        context=_text(properties, "context", required=False),
        label=_text(properties, "label"),
        kind=kind,
        score=float(score),
    )
