"""What a declarant adds to a synced show, the declarations made to each organism and what
was sent to them, the attachments of a show, and the organisms' agencies."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organisation
from declarations.choices import AttachmentKind, Audience, Organism, PerformanceType, VenueType
from ticketing.models import Show


def _money(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, default=Decimal(0))


class ShowDetails(models.Model):
    """The show-level fields of the declaration form; every performance uses the venue,
    capacity, audience and VAT rate given here unless it has its own."""

    show = models.OneToOneField(
        Show, on_delete=models.CASCADE, primary_key=True, related_name="details"
    )
    organisms = ArrayField(
        models.CharField(max_length=10, choices=Organism.choices), default=list, blank=True
    )
    performance_type = models.CharField(
        "esthétique du spectacle", max_length=30, choices=PerformanceType.choices, blank=True
    )
    producer_siren = models.CharField("SIREN du producteur", max_length=9, blank=True)
    producer_name = models.CharField("raison sociale du producteur", max_length=200, blank=True)
    venue_name = models.CharField("intitulé du lieu", max_length=200, blank=True)
    venue_street = models.CharField("adresse du lieu", max_length=200, blank=True)
    venue_postal_code = models.CharField("code postal du lieu", max_length=5, blank=True)
    venue_city = models.CharField("commune du lieu", max_length=100, blank=True)
    venue_type = models.CharField(
        "type de lieu", max_length=60, choices=VenueType.choices, blank=True
    )
    capacity = models.PositiveIntegerField(
        "jauge", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    audience = models.CharField(
        "type de public", max_length=10, choices=Audience.choices, default=Audience.ALL
    )
    vat_rate = models.DecimalField(
        "taux de TVA de la billetterie", max_digits=5, decimal_places=4, null=True, blank=True
    )
    expenses_excl_vat = _money("dépenses totales HT")
    expenses_incl_vat = _money("dépenses totales TTC")
    introduction_fees_excl_vat = _money("frais d'approche HT")
    introduction_fees_incl_vat = _money("frais d'approche TTC")
    circus_fees_excl_vat = _money("frais spécifiques au cirque HT")
    circus_fees_incl_vat = _money("frais spécifiques au cirque TTC")
    sale_price_excl_vat = _money("prix de cession HT")
    sale_price_incl_vat = _money("prix de cession TTC")
    # Set while the declarant prepares a correction of declarations already sent: the form is
    # open again and the next sending makes new versions.
    correcting = models.BooleanField("correction en cours", default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "données de déclaration d'un spectacle"
        verbose_name_plural = "données de déclaration des spectacles"

    def __str__(self) -> str:
        return str(self.show)


class DeclarationStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    SENDING = "sending", "Envoi en cours"
    SENT = "sent", "Transmise"
    FAILED = "failed", "Échec de l'envoi"
    DECLARED = "declared", "Déclarée par vous"  # CNM, ASTP: the user declared on the portal


class Declaration(models.Model):
    """A show's declaration to one organism; its versions are sent as transmissions."""

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="declarations")
    organism = models.CharField("organisme", max_length=10, choices=Organism.choices)
    status = models.CharField(
        "état", max_length=10, choices=DeclarationStatus.choices, default=DeclarationStatus.DRAFT
    )
    # The version being or last sent: 2 and more are corrections.
    version = models.PositiveIntegerField(default=1)
    sent_at = models.DateTimeField("transmise le", null=True, blank=True)
    # CNM and ASTP, declared by the user on the organism's portal.
    declared_on = models.DateField("déclarée le", null=True, blank=True)
    reference = models.CharField("référence", max_length=100, blank=True)
    last_error = models.TextField("dernière erreur", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "déclaration"
        constraints = [
            models.UniqueConstraint(fields=["show", "organism"], name="declaration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_organism_display()} — {self.show}"


class TransmissionStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    RUNNING = "running", "En cours"
    SUCCEEDED = "succeeded", "Réussie"
    FAILED = "failed", "Échouée"


class Transmission(models.Model):
    """One version of a declaration sent to its organism, with the snapshot it was built from,
    the progress of each step (so a retry never repeats one that succeeded) and the answers."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, related_name="transmissions"
    )
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=TransmissionStatus.choices, default=TransmissionStatus.PENDING
    )
    snapshot = models.JSONField()  # `DeclarationSnapshot` as JSON
    # Step name → {"done_at": ISO time, ...what the step learnt}; a done step is never rerun.
    steps = models.JSONField(default=dict, blank=True)
    warnings = models.TextField("avertissements de l'organisme", blank=True)
    error = models.TextField("erreur", blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "transmission"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "version"], name="transmission_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.declaration} — version {self.version}"


def _transmission_path(instance: "TransmissionFile", filename: str) -> str:
    return f"transmissions/{instance.transmission_id}/{filename}"


class TransmissionFile(models.Model):
    """Exactly what was sent (PDF, XML, e-mail) or received (an organism's answer)."""

    transmission = models.ForeignKey(Transmission, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    received = models.BooleanField(default=False)  # an answer, not something we sent
    file = models.FileField(upload_to=_transmission_path, max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "document transmis"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


def _attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.show_id}/{filename}"


class Attachment(models.Model):
    """A supporting document of a show, downloadable by the organisation's members only."""

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(
        "type", max_length=20, choices=AttachmentKind.choices, default=AttachmentKind.OTHER
    )
    name = models.CharField("nom du fichier", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = "pièce jointe"
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """An organism's regional delegation, which receives documents by e-mail."""

    name = models.CharField("nom", max_length=200)
    email = models.EmailField("adresse e-mail", unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SacemAgency(Agency):
    """A SACEM delegation and the postal codes it covers (exact codes)."""

    postal_codes = ArrayField(models.CharField(max_length=5), default=list)

    class Meta(Agency.Meta):
        verbose_name = "délégation SACEM"
        verbose_name_plural = "délégations SACEM"


class SacdAgency(Agency):
    """A SACD delegation and the postal-code prefixes it covers (département, or longer)."""

    postal_code_prefixes = ArrayField(models.CharField(max_length=5), default=list)

    class Meta(Agency.Meta):
        verbose_name = "délégation SACD"
        verbose_name_plural = "délégations SACD"


class SibilAccount(models.Model):
    """The organisation's SIBIL technical account, encrypted at rest like ticketing credentials
    (`credentials_encrypt` with the username as access key and the password as secret)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="sibil_account"
    )
    username = models.CharField("identifiant technique SIBIL", max_length=100)
    credentials_encrypted = models.TextField(editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "compte SIBIL"

    def __str__(self) -> str:
        return self.username
