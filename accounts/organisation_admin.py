"""Admin of organisations, memberships, invitations and access requests."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from accounts import teams
from accounts.identifiers import (
    digits_only,
    validate_siren,
    validate_siret,
    validate_siret_matches_siren,
)
from accounts.models import (
    AccessRequest,
    Invitation,
    Membership,
    Organisation,
    Role,
)

NO_OWNER_LEFT = (
    "Une organisation qui a des membres doit toujours avoir au moins un propriétaire : "
    "rattachez cette personne comme propriétaire, ou nommez d'abord quelqu'un d'autre "
    "propriétaire."
)

INACTIVE_ACCOUNT = (
    "Ce compte n'est pas actif (adresse e-mail non confirmée ou compte désactivé) : il ne peut "
    "pas être rattaché à une organisation."
)


def _has_other_owner(organisation_id: int, membership_id: int | None) -> bool:
    return (
        Membership.objects.filter(organisation_id=organisation_id, role=Role.OWNER)
        .exclude(pk=membership_id)
        .exists()
    )


class OrganisationAdminForm(forms.ModelForm):
    """Checks the SIREN and SIRET an administrator types (unchanged ones are left alone)."""

    class Meta:
        model = Organisation
        fields = [
            "name",
            "siren",
            "head_office_siret",
            "street",
            "postal_code",
            "city",
            "sacem_id",
            "sacd_id",
            "needs_review",
            "review_reasons",
        ]

    def clean_siren(self) -> str:
        siren = digits_only(self.cleaned_data["siren"])
        if "siren" in self.changed_data:
            validate_siren(siren)
        return siren

    def clean_head_office_siret(self) -> str:
        siret = digits_only(self.cleaned_data["head_office_siret"])
        if "head_office_siret" in self.changed_data:
            validate_siret(siret)
        return siret

    def clean(self) -> dict:
        cleaned = super().clean()
        siren, siret = cleaned.get("siren"), cleaned.get("head_office_siret")
        if siren and siret and {"siren", "head_office_siret"} & set(self.changed_data):
            try:
                validate_siret_matches_siren(siret, siren)
            except ValidationError as error:
                self.add_error("head_office_siret", error)
        return cleaned


class MembershipInlineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            form
            for form in self.forms
            if form.cleaned_data.get("user") and not self._should_delete_form(form)
        ]
        if kept and not any(form.cleaned_data.get("role") == Role.OWNER for form in kept):
            raise ValidationError(NO_OWNER_LEFT)
        for form in kept:
            if "user" in form.changed_data and not form.cleaned_data["user"].is_active:
                form.add_error("user", INACTIVE_ACCOUNT)


class MembershipInline(admin.TabularInline):
    """Lets support attach a person to an organisation (the person receives the welcome
    e-mail, see OrganisationAdmin.save_formset)."""

    model = Membership
    formset = MembershipInlineFormSet
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]
    extra = 1
    verbose_name_plural = "membres"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user").order_by("created_at", "pk")


class PendingInvitationInline(admin.TabularInline):
    model = Invitation
    fields = ["email", "role", "status_display", "invited_by", "sent_at", "expires_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "invitations non acceptées ni révoquées"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invitation]:
        return super().get_queryset(request).pending().select_related("invited_by")

    @admin.display(description="statut")
    def status_display(self, invitation: Invitation) -> str:
        return invitation.status

    def has_add_permission(self, request: HttpRequest, obj: Organisation | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Organisation | None = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = [
        "name",
        "siren",
        "head_office_siret",
        "city",
        "needs_review",
        "created_at",
        "member_count",
    ]
    list_filter = ["needs_review"]
    search_fields = ["name", "siren", "head_office_siret"]
    readonly_fields = ["created_at", "created_by"]
    fieldsets = [
        (None, {"fields": ["name", "siren", "head_office_siret"]}),
        ("Adresse du siège", {"fields": ["street", "postal_code", "city"]}),
        ("Identifiants des organismes", {"fields": ["sacem_id", "sacd_id"]}),
        ("Vérification", {"fields": ["needs_review", "review_reasons"]}),
        ("Création", {"fields": ["created_at", "created_by"]}),
    ]
    inlines = [MembershipInline, PendingInvitationInline]
    actions = ["mark_verified"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(member_count_value=Count("memberships"))
        )

    @admin.display(description="membres", ordering="member_count_value")
    def member_count(self, organisation: Organisation) -> int:
        return organisation.member_count_value

    def save_model(self, request: HttpRequest, obj: Organisation, form, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Membership:
            for membership in formset.new_objects:
                teams.welcome_send(membership)

    @admin.action(description="Marquer comme vérifiée", permissions=["change"])
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        # The changelist queryset is annotated with an aggregate: update by primary key.
        ids = list(queryset.values_list("pk", flat=True))
        updated = Organisation.objects.filter(pk__in=ids, needs_review=True).update(
            needs_review=False, review_reasons=""
        )
        self.message_user(
            request, f"{updated} organisation(s) marquée(s) comme vérifiée(s).", messages.SUCCESS
        )


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["organisation", "user", "role"]

    def clean(self) -> dict:
        cleaned = super().clean()
        user = cleaned.get("user")
        if user and "user" in self.changed_data and not user.is_active:
            self.add_error("user", INACTIVE_ACCOUNT)
        role = cleaned.get("role")
        organisation = cleaned.get("organisation")
        organisation_id = organisation.pk if organisation else self.instance.organisation_id
        if (
            role
            and organisation_id
            and role != Role.OWNER
            and not _has_other_owner(organisation_id, self.instance.pk)
        ):
            self.add_error("role", NO_OWNER_LEFT)
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["user", "organisation", "role", "created_at"]
    list_select_related = ["user", "organisation"]
    list_filter = ["role"]
    search_fields = ["user__email", "organisation__name", "organisation__siren"]
    autocomplete_fields = ["user", "organisation"]
    fields = ["organisation", "user", "role", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None):
        if obj is None:
            return ["created_at"]
        return ["organisation", "user", "created_at"]

    def get_actions(self, request: HttpRequest) -> dict:
        # One by one only, so that the last owner check of delete_view applies.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Membership, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            teams.welcome_send(obj)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        membership = self.get_object(request, unquote(object_id))
        if (
            membership is not None
            and membership.is_owner
            and not _has_other_owner(membership.organisation_id, membership.pk)
            and Membership.objects.filter(organisation_id=membership.organisation_id)
            .exclude(pk=membership.pk)
            .exists()
        ):
            self.message_user(request, NO_OWNER_LEFT, messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:accounts_membership_change", args=[membership.pk])
            )
        return super().delete_view(request, object_id, extra_context)


class RecordAdmin(admin.ModelAdmin):
    """Rows that the service writes and the admin only reads. Deletion one by one stays allowed
    (Django could not delete an organisation or a user otherwise), bulk deletion does not."""

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class InvitationStatusFilter(admin.SimpleListFilter):
    title = "statut"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("pending", "En attente"),
            ("expired", "Expirée"),
            ("accepted", "Acceptée"),
            ("revoked", "Révoquée"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "pending":
                return queryset.pending().filter(expires_at__gt=now)
            case "expired":
                return queryset.pending().filter(expires_at__lte=now)
            case "accepted":
                return queryset.filter(accepted_at__isnull=False)
            case "revoked":
                return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=False)
        return queryset


@admin.register(Invitation)
class InvitationAdmin(RecordAdmin):
    """Read-only (the signed link's nonce is never shown); an invitation can only be revoked.

    Deletion stays allowed so that deleting an organisation or a user still works here."""

    list_display = ["email", "organisation", "role", "status_display", "sent_at", "expires_at"]
    list_filter = [InvitationStatusFilter, "role"]
    search_fields = ["email", "organisation__name"]
    fields = [
        "organisation",
        "email",
        "role",
        "status_display",
        "invited_by",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invitation]:
        # Replaces list_select_related, which the changelist ignores once a queryset has some.
        return (
            super()
            .get_queryset(request)
            .select_related("organisation", "invited_by", "accepted_by")
        )

    @admin.display(description="statut")
    def status_display(self, invitation: Invitation) -> str:
        return invitation.status

    @admin.action(description="Révoquer", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        revoked = queryset.pending().update(revoked_at=timezone.now())
        self.message_user(request, f"{revoked} invitation(s) révoquée(s).", messages.SUCCESS)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_invitation")


@admin.register(AccessRequest)
class AccessRequestAdmin(RecordAdmin):
    """Read-only. Deletion stays allowed so that deleting an organisation or a user works."""

    list_display = ["user", "organisation", "requested_at"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__email", "organisation__name", "organisation__siren"]
    fields = ["user", "organisation", "requested_at"]
    readonly_fields = fields
