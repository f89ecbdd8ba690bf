"""Dashboard, organisation creation and settings, organisation home."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import organisations
from accounts.company_directory import DirectoryUnavailable, company_search
from accounts.identifiers import digits_only
from accounts.models import Invitation, Membership, Organisation
from accounts.organisation_forms import (
    CompanySearchForm,
    OrganisationCreateForm,
    OrganisationSettingsForm,
)
from accounts.permissions import organisation_view
from accounts.teams import invitation_token
from ticketing import shows


def _home_url(organisation_id: int) -> str:
    return reverse("organisations:home", kwargs={"organisation_id": organisation_id})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """With one organisation, its home; otherwise the list (or the welcome page) with the
    invitations waiting for this user."""
    memberships = list(
        Membership.objects.filter(user=request.user)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    # The signed-in user proved this address: their invitations open from here too.
    invitations = [
        (invitation, reverse("organisations:invitation", args=[invitation_token(invitation)]))
        for invitation in Invitation.objects.pending()
        .filter(email__iexact=request.user.email, expires_at__gt=timezone.now())
        .select_related("organisation")
    ]
    if len(memberships) == 1 and not invitations:
        return redirect(_home_url(memberships[0].organisation_id))
    return render(
        request,
        "organisations/dashboard.html",
        {
            "title": "Tableau de bord" if memberships else "Bienvenue sur Assistant déclaration",
            "memberships": memberships,
            "invitations": invitations,
        },
    )


@login_required
def organisation_search(request: HttpRequest) -> HttpResponse:
    """Step 1 of the creation: find the organisation in the company directory (plain GET form)."""
    form = CompanySearchForm(request.GET if "q" in request.GET else None)
    companies, directory_down = [], False
    if form.is_bound and form.is_valid():
        try:
            companies = company_search(form.cleaned_data["q"])
        except DirectoryUnavailable:
            directory_down = True
    taken = (
        set(
            Organisation.objects.filter(siren__in=[c.siren for c in companies]).values_list(
                "siren", flat=True
            )
        )
        if companies
        else set()
    )
    partial = request.GET.get("partial") == "1"
    return render(
        request,
        "organisations/_search_results.html" if partial else "organisations/search.html",
        {
            "title": "Créer une organisation",
            "form": form,
            "companies": [(company, company.siren in taken) for company in companies],
            "searched": form.is_bound and form.is_valid(),
            "directory_down": directory_down,
        },
    )


def _exists_page(request: HttpRequest, siren: str) -> HttpResponse:
    return render(
        request,
        "organisations/exists.html",
        {"title": "Cette organisation est déjà inscrite", "siren": siren},
        status=409,
    )


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    """Step 2: check and complete the details (pre-filled from the directory, or typed by hand)."""
    draft = None
    if request.method == "POST":
        form = OrganisationCreateForm(request.POST)
        if form.is_valid():
            try:
                organisation = organisations.organisation_create(
                    user=request.user, **form.cleaned_data
                )
            except organisations.OrganisationExists as exists:
                return _exists_page(request, exists.siren)
            messages.success(request, f"L'organisation « {organisation.name} » est créée.")
            return redirect(_home_url(organisation.pk))
    else:
        siret = digits_only(request.GET.get("siret", ""))[:14]
        initial = {}
        if siret:
            if organisations.siren_taken(siret[:9]):
                return _exists_page(request, siret[:9])
            draft = organisations.company_draft(siret)
            initial = {"siret": siret, "siren": siret[:9]}
            if draft.company and not draft.company.non_diffusible:
                initial["name"] = draft.company.name
            initial.update(
                street=draft.address.street,
                postal_code=draft.address.postal_code,
                city=draft.address.city,
            )
        form = OrganisationCreateForm(initial=initial)
    return render(
        request,
        "organisations/create.html",
        {"title": "Créer une organisation", "form": form, "draft": draft},
    )


@login_required
@require_POST
def access_request(request: HttpRequest) -> HttpResponse:
    siren = digits_only(request.POST.get("siren", ""))[:9]
    organisations.access_request(user=request.user, siren=siren)
    messages.success(
        request,
        "Votre demande a été transmise aux propriétaires de l'organisation. Ils vous enverront "
        "une invitation par e-mail.",
    )
    return redirect("pages:dashboard")


@organisation_view()
def organisation_home(request: HttpRequest) -> HttpResponse:
    """The organisation's shows, filtered, with the state of the ticketing sync."""
    organisation = request.organisation
    filter_key = request.GET.get("filtre", shows.DEFAULT_FILTER)
    if filter_key not in {f.key for f in shows.FILTERS}:
        filter_key = shows.DEFAULT_FILTER
    page = Paginator(shows.shows_listed(organisation, filter_key), 50).get_page(
        request.GET.get("page")
    )
    last_sync, has_systems = shows.last_successful_sync(organisation)
    return render(
        request,
        "organisations/home.html",
        {
            "title": organisation.name,
            "organisation": organisation,
            "membership": request.membership,
            "filters": shows.FILTERS,
            "filter_key": filter_key,
            "page": page,
            "alert_count": shows.alert_count(organisation),
            "has_systems": has_systems,
            "last_sync": last_sync,
            "now": timezone.now(),
        },
    )


@organisation_view(owner_methods=["POST"])
def organisation_settings(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    read_only = not request.membership.is_owner
    form = OrganisationSettingsForm(
        request.POST or None, instance=organisation, read_only=read_only
    )
    if request.method == "POST" and form.is_valid():
        organisations.organisation_update(organisation=organisation, **form.cleaned_data)
        messages.success(request, "Les paramètres de l'organisation sont enregistrés.")
        return redirect("organisations:settings", organisation_id=organisation.pk)
    if request.method == "POST":
        organisation.refresh_from_db()  # the form wrote the rejected values on the instance
    return render(
        request,
        "organisations/settings.html",
        {
            "title": "Paramètres de l'organisation",
            "organisation": organisation,
            "form": form,
            "read_only": read_only,
        },
    )
