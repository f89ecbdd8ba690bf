"""Pre-flight checks: what each organism needs before anything is sent. A failed check changes
nothing and freezes nothing; its message says what to complete, and where."""

from dataclasses import dataclass

from django.conf import settings

from declarations import agencies
from declarations.choices import AttachmentKind, Organism
from declarations.figures import is_free_show
from declarations.rules import amount_pair_error
from declarations.snapshot import DeclarationSnapshot

# Where the user fixes a problem: a field of the show form, a performance, or a settings page.
SETTINGS = "settings"
SIBIL_SETTINGS = "sibil_settings"


@dataclass(frozen=True)
class Problem:
    organism: str
    message: str
    field: str = ""  # a show form field name, "performance-<id>", SETTINGS or SIBIL_SETTINGS


def preflight(
    snapshot: DeclarationSnapshot,
    organisms: list[str],
    *,
    attachment_kinds: set[str],
    has_sibil_account: bool,
) -> list[Problem]:
    """The problems to fix before sending to `organisms`; those of every organism have an
    empty `organism`."""
    if not organisms:
        return [Problem("", "Choisissez au moins un organisme.", "organisms")]
    problems = [Problem("", message, field) for field, message in _common(snapshot)]
    for organism in organisms:
        check = _CHECKS.get(organism)
        if check is not None:
            problems += [
                Problem(organism, message, field)
                for field, message in check(snapshot, attachment_kinds, has_sibil_account)
            ]
    return problems


def _common(snapshot: DeclarationSnapshot):
    if not snapshot.performances:
        yield "", "Ce spectacle n'a aucune représentation : il n'y a rien à déclarer."
    if not snapshot.show.performance_type:
        yield "performance_type", "Choisissez l'esthétique du spectacle."
    for performance in snapshot.performances:
        venue = performance.venue
        field = f"performance-{performance.id}"
        address = venue.address
        if not all((venue.name, address.street, address.postal_code, address.city)):
            yield "venue_name", "Indiquez le lieu de la représentation : intitulé et adresse."
            break
        if venue.capacity < 1:
            yield "capacity", "Indiquez la jauge du lieu (au moins une place)."
            break
        error = amount_pair_error(performance.ticketing.excl_vat, performance.ticketing.incl_vat)
        if error:
            yield field, f"Billetterie de la représentation : {error}"


def _sacem(snapshot: DeclarationSnapshot, attachment_kinds: set[str], has_sibil_account: bool):
    if not snapshot.organisation.sacem_id:
        yield SETTINGS, "Indiquez l'identifiant client SACEM de votre structure."
    postal_code = _main_postal_code(snapshot)
    if postal_code and agencies.sacem_agency_for(postal_code) is None:
        yield (
            "venue_postal_code",
            f"Aucune délégation SACEM ne couvre le code postal {postal_code}. Vérifiez-le ; s'il "
            "est exact, écrivez-nous et nous ajouterons la délégation.",
        )


def _sacd(snapshot: DeclarationSnapshot, attachment_kinds: set[str], has_sibil_account: bool):
    if not settings.SACD_API["BASE_URL"]:
        yield "", "La télétransmission SACD n'est pas configurée sur cette plateforme."
    if not snapshot.organisation.sacd_id:
        yield SETTINGS, "Indiquez l'identifiant déclarant SACD de votre structure."
    yield from _producer(snapshot)
    postal_code = _main_postal_code(snapshot)
    if (
        postal_code
        and attachment_kinds & SACD_ATTACHMENT_KINDS
        and agencies.sacd_agency_for(postal_code) is None
    ):
        yield (
            "venue_postal_code",
            f"Aucune délégation SACD ne couvre le code postal {postal_code} : vos pièces "
            "jointes ne pourraient pas lui être envoyées.",
        )


def _sibil(snapshot: DeclarationSnapshot, attachment_kinds: set[str], has_sibil_account: bool):
    if not settings.SIBIL_API_BASE_URL:
        yield "", "La télétransmission SIBIL n'est pas configurée sur cette plateforme."
    if not has_sibil_account:
        yield SIBIL_SETTINGS, "Enregistrez les identifiants techniques SIBIL de votre structure."
    yield from _producer(snapshot)
    if any(not performance.venue.venue_type for performance in snapshot.performances):
        yield "venue_type", "Choisissez le type de lieu, que SIBIL demande."


def _show_tax(snapshot: DeclarationSnapshot, attachment_kinds: set[str], has_sibil_account: bool):
    if is_free_show(snapshot.performances) and snapshot.show.sale_price.excl_vat == 0:
        yield (
            "sale_price_excl_vat",
            "Spectacle gratuit : la taxe porte sur le prix de cession, indiquez-le.",
        )


def _producer(snapshot: DeclarationSnapshot):
    if not snapshot.show.producer_siren or not snapshot.show.producer_name:
        yield "producer_siren", "Indiquez le producteur du spectacle : SIREN et raison sociale."


def _main_postal_code(snapshot: DeclarationSnapshot) -> str:
    """The venue of the first performance designates the organism's delegation."""
    if not snapshot.performances:
        return ""
    return snapshot.performances[0].venue.address.postal_code


# The attachments the SACD delegation receives (SACEM receives them all).
SACD_ATTACHMENT_KINDS = {AttachmentKind.ARTISTIC_CONTRACT, AttachmentKind.OTHER}

_CHECKS = {
    Organism.SACEM: _sacem,
    Organism.SACD: _sacd,
    Organism.SIBIL: _sibil,
    Organism.CNM: _show_tax,
    Organism.ASTP: _show_tax,
}
