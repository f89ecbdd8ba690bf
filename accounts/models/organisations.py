from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.identifiers import format_siren, format_siret

organisation_id_validator = RegexValidator(
    r"^[0-9]{1,10}$", "L'identifiant doit être composé de 1 à 10 chiffres, sans espace."
)
postal_code_validator = RegexValidator(
    r"^[0-9]{5}$", "Le code postal doit être composé de 5 chiffres."
)


class Role(models.TextChoices):
    OWNER = "owner", "Propriétaire"
    MEMBER = "member", "Membre"


class Organisation(models.Model):
    """A live-performance organiser (company or association), identified by its SIREN."""

    name = models.CharField("nom", max_length=200)
    siren = models.CharField("SIREN", max_length=9, unique=True)
    head_office_siret = models.CharField("SIRET du siège", max_length=14)
    street = models.CharField("adresse du siège (numéro et voie)", max_length=200)
    postal_code = models.CharField("code postal", max_length=5, validators=[postal_code_validator])
    city = models.CharField("commune", max_length=100)
    sacem_id = models.CharField(
        "identifiant client SACEM",
        max_length=10,
        blank=True,
        validators=[organisation_id_validator],
    )
    sacd_id = models.CharField(
        "identifiant déclarant SACD",
        max_length=10,
        blank=True,
        validators=[organisation_id_validator],
    )
    # Set when the company directory or the address base could not confirm what the user typed:
    # the organisation is usable, and an administrator checks it afterwards.
    needs_review = models.BooleanField("à vérifier", default=False)
    review_reasons = models.TextField("motifs de vérification", blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="créée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "organisation"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def siren_display(self) -> str:
        return format_siren(self.siren)

    @property
    def siret_display(self) -> str:
        return format_siret(self.head_office_siret)

    @property
    def address_display(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


class Membership(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField("rôle", max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField("membre depuis le", default=timezone.now)

    class Meta:
        verbose_name = "membre"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="membership_unique_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation} ({self.get_role_display()})"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> "InvitationQuerySet":
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An e-mail invitation to join an organisation; the link is signed, expires, works once."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField("adresse e-mail invitée")
    role = models.CharField("rôle", max_length=10, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="invitée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("créée le", default=timezone.now)
    sent_at = models.DateTimeField("envoyée le", default=timezone.now)
    expires_at = models.DateTimeField("expire le")
    # Part of the signed link; replaced on every resend so that only the latest link works.
    nonce = models.CharField(max_length=32, editable=False)
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="acceptée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField("révoquée le", null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = "invitation"
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "Acceptée"
        if self.revoked_at:
            return "Révoquée"
        if self.expires_at <= timezone.now():
            return "Expirée"
        return "En attente"

    @property
    def is_usable(self) -> bool:
        return self.status == "En attente"


class AccessRequest(models.Model):
    """Someone asked the owners of an existing organisation for an invitation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="access_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests"
    )
    requested_at = models.DateTimeField("demandée le", default=timezone.now)

    class Meta:
        verbose_name = "demande d'accès"
        verbose_name_plural = "demandes d'accès"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="access_request_unique_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation}"
