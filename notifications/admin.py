from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from notifications import services
from notifications.models import OutgoingEmail


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipients_display", "subject", "status", "provider"]
    list_filter = ["status"]
    search_fields = ["to", "cc", "bcc", "subject"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    fields = [
        "created_at",
        "status",
        "attempts",
        "sent_at",
        "provider",
        "provider_message_id",
        "last_error",
        "from_email",
        "to",
        "cc",
        "bcc",
        "reply_to",
        "headers",
        "subject",
        "body_text",
        "body_html",
        "attachment_names",
    ]
    readonly_fields = fields

    def get_fields(self, request: HttpRequest, obj: OutgoingEmail | None = None) -> list[str]:
        # Bodies may hold live confirmation or reset links: superusers only.
        if request.user.is_superuser:
            return self.fields
        return [name for name in self.fields if name not in {"body_text", "body_html"}]

    @admin.display(description="destinataires")
    def recipients_display(self, obj: OutgoingEmail) -> str:
        return ", ".join(obj.recipients)

    @admin.display(description="pièces jointes")
    def attachment_names(self, obj: OutgoingEmail) -> str:
        return ", ".join(attachment["filename"] for attachment in obj.attachments) or "—"

    @admin.action(description="Relancer l'envoi des e-mails en échec")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]) -> None:
        retried = sum(
            services.outgoing_email_retry(outgoing_email_id=pk)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{retried} e-mail(s) remis en file d'envoi.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutgoingEmail | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutgoingEmail | None = None) -> bool:
        return False
