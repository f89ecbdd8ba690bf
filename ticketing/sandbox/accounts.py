"""Which data set each fake provider serves, keyed by the credentials it receives.

Tests register an account (`register(...)`) and pass the same credentials to the connector; the
demo registers one account per provider at start-up (see `demo_accounts()`). Module state, shared
by the test process and its live server thread; `clear()` between tests.
"""

import threading
from dataclasses import dataclass, field

from ticketing.sandbox.dataset import Dataset, build_dataset


@dataclass
class SandboxAccount:
    provider: str
    access_key: str
    secret_key: str
    dataset: Dataset
    # Free-form per-provider state (issued OAuth tokens, rate-limit windows…).
    state: dict = field(default_factory=dict)


_lock = threading.Lock()
_accounts: dict[tuple[str, str, str], SandboxAccount] = {}


def register(
    provider: str, *, access_key: str, secret_key: str, dataset: Dataset | None = None
) -> SandboxAccount:
    account = SandboxAccount(provider, access_key, secret_key, dataset or build_dataset())
    with _lock:
        _accounts[(provider, access_key, secret_key)] = account
    return account


def find(provider: str, *, access_key: str = "", secret_key: str = "") -> SandboxAccount | None:
    with _lock:
        return _accounts.get((provider, access_key, secret_key))


def find_by_secret(provider: str, secret_key: str) -> SandboxAccount | None:
    """For providers whose requests carry only a token (Mapado, Supersoniks)."""
    with _lock:
        return next(
            (a for (p, _, s), a in _accounts.items() if p == provider and s == secret_key), None
        )


def clear() -> None:
    with _lock:
        _accounts.clear()


DEMO_PROVIDERS = ("billetweb", "mapado", "helloasso", "shotgun", "supersoniks")


def register_demo_accounts(now=None) -> list[SandboxAccount]:
    """One account per provider with its module's DEMO_CREDENTIALS, for `make run`: a few shows
    over the last thirteen months and the coming month."""
    import importlib
    from datetime import UTC, datetime

    now = now or datetime.now(UTC).replace(microsecond=0)
    registered = []
    for seed, provider in enumerate(DEMO_PROVIDERS, start=1):
        credentials = importlib.import_module(f"ticketing.sandbox.{provider}").DEMO_CREDENTIALS
        dataset = build_dataset(
            shows=6, performances_per_show=3, tickets_per_performance=60, seed=seed, now=now
        )
        registered.append(
            register(
                provider,
                access_key=credentials.access_key,
                secret_key=credentials.secret_key,
                dataset=dataset,
            )
        )
    return registered
