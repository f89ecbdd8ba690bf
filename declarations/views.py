"""The declaration of a show: the form, the review before sending, the transmissions and their
documents, CNM/ASTP documents, attachments. Every view goes through `organisation_view`."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from accounts.permissions import organisation_view
from declarations import documents, services, transmission
from declarations.building import details_for, snapshot_build
from declarations.checks import SETTINGS, SIBIL_SETTINGS
from declarations.choices import ORGANISM_HINTS, Organism
from declarations.figures import key_figures, show_tax
from declarations.forms import (
    AttachmentForm,
    ManualDeclarationForm,
    performance_formset,
    show_details_form,
)
from declarations.models import (
    Attachment,
    Declaration,
    ShowDetails,
    Transmission,
    TransmissionFile,
    TransmissionStatus,
)
from declarations.uploads import UploadRefused, attachment_check_upload
from ticketing.models import Performance, Show


def _show(request: HttpRequest, show_id: int) -> Show:
    show = (
        Show.objects.filter(organisation=request.organisation, pk=show_id)
        .select_related("organisation", "ticketing_system", "details")
        .prefetch_related(
            Prefetch("declarations", queryset=Declaration.objects.order_by("organism")),
        )
        .first()
    )
    if show is None:
        raise Http404("Spectacle introuvable.")
    return show


def _form_url(request: HttpRequest, show: Show) -> str:
    return reverse("declarations:form", args=[request.organisation.pk, show.pk])


@organisation_view()
def declaration_form(request: HttpRequest, show_id: int) -> HttpResponse:
    show = _show(request, show_id)
    details = details_for(show)
    organisms = set(details.organisms)
    editable = services.declaration_editable(show, details)
    performances = Performance.objects.filter(show=show).order_by("starts_at", "pk")
    data = request.POST if request.method == "POST" and editable else None
    form = show_details_form(organisms)(data, instance=details, prefix="spectacle")
    formset = performance_formset(organisms)(
        data, queryset=performances, prefix="r", form_kwargs={"details": details}
    )
    suggestions = _producer_suggestions(show)
    if suggestions and "producer_siren" in form.fields:
        form.fields["producer_siren"].widget.attrs["list"] = "producteurs-connus"
    if data is not None:
        # Performance forms compare their venue, capacity and audience with the show's new
        # values: they follow it when equal.
        if form.is_valid():
            for performance_form in formset.forms:
                performance_form.details = form.instance
        if form.is_valid() and formset.is_valid():
            services.declaration_save(show, form, formset, request.user)
            messages.success(request, "La déclaration est enregistrée.")
            return redirect(_form_url(request, show))
        messages.error(
            request, "La déclaration n'est pas enregistrée : des champs sont à corriger."
        )
    return render(
        request,
        "declarations/form.html",
        {
            "title": f"Déclaration – {show.name}",
            "organisation": request.organisation,
            "show": show,
            "details": details,
            "form": form,
            "formset": formset,
            "editable": editable,
            "organisms": organisms,
            "organism_hints": ORGANISM_HINTS,
            "declarations": list(show.declarations.all()),
            "attachments": list(show.attachments.all()),
            "attachment_form": AttachmentForm(),
            "producer_suggestions": suggestions,
            "error_summary": _error_summary(form, formset) if data is not None else [],
            **_transmissions(show),
        },
    )


def _error_summary(form, formset) -> list[tuple[str, str, str]]:
    """(anchor, label, message) of each field in error, in page order, for the list at the top
    of the page (a long run has hundreds of fields)."""
    summary = []
    for bound_form, prefix in [(form, ""), *((f, _performance_label(f)) for f in formset.forms)]:
        for name, errors in bound_form.errors.items():
            if name in bound_form.fields and not bound_form.fields[name].widget.is_hidden:
                field = bound_form[name]
                summary.append((field.auto_id, f"{prefix}{field.label}", " ".join(errors)))
    return summary


def _performance_label(performance_form) -> str:
    starts_at = timezone.localtime(performance_form.instance.starts_at)
    return f"{date_format(starts_at, 'j F Y H:i')} – "


def _producer_suggestions(show: Show) -> list[tuple[str, str]]:
    """Producers of the organisation's other shows, most recent first (at most 10)."""
    rows = (
        ShowDetails.objects.filter(show__organisation_id=show.organisation_id)
        .exclude(producer_siren="")
        .exclude(show=show)
        .order_by("-updated_at")
        .values_list("producer_siren", "producer_name")[:30]
    )
    return list(dict.fromkeys(rows))[:10]


def _transmissions(show: Show) -> dict:
    transmissions = list(
        Transmission.objects.filter(declaration__show=show)
        .select_related("declaration")
        .prefetch_related("files")
        .order_by("-created_at", "-pk")
    )
    for item in transmissions:  # a run whose worker died shows as failed, ready to retry
        if transmission.release_if_dead(item):
            item.refresh_from_db()
    running = any(item.status in ACTIVE for item in transmissions)
    return {"transmissions": transmissions, "running": running}


ACTIVE = (TransmissionStatus.PENDING, TransmissionStatus.RUNNING)


@organisation_view()
def declaration_review(request: HttpRequest, show_id: int) -> HttpResponse:
    """The figures each organism will receive, what is missing, and the confirmation."""
    show = _show(request, show_id)
    details = details_for(show)
    plan = transmission.sending_plan(show)
    if request.method == "POST":
        try:
            transmission.declaration_send(show, request.user)
        except transmission.NotReady:
            messages.error(request, "La déclaration n'est pas prête : voyez ce qui manque.")
        else:
            messages.success(
                request,
                "L'envoi est lancé. Suivez-le ci-dessous : cette page se met à jour d'elle-même.",
            )
            return redirect(_form_url(request, show))
    performances = list(show.performances.all())
    snapshot = snapshot_build(
        show,
        details,
        performances,
        declarant_name=request.user.get_full_name(),
        declarant_email=request.user.email,
    )
    problems = transmission.show_problems(show, plan.organisms) if plan.organisms else []
    manual = [o for o in (Organism.CNM, Organism.ASTP) if o in details.organisms]
    manual_problems = [p for p in transmission.show_problems(show, manual) if p.organism]
    return render(
        request,
        "declarations/review.html",
        {
            "title": f"Vérifier et envoyer – {show.name}",
            "organisation": request.organisation,
            "show": show,
            "details": details,
            "snapshot": snapshot,
            "figures": key_figures(snapshot) if performances else None,
            "tax": show_tax(snapshot) if performances else None,
            "plan": plan,
            "problems": problems,
            "settings_field": SETTINGS,
            "sibil_settings_field": SIBIL_SETTINGS,
            "manual_organisms": manual,
            "manual_problems": manual_problems,
            "manual_form": ManualDeclarationForm(),
        },
    )


@organisation_view()
@require_POST
def declaration_correct(request: HttpRequest, show_id: int) -> HttpResponse:
    show = _show(request, show_id)
    details = details_for(show)
    if show.frozen_at is None or services.declaration_editable(show, details):
        return redirect(_form_url(request, show))
    services.correction_open(show, details)
    messages.info(
        request,
        "Vous pouvez corriger la déclaration. À l'envoi, les organismes qui l'ont déjà reçue "
        "recevront une nouvelle version qui remplace la précédente.",
    )
    return redirect(_form_url(request, show))


@organisation_view()
@require_POST
def transmission_retry(request: HttpRequest, show_id: int, transmission_id: int) -> HttpResponse:
    show = _show(request, show_id)
    item = Transmission.objects.filter(declaration__show=show, pk=transmission_id).first()
    if item is None:
        raise Http404("Envoi introuvable.")
    transmission.transmission_retry(item)
    messages.success(request, "L'envoi reprend là où il s'était arrêté.")
    return redirect(_form_url(request, show))


@organisation_view()
def transmission_status(request: HttpRequest, show_id: int) -> HttpResponse:
    """The transmissions block alone, polled while a sending runs."""
    show = _show(request, show_id)
    return render(
        request,
        "declarations/_transmissions.html",
        {
            "organisation": request.organisation,
            "show": show,
            **_transmissions(show),
        },
    )


@organisation_view()
def transmission_file(request: HttpRequest, show_id: int, file_id: int) -> FileResponse:
    show = _show(request, show_id)
    stored = TransmissionFile.objects.filter(
        transmission__declaration__show=show, pk=file_id
    ).first()
    if stored is None:
        raise Http404("Document introuvable.")
    return FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=stored.name,
        content_type=stored.content_type,
    )


@organisation_view()
def show_tax_document(request: HttpRequest, show_id: int, organism: str, kind: str) -> HttpResponse:
    """The CNM or ASTP figures as PDF or CSV, built from the current data."""
    show = _show(request, show_id)
    if organism not in (Organism.CNM, Organism.ASTP) or kind not in ("pdf", "csv"):
        raise Http404("Document introuvable.")
    snapshot = snapshot_build(
        show,
        details_for(show),
        list(show.performances.all()),
        declarant_name=request.user.get_full_name(),
        declarant_email=request.user.email,
    )
    filename = documents.document_filename(organism.upper(), snapshot, kind)
    if kind == "pdf":
        content, content_type = documents.show_tax_pdf(snapshot, organism), "application/pdf"
    else:
        content = documents.show_tax_csv(snapshot, organism).encode("utf-8")
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = _attachment_header(filename)
    return response


def _attachment_header(filename: str) -> str:
    return content_disposition_header(True, filename)


@organisation_view()
@require_POST
def declaration_mark(request: HttpRequest, show_id: int, organism: str) -> HttpResponse:
    show = _show(request, show_id)
    if organism not in (Organism.CNM, Organism.ASTP):
        raise Http404("Organisme introuvable.")
    form = ManualDeclarationForm(request.POST)
    if form.is_valid():
        services.manual_declaration_mark(
            show,
            organism,
            declared_on=form.cleaned_data["declared_on"],
            reference=form.cleaned_data["reference"],
        )
        messages.success(request, f"La déclaration {organism.upper()} est notée comme faite.")
    else:
        messages.error(request, "Indiquez une date de déclaration valide (pas dans le futur).")
    return redirect(reverse("declarations:review", args=[request.organisation.pk, show.pk]))


@organisation_view()
@require_POST
def attachment_upload(request: HttpRequest, show_id: int) -> HttpResponse:
    show = _show(request, show_id)
    form = AttachmentForm(request.POST, request.FILES)
    if not services.declaration_editable(show, details_for(show)):
        messages.error(
            request,
            "La déclaration est partie : préparez une correction pour ajouter une pièce jointe.",
        )
    elif show.attachments.count() >= services.MAX_ATTACHMENTS:
        messages.error(
            request, f"Un spectacle compte au plus {services.MAX_ATTACHMENTS} pièces jointes."
        )
    elif form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            checked = attachment_check_upload(upload)  # an oversize file is not read
            services.attachment_add(
                show,
                name=checked.name,
                data=checked.data,
                kind=form.cleaned_data["kind"],
                user=request.user,
            )
        except UploadRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, "La pièce jointe est ajoutée.")
    else:
        messages.error(request, "Choisissez un fichier et son type.")
    return redirect(_form_url(request, show) + "#pieces-jointes")


@organisation_view()
def attachment_download(request: HttpRequest, show_id: int, attachment_id: int) -> FileResponse:
    show = _show(request, show_id)
    attachment = Attachment.objects.filter(show=show, pk=attachment_id).first()
    if attachment is None:
        raise Http404("Pièce jointe introuvable.")
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )


@organisation_view()
@require_POST
def attachment_delete(request: HttpRequest, show_id: int, attachment_id: int) -> HttpResponse:
    show = _show(request, show_id)
    attachment = Attachment.objects.filter(show=show, pk=attachment_id).first()
    if attachment is None:
        raise Http404("Pièce jointe introuvable.")
    if show.frozen_at is not None and not details_for(show).correcting:
        messages.error(request, "Une pièce jointe déjà transmise ne peut plus être retirée.")
    else:
        attachment.file.delete(save=False)
        attachment.delete()
        messages.success(request, "La pièce jointe est retirée.")
    return redirect(_form_url(request, show) + "#pieces-jointes")
