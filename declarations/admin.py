"""Admin of the declarations: the organisms' delegations (editable, and replaced by a CSV
import), and read-only records of what declarants filled in and what was sent. Encrypted SIBIL
credentials are never a field of any page here."""

import json
from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from accounts.organisation_admin import RecordAdmin
from declarations.agencies import (
    AGENCY_KINDS,
    AgencyImportError,
    AgencyKind,
    agencies_import,
    csv_text,
    postal_code_normalise,
    sacd_prefix_clean,
    sacem_code_clean,
)
from declarations.models import (
    Attachment,
    Declaration,
    SacdAgency,
    SacemAgency,
    ShowDetails,
    SibilAccount,
    Transmission,
    TransmissionFile,
)

IMPORT_TEMPLATE = "admin/declarations/agencies_import.html"
CSV_MAX_BYTES = 5 * 1024 * 1024
AGENCY_MODELS: dict[AgencyKind, type[SacemAgency] | type[SacdAgency]] = {
    "sacem": SacemAgency,
    "sacd": SacdAgency,
}


def _pre(value: object) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


# --- Delegations -------------------------------------------------------------------------------


def agencies_import_allowed(request: HttpRequest, kind: AgencyKind) -> bool:
    """An import creates, changes and deletes delegations: it needs all three rights."""
    opts = AGENCY_MODELS[kind]._meta
    return request.user.has_perms(
        [f"{opts.app_label}.{action}_{opts.model_name}" for action in ("add", "change", "delete")]
    )


class AgenciesImportForm(forms.Form):
    kind = forms.ChoiceField(label="Organisme", choices=[("sacem", "SACEM"), ("sacd", "SACD")])
    file = forms.FileField(
        label="Fichier CSV",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=(
            "Enregistrez la liste reçue de l'organisme au format CSV (séparateur virgule ou "
            "point-virgule). SACEM : colonnes LOCAL, CP et Mail. SACD : colonnes Département, "
            "mail et, si vous l'avez, le nom de la délégation."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(
                "Ce fichier dépasse 5 Mo : vérifiez qu'il s'agit bien de la liste des délégations."
            )
        return upload


def _codes_clean(values: list[str], clean: Callable[[str], str | None], hint: str) -> list[str]:
    codes = []
    for value in values:
        code = clean(value)
        if code is None:
            raise forms.ValidationError(f"« {value} » n'est pas valide : {hint}")
        codes.append(code)
    return sorted(set(codes))


class SacemAgencyForm(forms.ModelForm):
    class Meta:
        model = SacemAgency
        fields = ["name", "email", "postal_codes"]
        help_texts = {"postal_codes": "Codes postaux exacts, séparés par des virgules."}

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()

    def clean_postal_codes(self) -> list[str]:
        return _codes_clean(
            self.cleaned_data["postal_codes"],
            sacem_code_clean,
            "un code postal a 5 chiffres, par exemple 69001.",
        )


class SacdAgencyForm(forms.ModelForm):
    class Meta:
        model = SacdAgency
        fields = ["name", "email", "postal_code_prefixes"]
        help_texts = {
            "postal_code_prefixes": (
                "Débuts de codes postaux séparés par des virgules : un département (69), un "
                "préfixe plus long (380, prioritaire sur 38), 2A ou 2B (Corse), Monaco."
            )
        }

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()

    def clean_postal_code_prefixes(self) -> list[str]:
        return _codes_clean(
            self.cleaned_data["postal_code_prefixes"],
            sacd_prefix_clean,
            "indiquez de 2 à 5 chiffres, 2A, 2B ou Monaco.",
        )


class AgencyAdmin(admin.ModelAdmin):
    """Common to both delegation lists: a search by postal code and the CSV import page.

    The change list and the import page share one template (see its first lines)."""

    kind: AgencyKind
    codes_field: str
    list_display = ["name", "email", "codes_display"]
    search_fields = ["name", "email"]
    search_help_text = "Nom, adresse e-mail ou code postal."
    change_list_template = IMPORT_TEMPLATE

    @admin.display(description="codes")
    def codes_display(self, agency: SacemAgency | SacdAgency) -> str:
        codes = getattr(agency, self.codes_field)
        shown = ", ".join(codes[:10])
        return f"{shown}… ({len(codes)} codes)" if len(codes) > 10 else shown

    def codes_matching(self, code: str) -> Q:
        raise NotImplementedError

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        code = postal_code_normalise(search_term).upper()
        if code and (code.isdigit() or code in ("2A", "2B")):
            results = results | queryset.filter(self.codes_matching(code))
        return results, may_have_duplicates

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        view = self.admin_site.admin_view(self.import_view)
        return [path("importer/", view, name=name), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        import_url = None
        if agencies_import_allowed(request, self.kind):
            import_url = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import",
                current_app=self.admin_site.name,
            )
        context = {"base_template": "admin/change_list.html", "import_url": import_url}
        return super().changelist_view(request, {**(extra_context or {}), **context})

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not any(agencies_import_allowed(request, kind) for kind in AGENCY_KINDS):
            raise PermissionDenied
        form = AgenciesImportForm(
            request.POST or None, request.FILES or None, initial={"kind": self.kind}
        )
        if request.method == "POST" and form.is_valid():
            kind = form.cleaned_data["kind"]
            if not agencies_import_allowed(request, kind):
                form.add_error(
                    "kind",
                    f"Vous n'avez pas le droit de modifier les délégations {kind.upper()} : "
                    "demandez-le à un administrateur.",
                )
            else:
                try:
                    report = agencies_import(kind, csv_text(form.cleaned_data["file"].read()))
                except AgencyImportError as error:
                    form.add_error(None, error.message.splitlines())
                else:
                    self.message_user(request, report.summary, messages.SUCCESS)
                    for warning in report.warnings:
                        self.message_user(request, warning, messages.WARNING)
                    opts = AGENCY_MODELS[kind]._meta
                    return HttpResponseRedirect(
                        reverse(
                            f"admin:{opts.app_label}_{opts.model_name}_changelist",
                            current_app=self.admin_site.name,
                        )
                    )
        context = {
            **self.admin_site.each_context(request),
            "base_template": "admin/base_site.html",
            "title": "Importer un fichier CSV de délégations",
            "opts": self.opts,
            "import_form": form,
        }
        return TemplateResponse(request, IMPORT_TEMPLATE, context)


@admin.register(SacemAgency)
class SacemAgencyAdmin(AgencyAdmin):
    kind = "sacem"
    codes_field = "postal_codes"
    form = SacemAgencyForm

    def codes_matching(self, code: str) -> Q:
        return Q(postal_codes__contains=[code])


@admin.register(SacdAgency)
class SacdAgencyAdmin(AgencyAdmin):
    kind = "sacd"
    codes_field = "postal_code_prefixes"
    form = SacdAgencyForm

    def codes_matching(self, code: str) -> Q:
        # The prefix itself, or every prefix that routes this postal code ("69001" → "69").
        code = "20" + code[2:] if code[:2] in ("2A", "2B") else code
        return Q(postal_code_prefixes__overlap=[code[:n] for n in range(2, len(code) + 1)])


# --- What declarants filled in and sent --------------------------------------------------------


@admin.register(ShowDetails)
class ShowDetailsAdmin(RecordAdmin):
    list_display = ["show", "organisation", "organisms", "venue_postal_code", "updated_at"]
    search_fields = ["show__name", "show__organisation__name", "show__organisation__siren"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShowDetails]:
        return super().get_queryset(request).select_related("show__organisation", "updated_by")

    @admin.display(description="organisation", ordering="show__organisation__name")
    def organisation(self, details: ShowDetails) -> str:
        return str(details.show.organisation)


class TransmissionInline(admin.TabularInline):
    model = Transmission
    fields = ["version", "status", "attempts", "created_at", "finished_at", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Declaration)
class DeclarationAdmin(RecordAdmin):
    list_display = ["show", "organisation", "organism", "status", "version", "sent_at"]
    list_filter = ["organism", "status"]
    search_fields = ["show__name", "show__organisation__name", "reference"]
    fields = [
        "show",
        "organism",
        "status",
        "version",
        "sent_at",
        "declared_on",
        "reference",
        "last_error",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [TransmissionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Declaration]:
        return super().get_queryset(request).select_related("show__organisation")

    @admin.display(description="organisation", ordering="show__organisation__name")
    def organisation(self, declaration: Declaration) -> str:
        return str(declaration.show.organisation)


class TransmissionFileInline(admin.TabularInline):
    model = TransmissionFile
    fields = ["download", "content_type", "received", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "documents envoyés et réponses reçues"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="document")
    def download(self, item: TransmissionFile) -> str:
        url = reverse(
            "admin:declarations_transmission_file",
            args=[item.transmission_id, item.pk],
            current_app=self.admin_site.name,
        )
        return format_html('<a href="{}">{}</a>', url, item.name)


@admin.register(Transmission)
class TransmissionAdmin(admin.ModelAdmin):
    """Evidence of what left the platform: nothing here can be changed or deleted."""

    list_display = ["declaration", "version", "status", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "declaration__organism"]
    search_fields = ["declaration__show__name", "declaration__show__organisation__name"]
    fields = [
        "declaration",
        "version",
        "status",
        "attempts",
        "created_at",
        "created_by",
        "finished_at",
        "steps_display",
        "warnings",
        "error",
        "snapshot_display",
    ]
    readonly_fields = fields
    inlines = [TransmissionFileInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Transmission]:
        return (
            super()
            .get_queryset(request)
            .select_related("declaration__show__organisation", "created_by")
        )

    @admin.display(description="étapes")
    def steps_display(self, transmission: Transmission) -> str:
        return _pre(transmission.steps)

    @admin.display(description="données transmises")
    def snapshot_display(self, transmission: Transmission) -> str:
        return _pre(transmission.snapshot)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.file_view)
        return [
            path(
                "<path:object_id>/fichiers/<int:file_id>/",
                view,
                name="declarations_transmission_file",
            ),
            *super().get_urls(),
        ]

    def file_view(self, request: HttpRequest, object_id: str, file_id: int) -> FileResponse:
        """Served as a download, never inline: an organism's answer may be HTML."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        item = TransmissionFile.objects.filter(
            transmission_id=unquote(object_id), pk=file_id
        ).first()
        if item is None:
            raise Http404
        try:
            handle = item.file.open("rb")
        except FileNotFoundError as error:
            raise Http404 from error
        return FileResponse(
            handle, as_attachment=True, filename=item.name, content_type=item.content_type
        )

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(RecordAdmin):
    """Metadata only: the documents themselves belong to the organisation's members."""

    list_display = ["name", "show", "kind", "content_type", "size", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["name", "show__name", "show__organisation__name"]
    fields = ["show", "kind", "name", "content_type", "size", "uploaded_at", "uploaded_by"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attachment]:
        return super().get_queryset(request).select_related("show", "uploaded_by")


@admin.register(SibilAccount)
class SibilAccountAdmin(RecordAdmin):
    """The username only: the credentials stay encrypted and are never a field here. A
    username cannot be changed either, since the credentials are encrypted with it."""

    list_display = ["organisation", "username", "updated_at"]
    list_select_related = ["organisation"]
    search_fields = ["organisation__name", "organisation__siren", "username"]
    fields = ["organisation", "username", "updated_at"]
    readonly_fields = fields
