from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation


class Provider(models.TextChoices):
    BILLETWEB = "billetweb", "Billetweb"
    MAPADO = "mapado", "Mapado"
    SUPERSONIKS = "supersoniks", "Supersoniks"
    SOTICKET = "soticket", "SoTicket"
    HELLOASSO = "helloasso", "HelloAsso"
    SHOTGUN = "shotgun", "Shotgun"
    MANUAL = "manual", "Saisie manuelle"


class TicketingSystem(models.Model):
    """A connected ticketing software (one set of credentials), or the organisation's MANUAL
    system that holds the shows typed in by hand."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="ticketing_systems"
    )
    provider = models.CharField("logiciel", max_length=20, choices=Provider.choices)
    # MultiFernet token of {"access_key": …, "secret_key": …} (see ticketing/credentials.py).
    credentials_encrypted = models.TextField(blank=True, editable=False)
    # HMAC of provider + access key (+ secret when there is no access key): finds duplicates
    # without decrypting anything.
    credentials_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField("connectée le", default=timezone.now)
    disconnected_at = models.DateTimeField("déconnectée le", null=True, blank=True)
    last_synced_from = models.DateTimeField(
        "début de la dernière synchronisation réussie", null=True, blank=True
    )
    # Ops only: the next run starts from here (replays history after a connector fix).
    force_sync_from = models.DateTimeField(
        "prochaine synchronisation depuis", null=True, blank=True
    )

    class Meta:
        verbose_name = "billetterie"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(provider="manual"),
                name="ticketing_one_manual_system_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["organisation", "credentials_fingerprint"],
                condition=Q(disconnected_at__isnull=True) & ~Q(provider="manual"),
                name="ticketing_no_duplicate_connection",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} — {self.organisation}"

    @property
    def is_manual(self) -> bool:
        return self.provider == Provider.MANUAL

    @property
    def is_connected(self) -> bool:
        return self.disconnected_at is None


class Show(models.Model):
    """A show ("spectacle"): a series of performances sold as one event by the provider."""

    ticketing_system = models.ForeignKey(
        TicketingSystem, on_delete=models.PROTECT, related_name="shows"
    )
    # Denormalised: every listing is per organisation.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="shows")
    external_id = models.CharField(max_length=100)
    name = models.CharField("nom", max_length=300)
    first_starts_at = models.DateTimeField(null=True, blank=True)
    last_ends_at = models.DateTimeField(null=True, blank=True)
    # Records of the provider that could not be read at the last sync, one per line.
    sync_warnings = models.TextField(blank=True)
    remote_missing_at = models.DateTimeField(null=True, blank=True)
    # Provider metadata the connector keeps between runs (`ShowData.memo`), opaque here.
    connector_memo = models.JSONField(default=dict, blank=True, editable=False)
    # Set once a declaration of the show has left: the sync never changes it afterwards.
    frozen_at = models.DateTimeField("figé le", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "spectacle"
        constraints = [
            models.UniqueConstraint(
                fields=["ticketing_system", "external_id"], name="show_unique_per_system"
            )
        ]
        indexes = [models.Index(fields=["organisation", "-last_ends_at"])]

    def __str__(self) -> str:
        return self.name


def _money(label: str) -> models.DecimalField:
    # Defaults in the database too: a worker still running the previous release can insert.
    return models.DecimalField(
        label, max_digits=12, decimal_places=2, default=Decimal(0), db_default=0
    )


class Performance(models.Model):
    """A performance ("représentation") and its ticketing figures."""

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="performances")
    external_id = models.CharField(max_length=100)
    starts_at = models.DateTimeField("début")
    ends_at = models.DateTimeField("fin", null=True, blank=True)
    revenue_incl_vat = models.DecimalField(
        "recettes de billetterie TTC", max_digits=12, decimal_places=2, default=0
    )
    revenue_excl_vat = models.DecimalField(
        "recettes de billetterie HT", max_digits=12, decimal_places=2, default=0
    )
    vat_rate = models.DecimalField(
        "taux de TVA", max_digits=5, decimal_places=4, null=True, blank=True
    )
    free_tickets = models.PositiveIntegerField("billets gratuits", default=0)
    paid_tickets = models.PositiveIntegerField("billets payants", default=0)
    # Set when the user edits the figures: the sync never overwrites them afterwards.
    user_edited_at = models.DateTimeField(null=True, blank=True)
    # Entered by the declarant, never synced: non-ticketing revenue, and the venue, capacity
    # and audience of this performance when they differ from the show's (blank: the show's).
    bar_excl_vat = _money("consommations HT")
    bar_incl_vat = _money("consommations TTC")
    catering_excl_vat = _money("restauration HT")
    catering_incl_vat = _money("restauration TTC")
    programmes_excl_vat = _money("vente de programmes HT")
    programmes_incl_vat = _money("vente de programmes TTC")
    other_excl_vat = _money("autres recettes HT")
    other_incl_vat = _money("autres recettes TTC")
    venue_name = models.CharField(
        "intitulé du lieu", max_length=200, blank=True, default="", db_default=""
    )
    venue_street = models.CharField(
        "adresse du lieu", max_length=200, blank=True, default="", db_default=""
    )
    venue_postal_code = models.CharField(
        "code postal du lieu", max_length=5, blank=True, default="", db_default=""
    )
    venue_city = models.CharField(
        "commune du lieu", max_length=100, blank=True, default="", db_default=""
    )
    venue_type = models.CharField(
        "type de lieu", max_length=60, blank=True, default="", db_default=""
    )
    capacity = models.PositiveIntegerField("jauge", null=True, blank=True)
    audience = models.CharField(
        "type de public", max_length=10, blank=True, default="", db_default=""
    )
    remote_missing_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "représentation"
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["show", "external_id"], name="performance_unique_per_show"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                name="performance_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.show} — {self.starts_at:%Y-%m-%d %H:%M}"


class LedgerTicket(models.Model):
    """The minimal trace of a ticket for providers that list ticket changes: enough to
    recompute a performance's figures without fetching all its tickets again. Nothing about
    the spectator."""

    ticketing_system = models.ForeignKey(
        TicketingSystem, on_delete=models.CASCADE, related_name="ledger"
    )
    external_id = models.CharField(max_length=100)
    performance = models.ForeignKey(
        Performance, on_delete=models.CASCADE, related_name="ledger_tickets"
    )
    cancelled = models.BooleanField(default=False)
    price_incl_vat = models.DecimalField(max_digits=10, decimal_places=4)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=4)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "billet (registre)"
        constraints = [
            models.UniqueConstraint(
                fields=["ticketing_system", "external_id"], name="ledger_ticket_unique_per_system"
            )
        ]

    def __str__(self) -> str:
        return self.external_id


class SyncRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "En attente"
        RUNNING = "running", "En cours"
        SUCCEEDED = "succeeded", "Terminée"
        FAILED = "failed", "Échouée"

    ticketing_system = models.ForeignKey(
        TicketingSystem, on_delete=models.CASCADE, related_name="sync_runs"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=20, default="user")
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    window_from = models.DateTimeField(null=True, blank=True)
    shows_added = models.PositiveIntegerField(default=0)
    shows_updated = models.PositiveIntegerField(default=0)
    shows_unchanged = models.PositiveIntegerField(default=0)
    shows_skipped = models.PositiveIntegerField(default=0)
    requests_made = models.PositiveIntegerField(default=0)
    # 429 answers met (each was waited out and retried): should stay 0 with the shared budget.
    rate_limited_responses = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "synchronisation"
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["ticketing_system", "-queued_at"])]

    def __str__(self) -> str:
        return f"{self.ticketing_system} — {self.get_status_display()}"


class RateBudget(models.Model):
    """A token bucket per provider account, shared by every run and worker: requests wait for
    a token, so consecutive or concurrent syncs never trip the provider's limit."""

    key = models.CharField(max_length=100, unique=True)
    tokens = models.FloatField()
    refilled_at = models.DateTimeField()

    class Meta:
        verbose_name = "budget de requêtes"

    def __str__(self) -> str:
        return self.key
