"""Connecting, updating and disconnecting ticketing systems. Credentials are tested live before
anything is saved, stored encrypted, and never shown back."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation
from ticketing.connectors import open_connector
from ticketing.connectors.base import ConnectorError, Credentials
from ticketing.credentials import credentials_encrypt, credentials_fingerprint
from ticketing.models import Provider, TicketingSystem
from ticketing.sync import sync_request

MAX_SYSTEMS = 10
DUPLICATE = "Cette billetterie est déjà connectée à votre organisation avec ces identifiants."


class SystemRuleError(Exception):
    """Refused; the message is French and shown on the form."""


def credentials_check(provider: str, credentials: Credentials) -> None:
    """Calls the provider; raises SystemRuleError with what to do when it refuses."""
    try:
        connector, client = open_connector(provider, credentials)
    except ConnectorError as error:
        raise SystemRuleError(error.message) from error
    try:
        connector.check_credentials()
    except ConnectorError as error:
        raise SystemRuleError(error.message) from error
    finally:
        client.close()


def connected_systems(organisation: Organisation):
    return organisation.ticketing_systems.filter(disconnected_at__isnull=True).exclude(
        provider=Provider.MANUAL
    )


def system_connect(
    *, organisation: Organisation, provider: str, credentials: Credentials
) -> TicketingSystem:
    """Tests, saves and queues the first sync (13 months back)."""
    if connected_systems(organisation).count() >= MAX_SYSTEMS:
        raise SystemRuleError(
            f"Votre organisation a déjà {MAX_SYSTEMS} billetteries connectées : déconnectez-en une "
            "avant d'en ajouter une autre."
        )
    fingerprint = credentials_fingerprint(provider, credentials)
    if connected_systems(organisation).filter(credentials_fingerprint=fingerprint).exists():
        raise SystemRuleError(DUPLICATE)
    credentials_check(provider, credentials)
    try:
        with transaction.atomic():
            system = TicketingSystem.objects.create(
                organisation=organisation,
                provider=provider,
                credentials_encrypted=credentials_encrypt(credentials),
                credentials_fingerprint=fingerprint,
            )
    except IntegrityError as error:  # the same credentials sent twice at once
        raise SystemRuleError(DUPLICATE) from error
    sync_request(system=system, trigger="connection")
    return system


def system_update_credentials(*, system: TicketingSystem, credentials: Credentials) -> None:
    fingerprint = credentials_fingerprint(system.provider, credentials)
    others = connected_systems(system.organisation).exclude(pk=system.pk)
    if others.filter(credentials_fingerprint=fingerprint).exists():
        raise SystemRuleError(DUPLICATE)
    credentials_check(system.provider, credentials)
    system.credentials_encrypted = credentials_encrypt(credentials)
    system.credentials_fingerprint = fingerprint
    system.save(update_fields=["credentials_encrypted", "credentials_fingerprint"])


def system_disconnect(*, system: TicketingSystem) -> None:
    """Wipes the credentials; the shows and their figures stay."""
    system.disconnected_at = timezone.now()
    system.credentials_encrypted = ""
    system.save(update_fields=["disconnected_at", "credentials_encrypted"])
