"""Per-provider request budgets kept in PostgreSQL (token buckets), shared by every sync run and
every worker: a second sync of the same credentials waits instead of tripping the provider's
limit. Billetweb documents 100 requests a minute; we stay under it. The others document nothing:
a conservative budget anyway."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ticketing.models import RateBudget


@dataclass(frozen=True)
class Budget:
    capacity: float  # burst
    per_second: float  # sustained rate


BUDGETS = {
    # Any 60 s window holds at most capacity + 60 × rate = 90 requests, under Billetweb's 100.
    "billetweb": Budget(capacity=10, per_second=80 / 60),
    "mapado": Budget(capacity=20, per_second=5),
    "helloasso": Budget(capacity=10, per_second=2),
    "shotgun": Budget(capacity=20, per_second=5),
    "supersoniks": Budget(capacity=20, per_second=5),
    "soticket": Budget(capacity=20, per_second=5),
}


def take_token(key: str, budget: Budget) -> float:
    """Takes one token if available and returns 0, else returns the seconds to wait."""
    with transaction.atomic():
        now = timezone.now()
        row, _ = RateBudget.objects.select_for_update().get_or_create(
            key=key, defaults={"tokens": budget.capacity, "refilled_at": now}
        )
        elapsed = max(0.0, (now - row.refilled_at).total_seconds())
        tokens = min(budget.capacity, row.tokens + elapsed * budget.per_second)
        if tokens >= 1:
            row.tokens, row.refilled_at = tokens - 1, now
            row.save(update_fields=["tokens", "refilled_at"])
            return 0.0
        row.tokens, row.refilled_at = tokens, now
        row.save(update_fields=["tokens", "refilled_at"])
        return (1 - tokens) / budget.per_second


def throttle_for(
    provider: str, account_key: str, *, sleep: Callable[[float], None] = time.sleep
) -> Callable[[], None]:
    """The `throttle` given to a connector's client: blocks until the budget allows a request."""
    budget = BUDGETS[provider]
    key = f"{provider}:{account_key}"
    if not settings.TICKETING_RATE_BUDGETS:
        return lambda: None

    def throttle() -> None:
        while (wait := take_token(key, budget)) > 0:
            sleep(wait)

    return throttle
