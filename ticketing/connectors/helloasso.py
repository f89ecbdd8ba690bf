"""HelloAsso (API v5, https://dev.helloasso.com/reference/): ticket-ledger mode.

Why the ledger: HelloAsso lists sold items (one per ticket) ordered and filtered by their update
date (`sortField=UpdateDate&from=…`), so a run reads only the tickets that changed since the last
one, refunds of old orders included. The orders listing cannot do this: its `from` filters on the
order date, so a refund of an older order never shows there.

HelloAsso has no multi-date event: one Event form is one show with one performance (both keyed
by the form slug). A run:
1. gets an OAuth token (client credentials; kept and refreshed, never fetched per call) and the
   one organisation the client is linked to (`/users/me/organizations`);
2. pages through the organisation's Registration items updated since `since`;
3. per form with changes, reads the public form (title, dates, currency, tiers with their VAT
   rate as a fraction: 0.055) and yields the changed items as tickets.
Step 2 keeps the items in memory only while they stay few (`ITEM_BUFFER`); past that it keeps only
the changed form slugs and step 3 re-reads each form's changed items, so memory stays bounded.

Units: amounts in cents, `vatRate` a fraction, dates ISO 8601 (read as Paris time without offset).
Item states `Processed` (paid) and `Registered` (added by the organiser) are valid; every other
state (`Canceled` after a refund…) is a cancelled ticket. HelloAsso takes no commission from the
organiser, so the item amount is the ticket's revenue.

Requests: 2 (token, organisation) + max(1, ⌈C/100⌉) item pages for C changed items + 1 per
changed form (+ ⌈c/100⌉ item pages per form when C > ITEM_BUFFER). The public form is
remembered (`ShowData.memo`, stored with the show by the engine) and reused for 12 hours while
it knows every tier the changed items name: a run soon after another reads no form.
"""

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from ticketing.connectors.base import (
    Credentials,
    MemoLookup,
    PerformanceData,
    PermanentError,
    ShowData,
    TicketData,
    TransientError,
    memo_fresh,
    memo_new,
    no_memo,
)
from ticketing.connectors.http import ProviderClient

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
PAGE_SIZE = 100
ITEM_BUFFER = 500_000  # about 150 MB of items; past it, each form's items are re-read
TOKEN_MARGIN_SECONDS = 60
VALID_STATES = frozenset({"Processed", "Registered"})
KNOWN_STATES = VALID_STATES | {
    "Waiting",
    "Deleted",
    "Unknown",
    "Canceled",
    "Refused",
    "Abandoned",
    "Refunded",
}
MEMO_VERSION = 1
_FORM_FIELDS = ("title", "privateTitle", "currency", "startDate", "endDate")
_CANONICAL_STATES = {state: state for state in KNOWN_STATES}
monotonic = time.monotonic  # replaced in tests to age the token

REFUSED = (
    "HelloAsso refuse ces identifiants. Vérifiez le « Client ID » et le « Client Secret » dans "
    "l'espace de votre association sur HelloAsso (Mon compte › Intégrations et API), puis "
    "enregistrez-les à nouveau ici."
)
SEVERAL_ORGANISATIONS = (
    "Vos identifiants HelloAsso sont reliés à plusieurs associations : ils doivent l'être à une "
    "seule. Créez une clé d'API depuis l'espace HelloAsso de l'association dont vous déclarez "
    "les spectacles (Mon compte › Intégrations et API) et enregistrez-la ici."
)
NO_ORGANISATION = (
    "Vos identifiants HelloAsso ne sont reliés à aucune association. Créez une clé d'API depuis "
    "l'espace HelloAsso de votre association (Mon compte › Intégrations et API) et "
    "enregistrez-la ici."
)
FORBIDDEN = (
    "HelloAsso n'autorise pas ces identifiants à lire les ventes de l'association. Vérifiez les "
    "droits de la clé d'API dans votre espace HelloAsso (Mon compte › Intégrations et API)."
)
UNREADABLE = "HelloAsso a renvoyé une réponse illisible : la synchronisation reprendra plus tard."
REJECTED = (
    "HelloAsso a refusé une de nos requêtes : contactez le support de l'Assistant déclaration."
)


class _Unreadable(Exception):
    """One record that cannot be read; its show gets a warning, the run goes on."""


class _NotFound(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _Item:
    id: str
    form_slug: str
    tier_id: int | None
    cents: int
    state: str
    updated_at: datetime


@dataclass
class _FormChanges:
    """What the account-wide listing found for one form."""

    items: list[_Item] | None  # None: too many changes to hold, re-read the form's items
    unreadable: int = 0


class HelloAssoConnector:
    def __init__(self, credentials: Credentials, client: ProviderClient, *, provider: str):
        self.provider = provider
        self._credentials = credentials
        self._client = client
        self._access_token: str | None = None
        self._refresh_token: str | None = None
        self._expires_at = 0.0
        self._organization: str | None = None

    # --- Connector ---------------------------------------------------------------------------

    def check_credentials(self) -> None:
        self._organization_slug()

    def shows_changed_since(
        self, since: datetime, memos: MemoLookup = no_memo
    ) -> Iterator[ShowData]:
        organization = self._organization_slug()
        changes = self._changed_forms(organization, since)
        for slug, found in changes.items():
            items = found.items
            unreadable = found.unreadable
            if items is None:
                items, unreadable = self._form_items(organization, slug, since)
            show = self._show(organization, slug, items, unreadable, _usable_form(memos(slug)))
            if show is not None:
                yield show

    # --- Changes -------------------------------------------------------------------------------

    def _changed_forms(self, organization: str, since: datetime) -> dict[str, _FormChanges]:
        """Form slug → its changed items, in the order HelloAsso first reports a change. Past
        ITEM_BUFFER items only the slugs are kept (each form's items are re-read later)."""
        forms: dict[str, _FormChanges] = {}
        buffered = 0
        for raw in self._pages(f"v5/organizations/{organization}/items", _item_params(since)):
            slug = _form_slug(raw)
            if slug is None:
                logger.warning("HelloAsso item without a readable Event form skipped")
                continue
            keep_items = buffered <= ITEM_BUFFER
            found = forms.setdefault(slug, _FormChanges(items=[] if keep_items else None))
            if found.items is None:
                continue
            try:
                found.items.append(_parse_item(raw, slug))
                buffered += 1
            except _Unreadable:
                found.unreadable += 1
            if buffered > ITEM_BUFFER:  # too many to hold: keep the slugs only from now on
                for other in forms.values():
                    other.items, other.unreadable = None, 0
        return forms

    def _form_items(self, organization: str, slug: str, since: datetime) -> tuple[list[_Item], int]:
        items, unreadable = [], 0
        path = f"v5/organizations/{organization}/forms/Event/{slug}/items"
        for raw in self._pages(path, _item_params(since)):
            try:
                items.append(_parse_item(raw, slug))
            except _Unreadable:
                unreadable += 1
        return items, unreadable

    # --- Shows ---------------------------------------------------------------------------------

    def _show(
        self,
        organization: str,
        slug: str,
        items: list[_Item],
        unreadable: int,
        remembered: dict | None,
    ) -> ShowData | None:
        """The form's show. Its public form (title, dates, currency, tiers) comes from the memo
        of an earlier run when usable and knowing every tier the items name; otherwise it is
        read again, and remembered."""
        form = remembered
        if form is None or not _tiers_known(form, items):
            form = self._public_form(organization, slug)
            if form is None:
                return None
        show = self._show_from(slug, form, items, unreadable)
        if form is remembered:
            return show
        return replace(show, memo=memo_new(MEMO_VERSION, form=form))

    def _public_form(self, organization: str, slug: str) -> dict | None:
        """The fields we use of the public form; None when the form is gone."""
        try:
            form = self._get(f"v5/organizations/{organization}/forms/Event/{slug}/public")
        except _NotFound:
            logger.info("HelloAsso form gone, its changes are skipped")
            return None
        if not isinstance(form, dict):
            raise TransientError(UNREADABLE)
        kept = {name: form[name] for name in _FORM_FIELDS if name in form}
        if isinstance(form.get("tiers"), list):
            kept["tiers"] = [
                {name: tier[name] for name in ("id", "vatRate") if name in tier}
                if isinstance(tier, dict)
                else tier
                for tier in form["tiers"]
            ]
        return kept

    def _show_from(self, slug: str, form: dict, items: list[_Item], unreadable: int) -> ShowData:
        name = str(form.get("title") or form.get("privateTitle") or slug)
        warnings: list[str] = []
        if unreadable:
            warnings.append(
                f"{unreadable} billet(s) illisible(s) renvoyé(s) par HelloAsso ont été ignorés."
            )
        currency = form.get("currency") or "EUR"
        if currency != "EUR":
            warnings.append(
                f"Formulaire vendu en {currency} : seules les ventes en euros sont prises en "
                "compte, ses ventes ne sont pas reprises."
            )
            return ShowData(slug, name, (), tickets=(), warnings=tuple(warnings))
        try:
            performance = PerformanceData(
                external_id=slug,
                starts_at=_datetime(form.get("startDate")),
                ends_at=_optional_datetime(form.get("endDate")),
            )
        except _Unreadable:
            warnings.append(
                "Formulaire sans date de représentation lisible : ses ventes ne sont pas reprises."
            )
            return ShowData(slug, name, (), tickets=(), warnings=tuple(warnings))
        tiers, bad_tiers = _tiers(form.get("tiers"))
        tickets, missing_tier = _tickets(items, tiers)
        if missing_tier:
            warnings.append(
                f"Un des tarifs ne peut être récupéré auprès de HelloAsso (tarif supprimé ou "
                f"masqué, problème connu) : {missing_tier} billet(s) payant(s) ignoré(s), faute "
                "de taux de TVA."
            )
        if bad_tiers:
            warnings.append(f"{bad_tiers} tarif(s) illisible(s) renvoyé(s) par HelloAsso.")
        return ShowData(slug, name, (performance,), tickets=tickets, warnings=tuple(warnings))

    # --- Organisation and HTTP -----------------------------------------------------------------

    def _organization_slug(self) -> str:
        if self._organization is None:
            organizations = self._get("v5/users/me/organizations")
            if not isinstance(organizations, list):
                raise TransientError(UNREADABLE)
            if not organizations:
                raise PermanentError(NO_ORGANISATION)
            if len(organizations) > 1:
                raise PermanentError(SEVERAL_ORGANISATIONS)
            slug = organizations[0].get("organizationSlug") if organizations[0] else None
            if not isinstance(slug, str) or not slug:
                raise TransientError(UNREADABLE)
            self._organization = slug
        return self._organization

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict]:
        """Every record of a listing. HelloAsso has no end marker: stop on an empty page, or
        once the `totalCount` announced by the first page has been read."""
        token, received, total = None, 0, None
        while True:
            page_params = {**params, "pageSize": PAGE_SIZE, "withCount": "true"}
            if token:
                page_params["continuationToken"] = token
            page = self._get(path, page_params)
            data = page.get("data") if isinstance(page, dict) else None
            if not isinstance(data, list):
                raise TransientError(UNREADABLE)
            if not data:
                return
            yield from (record for record in data if isinstance(record, dict))
            received += len(data)
            pagination = page.get("pagination") or {}
            if total is None and isinstance(pagination.get("totalCount"), int):
                total = pagination["totalCount"]
            next_token = pagination.get("continuationToken")
            if not next_token or next_token == token or (total is not None and received >= total):
                return
            token = next_token

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self._authorized_get(path, params)
        if response.status_code == 401:  # expired or revoked token: one fresh token, once
            self._expires_at = 0.0
            response = self._authorized_get(path, params)
        if response.status_code in (401, 403):
            raise PermanentError(REFUSED if response.status_code == 401 else FORBIDDEN)
        if response.status_code == 404:
            raise _NotFound(path)
        if response.status_code != 200:
            logger.warning("HelloAsso answered %s", response.status_code)
            raise PermanentError(REJECTED)
        try:
            return response.json()
        except ValueError as error:
            raise TransientError(UNREADABLE) from error

    def _authorized_get(self, path: str, params: dict[str, Any] | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._token()}"}
        return self._client.get(path, params=params, headers=headers)

    def _token(self) -> str:
        if self._access_token and monotonic() < self._expires_at - TOKEN_MARGIN_SECONDS:
            return self._access_token
        if self._refresh_token:
            refreshed = self._request_token(
                {
                    "grant_type": "refresh_token",
                    "client_id": self._credentials.access_key,
                    "refresh_token": self._refresh_token,
                },
                refusal_is_final=False,
            )
            if refreshed:
                return self._access_token
        self._request_token(
            {
                "grant_type": "client_credentials",
                "client_id": self._credentials.access_key,
                "client_secret": self._credentials.secret_key,
            },
            refusal_is_final=True,
        )
        return self._access_token

    def _request_token(self, form: dict[str, str], *, refusal_is_final: bool) -> bool:
        response = self._client.post("oauth2/token", data=form)
        if response.status_code in (400, 401, 403):
            self._refresh_token = None
            if refusal_is_final:
                raise PermanentError(REFUSED)
            return False
        if response.status_code != 200:
            logger.warning("HelloAsso token endpoint answered %s", response.status_code)
            raise PermanentError(REJECTED)
        try:
            payload = response.json()
            self._access_token = str(payload["access_token"])
            lifetime = float(payload.get("expires_in") or 0)
        except (ValueError, KeyError, TypeError) as error:
            raise TransientError(UNREADABLE) from error
        self._refresh_token = payload.get("refresh_token") or None
        self._expires_at = monotonic() + lifetime
        return True


def build(credentials: Credentials, client: ProviderClient, *, provider: str) -> HelloAssoConnector:
    return HelloAssoConnector(credentials, client, provider=provider)


# --- Parsing ----------------------------------------------------------------------------------


def _item_params(since: datetime) -> dict[str, Any]:
    return {
        "from": since.isoformat(),
        "tierTypes": ["Registration"],
        "sortField": "UpdateDate",
        "sortOrder": "Asc",
    }


def _form_slug(raw: dict) -> str | None:
    order = raw.get("order")
    if not isinstance(order, dict) or order.get("formType") != "Event":
        return None
    slug = order.get("formSlug")
    return slug if isinstance(slug, str) and slug else None


def _parse_item(raw: dict, slug: str) -> _Item:
    order = raw["order"]
    state = raw.get("state")
    if state not in KNOWN_STATES:
        raise _Unreadable("state")
    meta = order.get("meta") if isinstance(order.get("meta"), dict) else {}
    tier_id = raw.get("tierId")
    if tier_id is not None and (isinstance(tier_id, bool) or not isinstance(tier_id, int)):
        raise _Unreadable("tierId")
    item_id = raw.get("id")
    if item_id is None or isinstance(item_id, bool):
        raise _Unreadable("id")
    return _Item(
        id=str(item_id),
        form_slug=slug,
        tier_id=tier_id,
        cents=_cents(raw.get("amount")),
        state=_CANONICAL_STATES[state],  # one string per state, shared by every item
        updated_at=_datetime(meta.get("updatedAt") or meta.get("createdAt") or order.get("date")),
    )


def _cents(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Unreadable("amount")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise _Unreadable("amount") from error
    if not amount.is_finite() or amount < 0 or amount != amount.to_integral_value():
        raise _Unreadable("amount")
    return int(amount)


def _datetime(value: Any) -> datetime:
    if not isinstance(value, str) or not value:
        raise _Unreadable("date")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise _Unreadable("date") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def _optional_datetime(value: Any) -> datetime | None:
    try:
        return _datetime(value)
    except _Unreadable:
        return None


def _usable_form(memo: dict | None) -> dict | None:
    """The remembered public form, unless the memo is of another format or too old."""
    memo = memo_fresh(memo, MEMO_VERSION)
    form = memo.get("form") if memo is not None else None
    return form if isinstance(form, dict) else None


def _tiers_known(form: dict, items: list[_Item]) -> bool:
    tiers, _ = _tiers(form.get("tiers"))
    return all(item.tier_id is None or item.tier_id in tiers for item in items)


def _tiers(raw: Any) -> tuple[dict[int, Decimal], int]:
    """Tier id → VAT rate (a fraction; absent means no VAT), and how many were unreadable."""
    tiers, unreadable = {}, 0
    for tier in raw if isinstance(raw, list) else []:
        if not isinstance(tier, dict) or not isinstance(tier.get("id"), int):
            unreadable += 1
            continue
        rate = tier.get("vatRate")
        try:
            vat_rate = Decimal(0) if rate is None else Decimal(str(rate))
        except InvalidOperation:
            unreadable += 1
            continue
        if isinstance(rate, bool) or not vat_rate.is_finite() or not 0 <= vat_rate < 1:
            unreadable += 1
            continue
        tiers[tier["id"]] = vat_rate
    return tiers, unreadable


def _tickets(items: list[_Item], tiers: dict[int, Decimal]) -> tuple[tuple[TicketData, ...], int]:
    """The items as ledger tickets, and how many valid paid items have no known tier (no VAT
    rate to apply: HelloAsso's order-level VAT is one amount for a whole order)."""
    tickets, missing = [], 0
    for item in items:
        cancelled = item.state not in VALID_STATES
        vat_rate = tiers.get(item.tier_id) if item.tier_id is not None else None
        if vat_rate is None and item.cents and not cancelled:
            missing += 1
            continue
        tickets.append(
            TicketData(
                external_id=item.id,
                performance_external_id=item.form_slug,
                cancelled=cancelled,
                price_incl_vat=Decimal(item.cents) / 100,
                vat_rate=vat_rate if vat_rate is not None else Decimal(0),
                updated_at=item.updated_at,
            )
        )
    return tuple(tickets), missing
