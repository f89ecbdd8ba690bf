from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class OutgoingEmail(models.Model):
    """An e-mail as the application asked to send it, kept until (and after) delivery."""

    class Status(models.TextChoices):
        QUEUED = "queued", "En attente"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "Échec"
        CAUGHT = "caught", "Intercepté"

    from_email = models.TextField("expéditeur")
    to = ArrayField(models.TextField(), verbose_name="destinataires", default=list, blank=True)
    cc = ArrayField(models.TextField(), verbose_name="copie", default=list, blank=True)
    bcc = ArrayField(models.TextField(), verbose_name="copie cachée", default=list, blank=True)
    reply_to = ArrayField(models.TextField(), verbose_name="répondre à", default=list, blank=True)
    headers = models.JSONField("en-têtes supplémentaires", default=dict, blank=True)
    subject = models.TextField("objet", blank=True)
    body_text = models.TextField("texte", blank=True)
    body_html = models.TextField("HTML", blank=True)
    # [{"filename": ..., "mimetype": ..., "content": <base64>}, ...]
    attachments = models.JSONField("pièces jointes", default=list, blank=True)

    status = models.CharField(
        "statut", max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField("tentatives", default=0)
    provider = models.CharField("fournisseur", max_length=255, blank=True)
    provider_message_id = models.CharField(
        "identifiant chez le fournisseur", max_length=255, blank=True
    )
    last_error = models.TextField("dernière erreur", blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "e-mail sortant"
        verbose_name_plural = "e-mails sortants"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at"], name="outgoingemail_created_idx")]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.recipients)}"

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]
