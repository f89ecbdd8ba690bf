"""Read-mostly admin for support: systems (credentials never shown), shows, sync runs."""

from django.contrib import admin

from ticketing.models import Performance, Show, SyncRun, TicketingSystem


@admin.register(TicketingSystem)
class TicketingSystemAdmin(admin.ModelAdmin):
    list_display = ["organisation", "provider", "created_at", "disconnected_at", "last_synced_from"]
    list_filter = ["provider"]
    list_select_related = ["organisation"]
    search_fields = ["organisation__name", "organisation__siren"]
    # The encrypted credentials and their fingerprint are not fields of this form.
    fields = [
        "organisation",
        "provider",
        "created_at",
        "disconnected_at",
        "last_synced_from",
        "force_sync_from",
    ]
    readonly_fields = [
        "organisation",
        "provider",
        "created_at",
        "disconnected_at",
        "last_synced_from",
    ]

    def has_add_permission(self, request) -> bool:
        return False


class PerformanceInline(admin.TabularInline):
    model = Performance
    fields = [
        "external_id",
        "starts_at",
        "ends_at",
        "free_tickets",
        "paid_tickets",
        "revenue_incl_vat",
        "revenue_excl_vat",
        "vat_rate",
        "user_edited_at",
        "remote_missing_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "ticketing_system", "last_ends_at", "frozen_at"]
    list_select_related = ["organisation", "ticketing_system"]
    list_filter = ["ticketing_system__provider"]
    search_fields = ["name", "external_id", "organisation__name", "organisation__siren"]
    readonly_fields = [
        "ticketing_system",
        "organisation",
        "external_id",
        "first_starts_at",
        "last_ends_at",
        "sync_warnings",
        "remote_missing_at",
        "frozen_at",
        "created_at",
        "updated_at",
    ]
    inlines = [PerformanceInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "ticketing_system",
        "status",
        "trigger",
        "queued_at",
        "finished_at",
        "shows_added",
        "shows_updated",
        "requests_made",
        "rate_limited_responses",
    ]
    list_filter = ["status", "trigger", "ticketing_system__provider"]
    list_select_related = ["ticketing_system__organisation"]
    search_fields = [
        "ticketing_system__organisation__name",
        "ticketing_system__organisation__siren",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
