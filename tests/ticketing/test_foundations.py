"""Credentials at rest, the shared request budget, the figures rule, the provider client."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from ticketing.connectors.base import Credentials, TransientError
from ticketing.connectors.http import ProviderClient, check_public_host
from ticketing.credentials import (
    credentials_decrypt,
    credentials_encrypt,
    credentials_fingerprint,
    credentials_rotate,
)
from ticketing.figures import figures_from_tickets
from ticketing.models import RateBudget
from ticketing.rate_budget import Budget, take_token

SECRET = Credentials(access_key="12345", secret_key="s3cr3t-key-value")


def test_credentials_are_encrypted_and_come_back():
    token = credentials_encrypt(SECRET)
    assert "s3cr3t" not in token and "12345" not in token
    assert credentials_decrypt(token) == SECRET


def test_rotation_reencrypts_with_the_newest_key(settings):
    old_token = credentials_encrypt(SECRET)
    new_key = Fernet.generate_key().decode()
    settings.TICKETING_CREDENTIALS_KEYS = [new_key, *settings.TICKETING_CREDENTIALS_KEYS]
    rotated = credentials_rotate(old_token)
    settings.TICKETING_CREDENTIALS_KEYS = [new_key]
    assert credentials_decrypt(rotated) == SECRET


def test_the_fingerprint_identifies_an_account_without_its_secret():
    a = credentials_fingerprint("billetweb", SECRET)
    assert a == credentials_fingerprint("billetweb", Credentials(" 12345 ", "other"))
    assert a != credentials_fingerprint("mapado", SECRET)
    assert "s3cr3t" not in a
    token_only = credentials_fingerprint("mapado", Credentials("", "token-1"))
    assert token_only != credentials_fingerprint("mapado", Credentials("", "token-2"))


@pytest.mark.django_db
def test_the_budget_gives_its_burst_then_asks_to_wait():
    budget = Budget(capacity=3, per_second=1)
    waits = [take_token("test:account", budget) for _ in range(4)]
    assert waits[:3] == [0, 0, 0]
    assert 0.9 < waits[3] <= 1.0
    RateBudget.objects.filter(key="test:account").update(
        refilled_at=timezone.now() - timedelta(seconds=2)
    )
    assert take_token("test:account", budget) == 0


def test_figures_exclude_cancelled_count_free_and_sum_excl_vat_per_ticket():
    tickets = [
        (Decimal("10.55"), Decimal("0.055"), False),
        (Decimal("10.55"), Decimal("0.055"), False),
        (Decimal("12"), Decimal("0.2"), False),
        (Decimal("0"), Decimal("0"), False),
        (Decimal("50"), Decimal("0.055"), True),
    ]
    figures = figures_from_tickets(tickets)
    assert (figures.free_tickets, figures.paid_tickets) == (1, 3)
    assert figures.revenue_incl_vat == Decimal("33.10")
    # 10.55 / 1.055 = 10 (twice) + 12 / 1.2 = 10
    assert figures.revenue_excl_vat == Decimal("30.00")
    assert figures.vat_rate is None
    assert figures_from_tickets(tickets[:2]).vat_rate == Decimal("0.055")


def test_excl_vat_is_rounded_once_not_per_ticket():
    # 3 × 1.00 at 5.5 %: 0.947867… each; per-ticket rounding would give 2.85, the exact sum 2.84.
    figures = figures_from_tickets([(Decimal("1.00"), Decimal("0.055"), False)] * 3)
    assert figures.revenue_excl_vat == Decimal("2.84")


def test_excl_vat_half_cent_is_rounded_up_exactly():
    # 15.03 / 1.2 = 12.525 exactly; a ticket-by-ticket 28-digit sum lands at 12.52499…
    prices = ["1.01"] * 3 + ["1.00"] * 12
    figures = figures_from_tickets((Decimal(p), Decimal("0.2"), False) for p in prices)
    assert figures.revenue_excl_vat == Decimal("12.53")
    mixed = [(Decimal("474.09"), Decimal("0.2"), False), (Decimal("2.11"), Decimal("0.055"), False)]
    # 395.075 + 2.000… (2.11 / 1.055 = 2): the exact half cent survives the mixed rates.
    assert figures_from_tickets(mixed).revenue_excl_vat == Decimal("397.08")


def _client(handler, **kwargs) -> ProviderClient:
    client = ProviderClient("http://provider.test/api", sleep=kwargs.pop("sleep"), **kwargs)
    client._client = httpx.Client(transport=httpx.MockTransport(handler))
    return client


def test_the_client_retries_then_honours_retry_after():
    answers = iter(
        [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=[])]
    )
    waits = []
    client = _client(lambda request: next(answers), sleep=waits.append)
    assert client.get("events").status_code == 200
    assert client.requests_made == 2
    assert waits == [7.0]


def test_the_client_gives_up_with_a_transient_error():
    waits = []
    client = _client(lambda request: httpx.Response(503), sleep=waits.append)
    with pytest.raises(TransientError):
        client.get("events")
    assert client.requests_made == 4
    assert len(waits) == 3


def test_the_client_calls_the_throttle_before_every_request():
    calls = []
    client = _client(
        lambda request: httpx.Response(200), sleep=lambda s: None, throttle=lambda: calls.append(1)
    )
    client.get("a")
    client.get("b")
    assert len(calls) == 2


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/api", "http://localhost/api", "http://10.0.0.8/"]
)
def test_private_hosts_are_refused_outside_the_sandbox(settings, url):
    from ticketing.connectors.base import PermanentError

    settings.HTTP_SANDBOX = False
    with pytest.raises(PermanentError):
        check_public_host(url)


@pytest.mark.django_db
def test_the_reencrypt_command_moves_every_credential_to_the_newest_key(settings):
    from io import StringIO

    from django.core.management import call_command

    from declarations.services import sibil_account_save
    from tests.factories import OrganisationFactory
    from ticketing.models import TicketingSystem

    organisation = OrganisationFactory()
    account = sibil_account_save(organisation, "demo-sibil", "mot-de-passe")
    system = TicketingSystem.objects.create(
        organisation=organisation,
        provider="billetweb",
        credentials_encrypted=credentials_encrypt(SECRET),
        credentials_fingerprint=credentials_fingerprint("billetweb", SECRET),
    )
    new_key = Fernet.generate_key().decode()
    settings.TICKETING_CREDENTIALS_KEYS = [new_key, *settings.TICKETING_CREDENTIALS_KEYS]
    out = StringIO()
    call_command("ticketing_reencrypt", stdout=out)
    assert "1 billetterie" in out.getvalue()
    assert "1 compte(s) SIBIL" in out.getvalue()
    settings.TICKETING_CREDENTIALS_KEYS = [new_key]
    system.refresh_from_db()
    account.refresh_from_db()
    assert credentials_decrypt(system.credentials_encrypted) == SECRET
    assert credentials_decrypt(account.credentials_encrypted).secret_key == "mot-de-passe"


def test_no_minute_of_the_billetweb_budget_exceeds_its_documented_limit():
    from ticketing.rate_budget import BUDGETS

    budget = BUDGETS["billetweb"]
    assert budget.capacity + 60 * budget.per_second <= 90 < 100


@pytest.mark.django_db
def test_the_throttle_waits_for_the_budget_when_budgets_are_on(settings):
    from ticketing.rate_budget import throttle_for

    settings.TICKETING_RATE_BUDGETS = True
    waits = []
    throttle = throttle_for("billetweb", "account", sleep=waits.append)
    for _ in range(10):  # the burst
        throttle()
    assert waits == []
    RateBudget.objects.filter(key="billetweb:account").update(
        refilled_at=timezone.now() + timedelta(seconds=1)  # no refill for the next call
    )
    with pytest.raises(Waited) as waited:
        # The next call has to wait; stop the loop at the first wait.
        throttle_for("billetweb", "account", sleep=_stop)()
    assert waited.value.seconds > 0


class Waited(Exception):
    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


def _stop(seconds: float) -> None:
    raise Waited(seconds)


def test_the_connect_form_refuses_a_supersoniks_address_that_is_not_a_domain():
    from ticketing.forms import CredentialsForm

    form = CredentialsForm(
        "supersoniks", {"access_key": "https://billetterie.exemple.fr/", "secret_key": "ey.x.y"}
    )
    assert not form.is_valid()
    assert "access_key" in form.errors
    good = CredentialsForm(
        "soticket", {"access_key": "billetterie.exemple.fr", "secret_key": "ey.x"}
    )
    assert good.is_valid(), good.errors
