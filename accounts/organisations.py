"""Organisation use cases: creation from the company directory (or by hand), settings, access
requests. Calls to the public APIs happen before any transaction: no lock is held while waiting."""

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.address_base import AddressBaseUnavailable, address_normalise
from accounts.company_directory import Company, DirectoryUnavailable, company_by_siret
from accounts.models import AccessRequest, Membership, Organisation, Role, User
from accounts.services import absolute_url, may_email
from notifications.emails import send_templated_email

ACCESS_REQUEST_INTERVAL = timedelta(days=7)
# One person asks at most this many organisations a day: nobody can write to every owner.
ACCESS_REQUESTS_PER_DAY = 3

logger = logging.getLogger(__name__)

_INLINE_ADDRESS = re.compile(r"^(?P<street>.+?)\s+(?P<postal_code>\d{5})\s+(?P<city>.+)$")


class OrganisationExists(Exception):
    """An organisation with this SIREN is already registered."""

    def __init__(self, siren: str):
        super().__init__(siren)
        self.siren = siren


@dataclass(frozen=True)
class AddressFields:
    street: str = ""
    postal_code: str = ""
    city: str = ""


@dataclass(frozen=True)
class CompanyDraft:
    """What the creation form is pre-filled with once a company is picked."""

    company: Company | None
    address: AddressFields
    directory_available: bool = True


def siren_taken(siren: str) -> bool:
    return Organisation.objects.filter(siren=siren).exists()


def company_draft(siret: str) -> CompanyDraft:
    """The company with this head-office SIRET and its address split into fields, as the address
    base writes it when it recognises it (same rule as at creation), else as the directory does."""
    try:
        company = company_by_siret(siret)
    except DirectoryUnavailable:
        return CompanyDraft(company=None, address=AddressFields(), directory_available=False)
    if company is None or company.non_diffusible:
        return CompanyDraft(company=company, address=AddressFields())
    inline = _INLINE_ADDRESS.match(company.address)
    if inline is None:
        return CompanyDraft(company=company, address=AddressFields())
    address, _ = normalised_address(
        street=inline["street"].title(),
        postal_code=inline["postal_code"],
        city=inline["city"].title(),
    )
    return CompanyDraft(company=company, address=address)


def _identity_review_reason(siren: str, siret: str) -> str:
    try:
        company = company_by_siret(siret)
    except DirectoryUnavailable:
        return "Annuaire des entreprises indisponible : SIREN et SIRET non vérifiés."
    if company is None:
        return "SIRET absent de l'annuaire des entreprises (ou pas celui du siège)."
    if company.non_diffusible:
        return "Entreprise non diffusible : SIREN et SIRET non vérifiés."
    if company.siren != siren:
        return "Le SIREN saisi ne correspond pas à celui de l'annuaire des entreprises."
    return ""


def normalised_address(*, street: str, postal_code: str, city: str) -> tuple[AddressFields, str]:
    """The address as the national address base writes it, or as typed with a review reason."""
    typed = AddressFields(street.strip(), postal_code.strip(), city.strip())
    try:
        match = address_normalise(
            street=typed.street, postal_code=typed.postal_code, city=typed.city
        )
    except AddressBaseUnavailable:
        return typed, "Base adresse nationale indisponible : adresse non vérifiée."
    if match is None or not _same_street(typed.street, match.street):
        return typed, "Adresse non reconnue par la Base adresse nationale."
    return AddressFields(match.street, match.postal_code, match.city), ""


_STREET_TYPES = {"rue", "avenue", "boulevard", "chemin", "place", "quai", "cours", "allee", "route"}


def _street_words(street: str) -> tuple[str, set[str]]:
    plain = unicodedata.normalize("NFKD", street.casefold()).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", plain)
    number = words[0] if words and words[0].isdigit() else ""
    return number, {w for w in words if len(w) > 3 and w not in _STREET_TYPES}


def _same_street(typed: str, found: str) -> bool:
    """The base's answer replaces what was typed only when it is clearly the same street and
    number: a high score on the postal code and city alone must not move the head office."""
    typed_number, typed_words = _street_words(typed)
    found_number, found_words = _street_words(found)
    return typed_number == found_number and bool(typed_words & found_words)


def organisation_create(
    *,
    user: User,
    name: str,
    siren: str,
    siret: str,
    street: str,
    postal_code: str,
    city: str,
) -> Organisation:
    """Creates the organisation with `user` as its owner.

    The SIREN/SIRET are checked against the company directory and the address normalised by the
    address base; when either cannot confirm, the organisation is created anyway and flagged for
    an administrator's review. Raises OrganisationExists if the SIREN is already registered.
    """
    if siren_taken(siren):
        raise OrganisationExists(siren)
    reasons = [_identity_review_reason(siren, siret)]
    address, address_reason = normalised_address(street=street, postal_code=postal_code, city=city)
    reasons.append(address_reason)
    reasons = [reason for reason in reasons if reason]
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                name=name.strip(),
                siren=siren,
                head_office_siret=siret,
                street=address.street,
                postal_code=address.postal_code,
                city=address.city,
                needs_review=bool(reasons),
                review_reasons="\n".join(reasons),
                created_by=user,
            )
            Membership.objects.create(organisation=organisation, user=user, role=Role.OWNER)
    except IntegrityError as error:  # the same SIREN registered at the same moment
        raise OrganisationExists(siren) from error
    if reasons:
        logger.info("Organisation %s created pending review", organisation.pk)
    return organisation


def organisation_update(
    *,
    organisation: Organisation,
    name: str,
    street: str,
    postal_code: str,
    city: str,
    sacem_id: str,
    sacd_id: str,
) -> Organisation:
    """Saves the settings; a changed address is normalised like at creation."""
    # Compared with the stored row: a ModelForm has already copied the input onto `organisation`.
    organisation = Organisation.objects.get(pk=organisation.pk)
    address_changed = (street.strip(), postal_code.strip(), city.strip()) != (
        organisation.street,
        organisation.postal_code,
        organisation.city,
    )
    fields = ["name", "sacem_id", "sacd_id"]
    if address_changed:
        address, reason = normalised_address(street=street, postal_code=postal_code, city=city)
        organisation.street = address.street
        organisation.postal_code = address.postal_code
        organisation.city = address.city
        fields += ["street", "postal_code", "city"]
        if reason:
            organisation.needs_review = True
            organisation.review_reasons = "\n".join(
                filter(None, [organisation.review_reasons, reason])
            )
            fields += ["needs_review", "review_reasons"]
    organisation.name = name.strip()
    organisation.sacem_id = sacem_id
    organisation.sacd_id = sacd_id
    organisation.save(update_fields=fields)
    return organisation


def access_request(*, user: User, siren: str) -> None:
    """Asks the owners of the organisation with this SIREN to invite `user`.

    The requester learns nothing about the members. At most one request per week per person and
    organisation reaches the owners. Without any owner left, support receives it instead.
    """
    organisation = Organisation.objects.filter(siren=siren).first()
    if organisation is None or organisation.memberships.filter(user=user).exists():
        return
    now = timezone.now()
    recent = AccessRequest.objects.filter(user=user, requested_at__gt=now - timedelta(days=1))
    if recent.count() >= ACCESS_REQUESTS_PER_DAY:
        logger.warning("Access request not sent: daily limit reached for a user")
        return
    with transaction.atomic():
        request, created = AccessRequest.objects.select_for_update().get_or_create(
            organisation=organisation, user=user, defaults={"requested_at": now}
        )
        if not created:
            if request.requested_at > now - ACCESS_REQUEST_INTERVAL:
                return
            request.requested_at = now
            request.save(update_fields=["requested_at"])
    owners = list(
        User.objects.filter(
            memberships__organisation=organisation, memberships__role=Role.OWNER, is_active=True
        )
    )
    team_url = absolute_url(
        reverse("organisations:team", kwargs={"organisation_id": organisation.pk})
        + "?"
        + urlencode({"email": user.email})
    )
    recipients = [owner.email for owner in owners if may_email(owner.email)]
    if not owners:
        recipients = [settings.CONTACT_EMAIL]
    for address in recipients:
        send_templated_email(
            to=[address],
            template="organisation_access_request",
            context={
                "organisation": organisation,
                "requester": user,
                "team_url": team_url,
                "to_support": not owners,
            },
            reply_to=[user.email],
        )
