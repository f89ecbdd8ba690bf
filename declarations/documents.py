"""The documents built from a `DeclarationSnapshot`: the SACEM "État des recettes et dépenses"
(PDF, e-mailed to the delegation) and the CNM/ASTP figures (PDF and CSV, downloaded by the user,
who declares on the organism's portal).

PDFs are Django templates (`templates/declarations/documents/`) rendered by WeasyPrint, which
is never allowed to fetch anything: fonts come from the system (DejaVu), styles are inline.
"""

import calendar
import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NoReturn

from django.db import models
from django.template.loader import render_to_string

from declarations.choices import Audience, Organism, PerformanceType
from declarations.figures import KeyFigures, key_figures, show_tax
from declarations.snapshot import Amount, DeclarationSnapshot, PerformanceSnapshot
from declarations.templatetags.declaration_format import (
    decimal_format,
    rate,
    short_date,
    to_paris,
)

CSV_BOM = "\ufeff"


@dataclass(frozen=True)
class TaxOrganism:
    code: str
    short_name: str
    to_short_name: str  # "au CNM", "à l'ASTP"
    name: str
    tax_name: str
    portal_name: str
    portal_url: str


TAX_ORGANISMS = {
    Organism.CNM.value: TaxOrganism(
        code=Organism.CNM.value,
        short_name="CNM",
        to_short_name="au CNM",
        name="Centre national de la musique",
        tax_name="taxe sur les spectacles de variétés",
        portal_name="l'espace professionnel du CNM",
        portal_url="https://monespacepro.cnm.fr/taxe/declarations",
    ),
    Organism.ASTP.value: TaxOrganism(
        code=Organism.ASTP.value,
        short_name="ASTP",
        to_short_name="à l'ASTP",
        name="Association pour le soutien du théâtre privé",
        tax_name="taxe sur les spectacles d'art dramatique, lyrique et chorégraphique",
        portal_name="DECTANET, le portail de l'ASTP",
        portal_url="https://dectanet.astp.asso.fr",
    ),
}


@dataclass(frozen=True)
class NonTicketingLine:
    label: str
    amount: Amount


@dataclass(frozen=True)
class PerformanceRow:
    performance: PerformanceSnapshot
    audience: str  # French label
    non_ticketing: tuple[NonTicketingLine, ...]  # the kinds with revenue, in a fixed order


# --- SACEM --------------------------------------------------------------------------------


def sacem_pdf(snapshot: DeclarationSnapshot) -> bytes:
    """The SACEM "État des recettes et dépenses": a portrait summary page, then the
    performances on landscape pages."""
    figures = key_figures(snapshot)
    context = {
        **_common_context(snapshot, figures),
        "title": f"Déclaration SACEM – {snapshot.show.name}",
        "rows": [_row(p) for p in snapshot.performances],
        "total_non_ticketing": _non_ticketing_lines(
            figures.bar, figures.catering, figures.programmes, figures.other
        ),
        "deadline": sacem_deadline(figures),
    }
    return _pdf("declarations/documents/sacem.html", context)


def sacem_deadline(figures: KeyFigures) -> date | None:
    """The last day of the month following the last performance (in Paris)."""
    if figures.last_start is None:
        return None
    last = to_paris(figures.last_start)
    year, month = (last.year + 1, 1) if last.month == 12 else (last.year, last.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


# --- CNM and ASTP -------------------------------------------------------------------------


def tax_organism(organism: str) -> TaxOrganism:
    try:
        return TAX_ORGANISMS[str(organism)]
    except KeyError:
        raise ValueError(f"No show tax document for {organism!r}") from None


def show_tax_pdf(snapshot: DeclarationSnapshot, organism: str) -> bytes:
    """The figures the CNM or ASTP portal asks for, and the tax due."""
    target = tax_organism(organism)
    figures = key_figures(snapshot)
    context = {
        **_common_context(snapshot, figures),
        "title": f"Taxe sur les spectacles {target.short_name} – {snapshot.show.name}",
        "organism": target,
        "tax": show_tax(snapshot),
        "performances": snapshot.performances,
    }
    return _pdf("declarations/documents/show_tax.html", context)


CSV_HEADER = (
    "Date",
    "Heure",
    "Lieu",
    "Code postal",
    "Commune",
    "Entrées payantes",
    "Entrées gratuites",
    "Billetterie TTC (€)",
    "Billetterie HT (€)",
    "Taux de TVA (%)",
)


def show_tax_csv(snapshot: DeclarationSnapshot, organism: str) -> str:
    """The same figures as `show_tax_pdf` for a spreadsheet: semicolons, decimal comma, UTF-8
    with a BOM (so that Excel reads the accents); a summary, an empty line, then one row per
    performance and the totals."""
    target = tax_organism(organism)
    figures = key_figures(snapshot)
    tax = show_tax(snapshot)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(
        [
            ("Organisme", f"{target.short_name} – {target.name}"),
            ("Taxe", target.tax_name),
            ("Structure", snapshot.organisation.name),
            ("SIREN", snapshot.organisation.siren),
            ("Spectacle", snapshot.show.name),
            ("Esthétique", _label(PerformanceType, snapshot.show.performance_type)),
            ("Première représentation", short_date(figures.first_start)),
            ("Dernière représentation", short_date(figures.last_start)),
            ("Nombre de représentations", figures.performance_count),
            ("Base de la taxe", tax.base_label),
            ("Assiette de la taxe (€)", _number(tax.base)),
            ("Taux de la taxe (%)", _percent(tax.rate)),
            ("Taxe due (€)", _number(tax.tax)),
            ("Portail de déclaration", target.portal_url),
            ("Remarque", _manual_notice(target)),
        ]
    )
    writer.writerow(())
    writer.writerow(CSV_HEADER)
    for performance in snapshot.performances:
        start = to_paris(performance.starts_at)
        address = performance.venue.address
        writer.writerow(
            (
                short_date(start),
                f"{start.hour:02d}:{start.minute:02d}",
                performance.venue.name,
                address.postal_code,
                address.city,
                performance.paid_tickets,
                performance.free_tickets,
                _number(performance.ticketing.incl_vat),
                _number(performance.ticketing.excl_vat),
                _percent(performance.vat_rate),
            )
        )
    writer.writerow(
        (
            "Total",
            "",
            "",
            "",
            "",
            figures.paid_tickets,
            figures.free_tickets,
            _number(figures.ticketing.incl_vat),
            _number(figures.ticketing.excl_vat),
            "",
        )
    )
    return CSV_BOM + buffer.getvalue()


def _manual_notice(target: TaxOrganism) -> str:
    return (
        f"L'Assistant déclaration ne télétransmet pas {target.to_short_name} : déclarez sur "
        f"{target.portal_name} ({target.portal_url}), puis notez dans l'Assistant déclaration "
        "que la déclaration est faite."
    )


def _number(value: Decimal) -> str:
    """A spreadsheet number: decimal comma, no thousands separator."""
    return decimal_format(value, grouping=False)


def _percent(value: Decimal) -> str:
    return rate(value).removesuffix("\u00a0%")


# --- File names ---------------------------------------------------------------------------


def document_filename(kind: str, snapshot: DeclarationSnapshot, extension: str) -> str:
    """ "Déclaration SACEM - le-cracheur-de-feu.pdf", "… (version 2).pdf" for a correction."""
    version = f" (version {snapshot.version})" if snapshot.version > 1 else ""
    return f"Déclaration {kind} - {slug(snapshot.show.name)}{version}.{extension.lstrip('.')}"


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def slug(text: str, max_length: int = 80) -> str:
    """ASCII, lower case, words joined by hyphens: "L'Œil du Cyclone" → "l-oeil-du-cyclone"."""
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_LIGATURES)).encode("ascii", "ignore").decode()
    )
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:max_length].rstrip("-") or "spectacle"


# --- Shared -------------------------------------------------------------------------------


def _common_context(snapshot: DeclarationSnapshot, figures: KeyFigures) -> dict:
    return {
        "snapshot": snapshot,
        "organisation": snapshot.organisation,
        "show": snapshot.show,
        "figures": figures,
        "performance_type": _label(PerformanceType, snapshot.show.performance_type),
        "version_line": version_line(snapshot),
    }


def version_line(snapshot: DeclarationSnapshot) -> str:
    if snapshot.version > 1:
        return f"Version {snapshot.version} – corrige la déclaration précédente"
    return ""


def _label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _row(performance: PerformanceSnapshot) -> PerformanceRow:
    return PerformanceRow(
        performance=performance,
        audience=_label(Audience, performance.audience),
        non_ticketing=_non_ticketing_lines(
            performance.bar, performance.catering, performance.programmes, performance.other
        ),
    )


NON_TICKETING_LABELS = ("Conso.", "Rest.", "Prog.", "Autre")  # bar, catering, programmes, other


def _non_ticketing_lines(
    bar: Amount, catering: Amount, programmes: Amount, other: Amount
) -> tuple[NonTicketingLine, ...]:
    amounts = (bar, catering, programmes, other)
    return tuple(
        NonTicketingLine(label, amount)
        for label, amount in zip(NON_TICKETING_LABELS, amounts, strict=True)
        if amount.excl_vat or amount.incl_vat
    )


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> NoReturn:
    raise ValueError(f"Documents never load external resources ({url}).")


def _pdf(template_name: str, context: dict) -> bytes:
    import weasyprint  # heavy: only the processes that build PDFs pay for it

    html = render_to_string(template_name, context)
    return weasyprint.HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
