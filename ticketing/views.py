"""Ticketing systems of an organisation: list with sync status, connect, credentials,
disconnect, and the "Synchroniser" button."""

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import ALL_METHODS, organisation_view
from ticketing import systems
from ticketing.forms import CredentialsForm, ProviderChoiceForm
from ticketing.models import SyncRun, TicketingSystem
from ticketing.providers import PROVIDERS
from ticketing.sync import ACTIVE, release_if_dead, sync_request


def _systems_with_last_run(organisation):
    last_run = SyncRun.objects.filter(ticketing_system=OuterRef("pk")).order_by("-queued_at", "-pk")
    connected = systems.connected_systems(organisation).annotate(
        last_run_id=Subquery(last_run.values("pk")[:1])
    )
    connected = list(connected.order_by("created_at", "pk"))
    runs = SyncRun.objects.in_bulk([s.last_run_id for s in connected if s.last_run_id])
    for system in connected:
        system.last_run = runs.get(system.last_run_id)
    return connected


def _status_context(request: HttpRequest) -> dict:
    connected = _systems_with_last_run(request.organisation)
    for system in connected:  # a run left "running" by a dead worker shows as failed
        if system.last_run and system.last_run.status == SyncRun.Status.RUNNING:
            release_if_dead(system.last_run)
    return {
        "organisation": request.organisation,
        "systems": connected,
        "any_active": any(s.last_run and s.last_run.status in ACTIVE for s in connected),
        "is_owner": request.membership.is_owner,
        "providers": PROVIDERS,
    }


@organisation_view()
def system_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ticketing/list.html",
        {"title": "Billetteries connectées", **_status_context(request)},
    )


@organisation_view()
def system_status(request: HttpRequest) -> HttpResponse:
    """The status table alone, polled by static/js/live_status.js while a sync runs."""
    return render(request, "ticketing/_status.html", _status_context(request))


def _system(request: HttpRequest, system_id: int) -> TicketingSystem:
    system = systems.connected_systems(request.organisation).filter(pk=system_id).first()
    if system is None:
        raise Http404("Billetterie introuvable.")
    return system


@organisation_view(owner_methods=ALL_METHODS)
def system_connect(request: HttpRequest) -> HttpResponse:
    provider = request.GET.get("provider") or request.POST.get("provider")
    if provider not in PROVIDERS:
        choice = ProviderChoiceForm(request.GET if "provider" in request.GET else None)
        return render(
            request,
            "ticketing/connect_choose.html",
            {
                "title": "Connecter une billetterie",
                "form": choice,
                "organisation": request.organisation,
            },
        )
    form = CredentialsForm(provider, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            system = systems.system_connect(
                organisation=request.organisation, provider=provider, credentials=form.credentials()
            )
        except systems.SystemRuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"{system.get_provider_display()} est connecté. La première synchronisation "
                "(13 mois d'historique) a commencé : elle peut prendre quelques minutes.",
            )
            return redirect("ticketing:list", organisation_id=request.organisation.pk)
    return render(
        request,
        "ticketing/connect_form.html",
        {
            "title": f"Connecter {PROVIDERS[provider].name}",
            "form": form,
            "provider": provider,
            "info": PROVIDERS[provider],
            "organisation": request.organisation,
        },
    )


@organisation_view(owner_methods=ALL_METHODS)
def system_credentials(request: HttpRequest, system_id: int) -> HttpResponse:
    system = _system(request, system_id)
    form = CredentialsForm(system.provider, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            systems.system_update_credentials(system=system, credentials=form.credentials())
        except systems.SystemRuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Les nouveaux identifiants sont enregistrés.")
            return redirect("ticketing:list", organisation_id=request.organisation.pk)
    return render(
        request,
        "ticketing/credentials.html",
        {
            "title": f"Identifiants {system.get_provider_display()}",
            "form": form,
            "system": system,
            "provider": system.provider,
            "info": PROVIDERS[system.provider],
            "organisation": request.organisation,
        },
    )


@organisation_view(owner_methods=ALL_METHODS)
def system_disconnect(request: HttpRequest, system_id: int) -> HttpResponse:
    system = _system(request, system_id)
    if request.method == "POST":
        systems.system_disconnect(system=system)
        messages.success(
            request,
            f"{system.get_provider_display()} est déconnecté ; ses identifiants sont effacés. "
            "Les spectacles déjà synchronisés restent disponibles.",
        )
        return redirect("ticketing:list", organisation_id=request.organisation.pk)
    return render(
        request,
        "ticketing/disconnect.html",
        {
            "title": "Déconnecter une billetterie",
            "system": system,
            "organisation": request.organisation,
        },
    )


@organisation_view()
@require_POST
def system_sync(request: HttpRequest, system_id: int) -> HttpResponse:
    system = _system(request, system_id)
    _, created = sync_request(system=system, trigger="user")
    if created:
        messages.success(
            request, f"La synchronisation de {system.get_provider_display()} a commencé."
        )
    else:
        messages.info(request, "Une synchronisation de cette billetterie est déjà en cours.")
    return redirect("ticketing:list", organisation_id=request.organisation.pk)
