"""The SACD declaration, as the XML its web service receives (`parameters[Declaration]`).

One `Representation` per performance, sorted by start. Amounts are rounded half-up to the cent
and written as plain numbers (`2500`, `13.75`); dates are `yyyy/MM/dd` and times `HH:mm` in
Europe/Paris; every string is cut to 128 characters. The show's expenses are per show while
SACD reads them per representation: they go on the chronologically first one only.
"""

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from declarations.snapshot import Address, DeclarationSnapshot, PerformanceSnapshot

__all__ = ["sacd_xml", "sacd_amount", "sacd_reference"]

PARIS = ZoneInfo("Europe/Paris")
SYSTEM = "ASSISTANT_DECLARATION"
CURRENCY = "EUR"
STATUS = "DEF"  # definitive figures ("PRG" would be programmed ones)
REFERENCE_TYPE = "SIREN"
MAX_LENGTH = 128
CENT = Decimal("0.01")
# XML 1.0 refuses these characters even escaped; they only come from bad copy-pastes.
_INVALID_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def sacd_xml(snapshot: DeclarationSnapshot) -> str:
    """The whole declaration, UTF-8 text with its XML declaration, indented by two spaces."""
    performances = sorted(snapshot.performances, key=lambda item: (item.starts_at, item.id))
    root = ET.Element("Declaration")
    header = ET.SubElement(root, "Header")
    _text(header, "dec_ref", snapshot.organisation.sacd_id)
    _text(header, "dec_systeme", SYSTEM)
    _text(header, "dec_date", _date(snapshot.made_at))
    _text(header, "dec_nb", str(len(performances)))
    representations = ET.SubElement(root, "Representations")
    for index, performance in enumerate(performances):
        _representation(representations, snapshot, performance, first=index == 0)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def sacd_reference(snapshot: DeclarationSnapshot, performance: PerformanceSnapshot) -> str:
    """`rep_ref_dec`: our stable key of a performance, which a correction sends again."""
    return f"{snapshot.show.id}_{performance.id}"


def sacd_amount(value: Decimal) -> str:
    """A plain number rounded half-up to the cent, without trailing zeros: 2500, 13.75, 0."""
    text = f"{value.quantize(CENT, rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _representation(
    parent: ET.Element,
    snapshot: DeclarationSnapshot,
    performance: PerformanceSnapshot,
    *,
    first: bool,
) -> None:
    show = snapshot.show
    item = ET.SubElement(parent, "Representation")
    _text(item, "rep_ref_dec", sacd_reference(snapshot, performance))
    _text(item, "rep_devise", CURRENCY)
    _text(item, "rep_statut", STATUS)
    _text(item, "rep_version", str(snapshot.version))
    _text(item, "rep_titre", show.name)
    _text(item, "rep_date_debut", _date(performance.starts_at))
    _text(item, "rep_date_fin", _date(performance.ends_at or performance.starts_at))
    _text(item, "rep_nb", "1")
    _text(item, "rep_horaire", _time(performance.starts_at))

    ticketing = ET.SubElement(item, "Billetterie")
    excl = _cents(performance.ticketing.excl_vat)
    incl = _cents(performance.ticketing.incl_vat)
    _text(ticketing, "rep_mt_billets", sacd_amount(excl))
    _text(ticketing, "rep_tx_tva_billets", sacd_amount(performance.vat_rate * 100))
    # From the rounded amounts, so that excl. VAT + VAT is exactly the incl. VAT SACD is told.
    _text(ticketing, "rep_mt_tva_billets", sacd_amount(incl - excl))
    _text(ticketing, "rep_nb_billets_pay", str(performance.paid_tickets))
    _text(ticketing, "rep_nb_billets_exo", str(performance.free_tickets))

    operating = ET.SubElement(item, "Exploitation")
    if first:
        expenses = _cents(show.expenses.excl_vat) - _cents(show.circus_fees.excl_vat)
        _text(operating, "rep_mt_depenses", sacd_amount(expenses))
        _text(operating, "rep_mt_frais", sacd_amount(show.introduction_fees.excl_vat))

    venue = performance.venue
    hall = ET.SubElement(item, "Salle")
    _text(hall, "salle_nom", venue.name)
    _text(hall, "salle_jauge", str(venue.capacity))
    _text(hall, "salle_type_lieu", venue.venue_type)
    if performance.paid_tickets > 0:
        _text(hall, "salle_prix_moyen", sacd_amount(incl / performance.paid_tickets))

    organisation = snapshot.organisation
    presenter = ET.SubElement(item, "Diffuseur")
    _text(presenter, "diff_nom", organisation.name)
    if organisation.siren:
        _text(presenter, "diff_type_ref", REFERENCE_TYPE)
        _text(presenter, "diff_ref", organisation.siren)
    _address(presenter, organisation.address)

    producer = ET.SubElement(item, "Producteur")
    _text(producer, "prod_nom", show.producer_name)
    if show.producer_siren:
        _text(producer, "prod_type_ref", REFERENCE_TYPE)
        _text(producer, "prod_ref", show.producer_siren)


def _address(parent: ET.Element, address: Address) -> None:
    _text(parent, "diff_adresse_1", address.street)
    _text(parent, "diff_code_postal", address.postal_code)
    _text(parent, "diff_ville", address.city)
    _text(parent, "diff_pays", address.country)


def _text(parent: ET.Element, tag: str, value: str) -> None:
    """A child element; an empty optional value is left out rather than sent blank."""
    value = _INVALID_CHARACTERS.sub("", value).strip()[:MAX_LENGTH].rstrip()
    if value:
        ET.SubElement(parent, tag).text = value


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _date(moment: datetime) -> str:
    return f"{moment.astimezone(PARIS):%Y/%m/%d}"


def _time(moment: datetime) -> str:
    return f"{moment.astimezone(PARIS):%H:%M}"
