"""Everything a declaration says, frozen at the time it is made.

Documents (SACEM PDF, SACD XML, SIBIL declarations, CNM/ASTP figures) are pure functions of a
`DeclarationSnapshot`: they never read the database, so what was sent can be rebuilt exactly and
the snapshot itself is stored, as JSON, with every transmission.
"""

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Amount:
    """A sum in euros excluding and including VAT (both rounded to the cent)."""

    excl_vat: Decimal = Decimal("0.00")
    incl_vat: Decimal = Decimal("0.00")

    @property
    def vat(self) -> Decimal:
        return self.incl_vat - self.excl_vat

    def __add__(self, other: "Amount") -> "Amount":
        return Amount(self.excl_vat + other.excl_vat, self.incl_vat + other.incl_vat)


ZERO = Amount()


@dataclass(frozen=True)
class Address:
    street: str
    postal_code: str
    city: str
    country: str = "FR"  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Venue:
    name: str
    address: Address
    venue_type: str  # a `VenueType` code (SIBIL's)
    capacity: int


@dataclass(frozen=True)
class OrganisationSnapshot:
    name: str
    siren: str
    siret: str  # head office
    address: Address  # head office
    sacem_id: str
    sacd_id: str


@dataclass(frozen=True)
class ShowSnapshot:
    id: int  # our Show id: with the performance ids, the stable keys sent to the organisms
    name: str
    performance_type: str  # a `PerformanceType` value
    producer_siren: str
    producer_name: str
    expenses: Amount  # all artistic contracts and introduction fees
    introduction_fees: Amount  # "frais d'approche"
    circus_fees: Amount  # big-top transport, assembly and disassembly (excluded by SACD)
    sale_price: Amount  # "prix de cession": the CNM/ASTP tax base of a free show


@dataclass(frozen=True)
class PerformanceSnapshot:
    id: int  # our Performance id
    starts_at: datetime  # aware
    ends_at: datetime | None
    free_tickets: int
    paid_tickets: int
    ticketing: Amount
    vat_rate: Decimal  # fraction (0.055) of the ticketing revenue
    bar: Amount  # non-ticketing revenue: drinks ("consommations")
    catering: Amount
    programmes: Amount
    other: Amount
    venue: Venue  # the performance's own, or the show's default
    audience: str  # an `Audience` value

    @property
    def non_ticketing(self) -> Amount:
        return self.bar + self.catering + self.programmes + self.other


@dataclass(frozen=True)
class DeclarationSnapshot:
    organisation: OrganisationSnapshot
    show: ShowSnapshot
    performances: tuple[PerformanceSnapshot, ...]  # by start
    declarant_name: str
    declarant_email: str
    made_at: datetime  # aware
    version: int = 1  # 2 and more: a correction of what was sent before

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), default=_encode, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "DeclarationSnapshot":
        data = json.loads(text)
        organisation = data["organisation"]
        show = data["show"]
        return cls(
            organisation=OrganisationSnapshot(
                **{**organisation, "address": Address(**organisation["address"])}
            ),
            show=ShowSnapshot(
                **{
                    **show,
                    **{name: _amount(show[name]) for name in _SHOW_AMOUNTS},
                }
            ),
            performances=tuple(_performance(item) for item in data["performances"]),
            declarant_name=data["declarant_name"],
            declarant_email=data["declarant_email"],
            made_at=datetime.fromisoformat(data["made_at"]),
            version=data["version"],
        )


_SHOW_AMOUNTS = ("expenses", "introduction_fees", "circus_fees", "sale_price")
_PERFORMANCE_AMOUNTS = ("ticketing", "bar", "catering", "programmes", "other")


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not serialisable")


def _amount(data: dict) -> Amount:
    return Amount(Decimal(data["excl_vat"]), Decimal(data["incl_vat"]))


def _performance(data: dict) -> PerformanceSnapshot:
    venue = data["venue"]
    return PerformanceSnapshot(
        **{
            **data,
            **{name: _amount(data[name]) for name in _PERFORMANCE_AMOUNTS},
            "starts_at": datetime.fromisoformat(data["starts_at"]),
            "ends_at": datetime.fromisoformat(data["ends_at"]) if data["ends_at"] else None,
            "vat_rate": Decimal(data["vat_rate"]),
            "venue": Venue(**{**venue, "address": Address(**venue["address"])}),
        }
    )
