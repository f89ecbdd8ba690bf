from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.sessions.models import Session
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from dsfr.models import DsfrConfig

from accounts import organisation_admin  # noqa: F401 — registers the organisation models
from accounts.models import User, UserSession
from accounts.teams import owners_handover


class ConfirmedFilter(admin.SimpleListFilter):
    title = "e-mail confirmé"
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("yes", "Oui"), ("no", "Non")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(email_confirmed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(email_confirmed_at__isnull=True)
        return queryset


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name"]


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationAdminForm
    form = UserChangeAdminForm
    ordering = ["-date_joined"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "status_label",
        "active_sessions",
        "last_login",
        "date_joined",
    ]
    list_filter = ["is_active", ConfirmedFilter, "is_staff", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = [
        "last_login",
        "date_joined",
        "email_confirmed_at",
        "terms_accepted_at",
        "terms_version",
    ]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name"]}),
        (
            "Statut",
            {"fields": ["is_active", "email_confirmed_at", "terms_accepted_at", "terms_version"]},
        ),
        ("Droits", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "email",
                    "first_name",
                    "last_name",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]

    def save_model(self, request, obj: User, form, change: bool) -> None:
        # An account an admin activates counts as confirmed (see accounts/retention.py).
        if obj.is_active and obj.email_confirmed_at is None:
            obj.email_confirmed_at = timezone.now()
        super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        owners_handover(user=obj)  # another member becomes owner where it was the only one
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            owners_handover(user=user)
        super().delete_queryset(request, queryset)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        live = Session.objects.filter(
            session_key=OuterRef("session_key"), expire_date__gt=timezone.now()
        )
        counts = (
            UserSession.objects.filter(user=OuterRef("pk"))
            .filter(Exists(live))
            .order_by()
            .values("user")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_sessions_count=Coalesce(
                    Subquery(counts, output_field=IntegerField()), Value(0)
                )
            )
        )

    @admin.display(description="statut")
    def status_label(self, user: User) -> str:
        return user.status

    @admin.display(description="sessions actives", ordering="active_sessions_count")
    def active_sessions(self, user: User) -> int:
        return user.active_sessions_count


# Site settings come from config/context_processors.py, not from django-dsfr's DsfrConfig rows.
admin.site.unregister(DsfrConfig)

admin.site.site_header = "Assistant déclaration — administration"
admin.site.site_title = "Administration d'Assistant déclaration"
admin.site.index_title = "Tableau de bord de l'administration"
