"""Ticketing credentials at rest: encrypted with MultiFernet (keys in
TICKETING_CREDENTIALS_KEYS, newest first), decrypted only to call the provider, never shown."""

import hashlib
import hmac
import json

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

from ticketing.connectors.base import Credentials


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.TICKETING_CREDENTIALS_KEYS])


def credentials_encrypt(credentials: Credentials) -> str:
    payload = json.dumps(
        {"access_key": credentials.access_key, "secret_key": credentials.secret_key}
    )
    return _fernet().encrypt(payload.encode()).decode()


def credentials_decrypt(token: str) -> Credentials:
    data = json.loads(_fernet().decrypt(token.encode()))
    return Credentials(access_key=data["access_key"], secret_key=data["secret_key"])


def credentials_rotate(token: str) -> str:
    """The same credentials encrypted with the newest key."""
    return _fernet().rotate(token.encode()).decode()


def credentials_fingerprint(provider: str, credentials: Credentials) -> str:
    """Identifies an account of a provider without storing its secret in clear: the access key
    when the provider has one, else the secret."""
    identity = credentials.access_key.strip().casefold() or credentials.secret_key.strip()
    message = f"{provider}:{identity}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
