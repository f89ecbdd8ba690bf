"""Adding, editing and deleting shows typed in by hand."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.permissions import organisation_view
from ticketing import manual
from ticketing.forms import ManualShowForm, PerformanceFormSet
from ticketing.models import Provider, Show


def _performances(formset) -> list[manual.PerformanceInput]:
    return [
        manual.PerformanceInput(
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data.get("ends_at"),
            performance_id=form.cleaned_data.get("performance_id"),
        )
        for form in formset.forms
        if form.cleaned_data.get("starts_at")
    ]


def _home(request: HttpRequest) -> HttpResponse:
    return redirect("organisations:home", organisation_id=request.organisation.pk)


def _page(request, template: str, title: str, **context) -> HttpResponse:
    return render(
        request, template, {"title": title, "organisation": request.organisation, **context}
    )


@organisation_view()
def manual_show_add(request: HttpRequest) -> HttpResponse:
    form = ManualShowForm(request.POST or None)
    formset = PerformanceFormSet(request.POST or None, prefix="representations")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        show = manual.manual_show_create(
            organisation=request.organisation,
            name=form.cleaned_data["name"],
            performances=_performances(formset),
        )
        messages.success(request, f"Le spectacle « {show.name} » est ajouté.")
        return _home(request)
    return _page(
        request, "ticketing/manual_show.html", "Ajouter un spectacle", form=form, formset=formset
    )


def _manual_show(request: HttpRequest, show_id: int) -> Show:
    show = Show.objects.filter(
        organisation=request.organisation, pk=show_id, ticketing_system__provider=Provider.MANUAL
    ).first()
    if show is None:
        raise Http404("Spectacle introuvable.")
    return show


@organisation_view()
def manual_show_edit(request: HttpRequest, show_id: int) -> HttpResponse:
    show = _manual_show(request, show_id)
    initial = [
        {"performance_id": p.pk, "starts_at": p.starts_at, "ends_at": p.ends_at}
        for p in show.performances.all()
    ]
    form = ManualShowForm(request.POST or None, initial={"name": show.name})
    formset = PerformanceFormSet(request.POST or None, initial=initial, prefix="representations")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            manual.manual_show_update(
                organisation=request.organisation,
                show_id=show.pk,
                name=form.cleaned_data["name"],
                performances=_performances(formset),
            )
        except manual.ManualShowError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Le spectacle est modifié.")
        return _home(request)
    return _page(
        request,
        "ticketing/manual_show.html",
        "Modifier un spectacle",
        form=form,
        formset=formset,
        show=show,
    )


@organisation_view()
def manual_show_delete(request: HttpRequest, show_id: int) -> HttpResponse:
    show = _manual_show(request, show_id)
    if request.method == "POST":
        try:
            manual.manual_show_delete(organisation=request.organisation, show_id=show.pk)
        except manual.ManualShowError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Le spectacle « {show.name} » est supprimé.")
        return _home(request)
    return _page(request, "ticketing/manual_show_delete.html", "Supprimer un spectacle", show=show)
