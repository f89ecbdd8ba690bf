"""The organisation's SIBIL account, and the quarterly SIBIL data set for declaring by hand."""

from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header

from accounts.permissions import organisation_view
from declarations import services
from declarations.building import details_for, snapshot_build
from declarations.clients.sibil import SibilClient, SibilError
from declarations.forms import SibilAccountForm
from declarations.models import SibilAccount
from declarations.sibil import sibil_deadline, sibil_quarter, sibil_quarter_csv
from ticketing.models import Show


@organisation_view(owner_methods=("POST",))
def sibil_settings(request: HttpRequest) -> HttpResponse:
    """Owners change the technical account, tested against SIBIL before it is saved."""
    account = SibilAccount.objects.filter(organisation=request.organisation).first()
    form = SibilAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username, password = form.cleaned_data["username"], form.cleaned_data["password"]
        try:
            with SibilClient.for_account(username, password) as client:
                client.authenticate()
                client.venue_types()
        except SibilError as error:
            form.add_error(None, error.message)
        else:
            services.sibil_account_save(request.organisation, username, password)
            messages.success(request, "Les identifiants SIBIL sont vérifiés et enregistrés.")
            return redirect("declarations:sibil_settings", organisation_id=request.organisation.pk)
    today = timezone.localdate()
    quarters = _recent_quarters(today)
    return render(
        request,
        "declarations/sibil_settings.html",
        {
            "title": "SIBIL",
            "organisation": request.organisation,
            "membership": request.membership,
            "account": account,
            "form": form,
            "quarters": quarters,
        },
    )


def _recent_quarters(today: date) -> list[dict]:
    quarters = []
    day = today
    for _ in range(4):
        start, end = sibil_quarter(day)
        quarters.append(
            {
                "start": start,
                "end": end,
                "label": f"{(start.month - 1) // 3 + 1}e trimestre {start.year}",
                "number": (start.month - 1) // 3 + 1,
                "deadline": sibil_deadline(end),
            }
        )
        day = start.replace(day=1) - timedelta(days=1)
    return quarters


@organisation_view()
def sibil_quarter_download(request: HttpRequest, year: int, quarter: int) -> HttpResponse:
    if not 1 <= quarter <= 4 or not 2000 <= year <= 2100:
        raise Http404("Trimestre introuvable.")
    start, end = sibil_quarter(date(year, 3 * quarter - 2, 1))
    shows = (
        Show.objects.filter(
            organisation=request.organisation,
            performances__starts_at__date__gte=start,
            performances__starts_at__date__lt=end,
        )
        .distinct()
        .select_related("organisation", "details")
        .prefetch_related("performances")
    )
    snapshots = [
        snapshot_build(
            show,
            details_for(show),
            list(show.performances.all()),
            declarant_name=request.user.get_full_name(),
            declarant_email=request.user.email,
        )
        for show in shows
    ]
    response = HttpResponse(
        sibil_quarter_csv(snapshots, start, end).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"SIBIL {year} T{quarter} - {request.organisation.name}.csv"
    )
    return response
