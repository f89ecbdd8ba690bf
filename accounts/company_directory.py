"""Client of the public company directory (recherche-entreprises.api.gouv.fr, no key needed).

Logs never contain the searched text: it can be a person's name.
"""

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from accounts.identifiers import digits_only, format_siren, format_siret
from config.http import public_api_json

logger = logging.getLogger(__name__)

MIN_QUERY_LENGTH = 3
CACHE_SECONDS = 600
RESULTS_PER_PAGE = 5
# What the directory shows instead of a masked value (partial-diffusion units, statut "P").
NON_DIFFUSIBLE_MARKER = "[NON-DIFFUSIBLE]"
_NON_DIFFUSIBLE_STATUSES = {"P", "N"}


class DirectoryUnavailable(Exception):
    """The directory did not answer usefully (timeout, network, 5xx, 429, unexpected answer)."""


class _MalformedRecord(ValueError):
    pass


@dataclass(frozen=True)
class Company:
    siren: str
    head_office_siret: str
    # Empty when the directory masks them (non-diffusible).
    name: str
    address: str
    non_diffusible: bool

    @property
    def siren_display(self) -> str:
        return format_siren(self.siren)

    @property
    def siret_display(self) -> str:
        return format_siret(self.head_office_siret)


def company_search(query: str) -> list[Company]:
    """Up to 5 companies matching a name, SIREN or SIRET. Answers are kept CACHE_SECONDS: live
    suggestions ask often, and the directory limits the requests per second of each client."""
    query = query.strip()
    if len(query) < MIN_QUERY_LENGTH:
        return []
    key = "company-directory:" + hashlib.sha256(query.casefold().encode()).hexdigest()
    companies = cache.get(key)
    if companies is None:
        companies = _companies(query)
        cache.set(key, companies, CACHE_SECONDS)
    return companies


def _companies(query: str) -> list[Company]:
    companies = []
    for record in _search(query):
        try:
            companies.append(_company(record))
        except _MalformedRecord as error:
            logger.warning("Company directory: malformed result skipped (%s).", error)
    return companies


def company_by_siret(siret: str) -> Company | None:
    """The company whose head office has this SIRET (another establishment's SIRET gives None)."""
    siret = digits_only(siret)
    return next(
        (company for company in company_search(siret) if company.head_office_siret == siret),
        None,
    )


def company_by_siren(siren: str) -> Company | None:
    siren = digits_only(siren)
    return next((company for company in company_search(siren) if company.siren == siren), None)


def _search(query: str) -> list[Any]:
    params = {
        "q": query,
        "include": "siege",
        "minimal": "True",
        "page": "1",
        "per_page": str(RESULTS_PER_PAGE),
    }
    payload = public_api_json(
        f"{settings.COMPANY_DIRECTORY_URL}/search",
        params,
        service="Company directory",
        unavailable=DirectoryUnavailable,
    )
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list):
        logger.warning("Company directory unavailable: the answer has no list of results.")
        raise DirectoryUnavailable("unexpected JSON")
    return results


def _text(record: dict, key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _MalformedRecord(f"{key} is not a string")
    return value.strip()


def _identifier(record: dict, key: str, length: int) -> str:
    value = record.get(key)
    if not isinstance(value, str) or len(value) != length or not value.isdigit():
        raise _MalformedRecord(f"{key} is not {length} digits")
    return value


def _company(record: Any) -> Company:
    if not isinstance(record, dict):
        raise _MalformedRecord("result is not an object")
    head_office = record.get("siege")
    if not isinstance(head_office, dict):
        raise _MalformedRecord("siege is not an object")
    name = _text(record, "nom_raison_sociale") or _text(record, "nom_complet")
    address = _text(head_office, "geo_adresse") or _text(head_office, "adresse")
    non_diffusible = (
        record.get("statut_diffusion") in _NON_DIFFUSIBLE_STATUSES
        or head_office.get("statut_diffusion_etablissement") in _NON_DIFFUSIBLE_STATUSES
        or NON_DIFFUSIBLE_MARKER in (name, address)
    )
    return Company(
        siren=_identifier(record, "siren", 9),
        head_office_siret=_identifier(head_office, "siret", 14),
        name="" if name == NON_DIFFUSIBLE_MARKER else name,
        address="" if NON_DIFFUSIBLE_MARKER in address else address,
        non_diffusible=non_diffusible,
    )
