"""Fake of the HelloAsso API v5 (https://dev.helloasso.com/reference/), its OAuth server included.

- `POST /oauth2/token` (form body): `grant_type=client_credentials` with `client_id` and
  `client_secret`, or `grant_type=refresh_token` with `client_id` and `refresh_token`; answers
  `access_token`, `refresh_token`, `token_type: "bearer"`, `expires_in: 1800`. Refused clients get
  the OAuth error body (`{"error": "invalid_client", …}`, HTTP 400).
- `GET /v5/users/me/organizations`: the organisations the client may act for.
- `GET /v5/organizations/{org}/items` and `…/forms/Event/{formSlug}/items`: items (one per ticket)
  with `from`/`to` (on the order date, or on the update date with `sortField=UpdateDate`),
  `tierTypes`, `itemStates` (repeated), `sortOrder`, `pageSize` (≤ 100), `withCount`, and
  continuation tokens: the last page is followed by pages with an empty `data`.
- `GET /v5/organizations/{org}/forms/Event/{formSlug}/public`: title, dates, currency, tiers with
  their price in cents and `vatRate` as a fraction (0.055).
- API calls need `Authorization: Bearer <access_token>`; an unknown or expired token gets 401.

The data set maps as HelloAsso organisers use it: HelloAsso has no multi-date event, so each
performance is its own Event form; each category a Registration tier (plus a donation tier that
sells nothing); each ticket an order of one item. Online sales are `Processed` with a card
payment, box-office and invitations `Registered` by the organiser, refunds `Canceled` with a
`Refunded` payment. HelloAsso takes no commission from the organiser (it lives on voluntary tips),
so item amounts are what the spectator paid for the ticket.

No rate limit is documented, so none is enforced; `Fault.RATE_LIMITED` answers 429 with
Retry-After. Tests steer edge cases through the account's `state`: `organizations` (list),
`form_overrides` ({formSlug: {field: value}}) and `hidden_tiers` (tier ids left out of the
public forms). Tokens never expire on their own (determinism); `expire_tokens()` expires them.
"""

import base64
import itertools
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
from django.utils.text import slugify

from ticketing.connectors.base import Credentials
from ticketing.sandbox import accounts, faults
from ticketing.sandbox.dataset import Dataset, FakePerformance, FakeShow, FakeTicket
from ticketing.sandbox.faults import Fault

SERVICE = "helloasso"
PROVIDER = "helloasso"
PARIS = ZoneInfo("Europe/Paris")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
TOKEN_LIFETIME = 1800
DEFAULT_ORGANIZATION = {
    "organizationSlug": "theatre-de-la-lune-rousse",
    "name": "Théâtre de la Lune Rousse",
    "type": "Association",
    "city": "Lyon",
    "zipCode": "69001",
    "url": "https://www.helloasso-sandbox.com/associations/theatre-de-la-lune-rousse",
}
DEMO_CREDENTIALS = Credentials(
    access_key="5a9e0c1d7b3f4e2a8c6d0b1e9f7a3c5d",
    secret_key="SandboxOnly+NotARealSecret/hA0kQ7vX2pL9wR4tZ1nB6cV8sD3fG=",
)
STATES = ("Processed", "Registered", "Canceled")
MALFORMED_DATE = "31/02/2026 25:61"


@dataclass
class _Token:
    access_key: str
    secret_key: str
    expired: bool = False


_lock = threading.Lock()
_access_tokens: dict[str, _Token] = {}
_refresh_tokens: dict[str, _Token] = {}
_serial = itertools.count(1)


def expire_tokens() -> None:
    """Every access token issued so far is refused from now on (as after its 30 minutes)."""
    with _lock:
        for token in _access_tokens.values():
            token.expired = True


def form_slug(show: FakeShow, performance: FakePerformance) -> str:
    return f"{slugify(show.name)}-{performance.id % 1000 + 1}"


def tier_id(performance: FakePerformance, category_id: int) -> int:
    return performance.id * 10 + category_id % 100


def handle(request: httpx.Request, path: str) -> httpx.Response:
    fault = faults.active(SERVICE)
    if fault in faults.TRANSPORT_FAULTS:
        return faults.fault_response(
            fault, request, error=_error, normal=lambda: _answer(request, path, None)
        )
    return _answer(request, path, fault)


def _answer(request: httpx.Request, path: str, fault: Fault | None) -> httpx.Response:
    if path.rstrip("/") == "/oauth2/token":
        if request.method != "POST":
            return _error(405, "The requested resource does not support this method.")
        return _token(request, refused=fault is Fault.CREDENTIALS_REFUSED)
    if not path.startswith("/v5/"):
        return _error(404, "Not Found", code="NotFound")
    if request.method != "GET":
        return _error(405, "The requested resource does not support this method.")
    account = None if fault is Fault.CREDENTIALS_REFUSED else _bearer_account(request)
    if account is None:
        return httpx.Response(
            401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            json={"message": "Authorization has been denied for this request."},
        )
    return _route(request, path[len("/v5") :], account, broken=fault is Fault.MALFORMED_RECORD)


def _error(status: int, message: str, *, code: str = "InternalError") -> httpx.Response:
    return httpx.Response(status, json={"errors": [{"code": code, "message": message}]})


def _oauth_error(error: str, description: str) -> httpx.Response:
    return httpx.Response(400, json={"error": error, "error_description": description})


# --- OAuth -------------------------------------------------------------------------------------


def _token(request: httpx.Request, *, refused: bool) -> httpx.Response:
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    grant = form.get("grant_type")
    if grant == "client_credentials":
        account = accounts.find(
            PROVIDER,
            access_key=form.get("client_id", ""),
            secret_key=form.get("client_secret", ""),
        )
        if account is None or refused:
            return _oauth_error("invalid_client", "Invalid client_id or client_secret.")
        owner = _Token(account.access_key, account.secret_key)
    elif grant == "refresh_token":
        with _lock:
            owner = _refresh_tokens.pop(form.get("refresh_token", ""), None)
        if owner is None or owner.access_key != form.get("client_id") or refused:
            return _oauth_error("invalid_grant", "The refresh token is invalid or expired.")
        account = accounts.find(PROVIDER, access_key=owner.access_key, secret_key=owner.secret_key)
        if account is None:
            return _oauth_error("invalid_grant", "The refresh token is invalid or expired.")
    else:
        return _oauth_error("unsupported_grant_type", "The specified grant type is not supported.")
    serial = next(_serial)
    access, refresh = f"eyJhbGciOiJSUzI1NiJ9.sandbox-{serial}", f"sandbox-refresh-{serial}"
    with _lock:
        _access_tokens[access] = _Token(owner.access_key, owner.secret_key)
        _refresh_tokens[refresh] = _Token(owner.access_key, owner.secret_key)
    account.state["tokens_issued"] = account.state.get("tokens_issued", 0) + 1
    return httpx.Response(
        200,
        json={
            "access_token": access,
            "token_type": "bearer",
            "expires_in": TOKEN_LIFETIME,
            "refresh_token": refresh,
        },
    )


def _bearer_account(request: httpx.Request) -> accounts.SandboxAccount | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    with _lock:
        token = _access_tokens.get(value.strip())
    if token is None or token.expired:
        return None
    return accounts.find(PROVIDER, access_key=token.access_key, secret_key=token.secret_key)


# --- API ---------------------------------------------------------------------------------------


def _route(
    request: httpx.Request, path: str, account: accounts.SandboxAccount, *, broken: bool
) -> httpx.Response:
    parts = path.strip("/").split("/")
    if parts == ["users", "me", "organizations"]:
        return httpx.Response(200, json=_organizations(account))
    if len(parts) < 3 or parts[0] != "organizations":
        return _error(404, "Not Found", code="NotFound")
    if parts[1] not in {o["organizationSlug"] for o in _organizations(account)}:
        return _error(403, "You are not allowed to access this organization.", code="Forbidden")
    index = _index(account)
    if parts[2:] == ["items"]:
        return _items(request, account, index, None, broken=broken)
    if len(parts) == 6 and parts[2] == "forms":
        _, _, _, form_type, slug, leaf = parts
        form = index.forms.get(slug) if form_type == "Event" else None
        if form is None:
            return _error(404, "Form not found", code="NotFound")
        if leaf == "public":
            return httpx.Response(200, json=_public_form(account, *form))
        if leaf == "items":
            return _items(request, account, index, form[1], broken=broken)
    return _error(404, "Not Found", code="NotFound")


def _organizations(account: accounts.SandboxAccount) -> list[dict]:
    return account.state.get("organizations", [DEFAULT_ORGANIZATION])


@dataclass
class _Index:
    """Per data set: forms by slug, and each performance's ticket positions (stable: `touch()`
    replaces tickets in place)."""

    forms: dict[str, tuple[FakeShow, FakePerformance]]
    slugs: dict[int, str]
    positions: dict[int, list[int]]


def _index(account: accounts.SandboxAccount) -> _Index:
    dataset = account.dataset
    key = (id(dataset), id(dataset.tickets), len(dataset.tickets))
    cached = account.state.get("index")
    if cached is not None and cached[0] == key:
        return cached[1]
    forms, slugs, positions = {}, {}, {}
    for show in dataset.shows:
        for performance in show.performances:
            slug = form_slug(show, performance)
            forms[slug], slugs[performance.id] = (show, performance), slug
            positions[performance.id] = []
    for position, ticket in enumerate(dataset.tickets):
        positions[ticket.performance_id].append(position)
    index = _Index(forms, slugs, positions)
    account.state["index"] = (key, index)
    return index


def _iso(moment: datetime) -> str:
    return moment.astimezone(PARIS).isoformat()


def _public_form(
    account: accounts.SandboxAccount, show: FakeShow, performance: FakePerformance
) -> dict:
    slug = form_slug(show, performance)
    organization = _organizations(account)[0]
    hidden = set(account.state.get("hidden_tiers", ()))
    tiers = [
        {
            "id": tier_id(performance, category.id),
            "label": category.name,
            "tierType": "Registration",
            "price": int(category.price * 100),
            "vatRate": float(category.vat_rate),
            "paymentFrequency": "Single",
            "isEligibleTaxReceipt": False,
        }
        for category in show.categories
    ]
    tiers.append(
        {
            "id": performance.id * 10 + 9,
            "label": "Don à l'association",
            "tierType": "Donation",
            "price": 0,
            "minAmount": 100,
            "vatRate": 0.0,
            "paymentFrequency": "Single",
            "isEligibleTaxReceipt": True,
        }
    )
    form = {
        "organizationName": organization.get("name"),
        "organizationSlug": organization["organizationSlug"],
        "formSlug": slug,
        "formType": "Event",
        "title": f"{show.name} – {performance.starts_at.astimezone(PARIS):%d/%m/%Y %H:%M}",
        "description": "Réservez vos places.",
        "startDate": _iso(performance.starts_at),
        "endDate": _iso(performance.ends_at),
        "currency": "EUR",
        "state": "Public",
        "place": {"name": "Salle des fêtes", "city": "Lyon", "zipCode": "69001", "country": "FRA"},
        "meta": {"createdAt": _iso(show.created_at), "updatedAt": _iso(show.created_at)},
        "url": f"https://www.helloasso-sandbox.com/associations/"
        f"{organization['organizationSlug']}/evenements/{slug}",
        "tiers": [tier for tier in tiers if tier["id"] not in hidden],
    }
    return form | account.state.get("form_overrides", {}).get(slug, {})


def _items(
    request: httpx.Request,
    account: accounts.SandboxAccount,
    index: _Index,
    performance: FakePerformance | None,
    *,
    broken: bool,
) -> httpx.Response:
    params = request.url.params
    try:
        page_size = int(params.get("pageSize", DEFAULT_PAGE_SIZE))
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError
        token = params.get("continuationToken")
        if token:
            listing, offset = _decode(token)
            positions = account.state.get("listings", {})[listing]
        else:
            positions = _select(account.dataset, index, performance, params)
            listing, offset = _remember(account, positions), 0
    except (ValueError, KeyError):
        return _error(400, "Invalid parameters", code="ArgumentInvalid")
    dataset = account.dataset
    page = positions[offset : offset + page_size]
    end = offset + len(page)
    data = [_item(account, index, dataset.tickets[p], broken=broken) for p in page]
    pagination = {
        "pageSize": page_size,
        "pageIndex": offset // page_size + 1,
        "continuationToken": _encode(listing, end),
    }
    if params.get("withCount", "false").lower() == "true":
        pagination["totalCount"] = len(positions)
        pagination["totalPages"] = -(-len(positions) // page_size)
    return httpx.Response(200, json={"data": data, "pagination": pagination})


def _select(
    dataset: Dataset, index: _Index, performance: FakePerformance | None, params
) -> list[int]:
    """Positions of the tickets matching the filters, in the requested order."""
    tier_types = params.get_list("tierTypes")
    if tier_types and "Registration" not in tier_types:
        return []
    states = set(params.get_list("itemStates"))
    by_update = params.get("sortField") == "UpdateDate"
    start, end = _date_param(params.get("from")), _date_param(params.get("to"))
    if performance is None:
        candidates = range(len(dataset.tickets))
    else:
        candidates = index.positions[performance.id]
    selected = []
    for position in candidates:
        ticket = dataset.tickets[position]
        moment = ticket.updated_at if by_update else ticket.created_at
        if (start and moment < start) or (end and moment >= end):
            continue
        if states and _state(ticket) not in states:
            continue
        selected.append(position)

    def key(position: int) -> tuple:
        ticket = dataset.tickets[position]
        return (ticket.updated_at if by_update else ticket.created_at, ticket.id)

    selected.sort(key=key, reverse=params.get("sortOrder", "Desc") != "Asc")
    return selected


def _date_param(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def _remember(account: accounts.SandboxAccount, positions: list[int]) -> int:
    """Keeps the listing's order for its continuation tokens (the last few listings only)."""
    listings = account.state.setdefault("listings", {})
    number = account.state.get("listing_serial", 0) + 1
    account.state["listing_serial"] = number
    listings[number] = positions
    for old in [n for n in listings if n <= number - 8]:
        del listings[old]
    return number


def _encode(listing: int, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([listing, offset]).encode()).decode()


def _decode(token: str) -> tuple[int, int]:
    try:
        listing, offset = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(listing), int(offset)
    except (ValueError, TypeError) as error:
        raise ValueError("bad continuation token") from error


def _state(ticket: FakeTicket) -> str:
    if ticket.refunded:
        return "Canceled"
    return "Processed" if ticket.payment == "web" else "Registered"


def _item(
    account: accounts.SandboxAccount, index: _Index, ticket: FakeTicket, *, broken: bool
) -> dict:
    show = account.dataset.show(ticket.show_id)
    category = next(c for c in show.categories if c.id == ticket.category_id)
    performance = next(p for p in show.performances if p.id == ticket.performance_id)
    organization = _organizations(account)[0]
    cents = int(ticket.price * 100)
    updated_at = _iso(ticket.updated_at)
    if broken and ticket.id == account.dataset.tickets[0].id:
        updated_at = MALFORMED_DATE  # the one unreadable record of the account
    payments = []
    if ticket.payment == "web" and cents:
        payments.append(
            {
                "id": 8_000_000 + ticket.id,
                "shareAmount": cents,
                "amount": cents,
                "date": _iso(ticket.created_at),
                "paymentMeans": "Card",
                "installmentNumber": 1,
                "state": "Refunded" if ticket.refunded else "Authorized",
            }
        )
    return {
        "order": {
            "id": 5_000_000 + ticket.id,
            "date": _iso(ticket.created_at),
            "formSlug": index.slugs[performance.id],
            "formType": "Event",
            "organizationName": organization.get("name"),
            "organizationSlug": organization["organizationSlug"],
            "organizationType": "Association",
            "organizationIsUnderColucheLaw": False,
            "meta": {"createdAt": _iso(ticket.created_at), "updatedAt": updated_at},
        },
        "payer": {
            "email": f"spectateur.{ticket.id}@example.org",
            "country": "FRA",
            "firstName": "Camille",
            "lastName": f"Spectateur {ticket.id}",
        },
        "payments": payments,
        "name": category.name,
        "user": {"firstName": "Camille", "lastName": f"Spectateur {ticket.id}"},
        "priceCategory": "Fixed" if cents else "Free",
        "tierDescription": "",
        "tierId": tier_id(performance, category.id),
        "id": ticket.id,
        "amount": cents,
        "type": "Registration",
        "initialAmount": cents,
        "state": _state(ticket),
        "qrCode": base64.b64encode(f"sandbox-ticket-{ticket.id}".encode()).decode(),
        "ticketUrl": f"https://www.helloasso-sandbox.com/beta/tickets/{ticket.id}",
    }
