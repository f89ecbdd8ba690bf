"""The lists a declaration is made of, with their French labels."""

from decimal import Decimal

from django.db import models


class Organism(models.TextChoices):
    SACEM = "sacem", "SACEM"
    SACD = "sacd", "SACD"
    CNM = "cnm", "CNM"
    ASTP = "astp", "ASTP"
    SIBIL = "sibil", "SIBIL"


ORGANISM_HINTS = {
    Organism.SACEM: "spectacles avec musique protégée",
    Organism.SACD: "spectacles avec texte, scénario ou chorégraphie protégés",
    Organism.CNM: "taxe sur les spectacles de variétés (musiques actuelles, humour…)",
    Organism.ASTP: "taxe sur les spectacles d'art dramatique, lyrique et chorégraphique",
    Organism.SIBIL: "tout type de spectacle : statistiques de billetterie du ministère de la Culture",
}


class PerformanceType(models.TextChoices):
    """The 14 aesthetics ("esthétiques") of a show, sorted by label as the form offers them."""

    OUTDOOR = "outdoor", "Arts de la rue"
    CABARET = "cabaret", "Cabaret, music-hall"
    CIRCUS = "circus", "Cirque, magie"
    MUSICAL_THEATRE = "musical_theatre", "Comédie musicale, spectacle ou théâtre musical"
    DANCE = "dance", "Danse"
    COMEDY = "comedy", "Humour, one man shows, stand-up"
    PUPPETRY = "puppetry", "Marionnettes"
    CLASSICAL_MUSIC = "classical_music", "Musique classique, lyrique et contemporaine"
    POPULAR_MUSIC = "popular_music", "Musiques actuelles et jazz"
    WORLD_MUSIC = "world_music", "Musiques et danses du monde et traditionnelles"
    HERITAGE = "heritage", "Reconstitutions historiques, sons et lumières patrimoniales"
    NO_DOMINANT = "no_dominant", "Spectacle vivant sans discipline dominante"
    ICE_AND_PARKS = "ice_and_parks", "Spectacles sur glace, parcs de loisirs et assimilés"
    THEATRE = "theatre", "Théâtre, conte, mime"


class Audience(models.TextChoices):
    ALL = "all", "Tout public"
    YOUNG = "young", "Jeune public"
    SCHOOL = "school", "Scolaire"


class VenueType(models.TextChoices):
    """SIBIL's venue types ("types de lieu"), with SIBIL's codes."""

    THEATRE = "THEATRE", "Théâtre"
    MULTI_PURPOSE = "ESPACE_POLYVALENT", "Espace polyvalent"
    CASINO_CAFE = (
        "CASINO_DISCOTHEQUE_HOTEL_CAFE_RESTAURANT",
        "Casino, discothèque, hôtel, café, restaurant",
    )
    CONCERT_HALL = (
        "SALLE_CONCERT_AUDITORIUM_OPERA_ZENITH",
        "Salle de concert, auditorium, opéra, zénith",
    )
    CABARET = "CABARET_MUSIC_HALL", "Cabaret, music-hall"
    OUTDOOR = "PLEIN_AIR_PARC_LOISIRS_ATTRACTION", "Plein air, parc de loisirs, parc d'attraction"
    TENT = (
        "STRUCTURE_ITINERANTE_DEMONTABLE_CHAPITEAU",
        "Structure itinérante ou démontable, chapiteau",
    )
    WORSHIP = "LIEU_DE_CULTE", "Lieu de culte"
    HEALTH = "LIEU_DE_SANTE", "Lieu de santé"
    OTHER = "AUTRE", "Autre"


class AttachmentKind(models.TextChoices):
    ARTISTIC_CONTRACT = "artistic_contract", "Contrat artistique"
    WORK_PROGRAMME = "work_programme", "Programme des œuvres interprétées"
    REVENUE_STATEMENT = "revenue_statement", "Bordereau de recettes"
    OTHER = "other", "Autre document"


# The legal VAT rates of a ticket (BOFiP): the only ones the form offers.
VAT_RATES = (Decimal("0"), Decimal("0.021"), Decimal("0.055"), Decimal("0.1"), Decimal("0.2"))
DEFAULT_VAT_RATE = Decimal("0.055")

# CNM and ASTP: 3.5 % of the ticketing revenue excl. VAT (or of the sale price of a free show).
SHOW_TAX_RATE = Decimal("0.035")
