"""`manage.py bench_declaration [--performances 500]`: builds a show with that many
performances in a throw-away organisation, then prints the form page's SQL queries and time,
and the time and peak memory of building its SACEM PDF and SACD XML. Figures, not assertions."""

import resource
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation, Role, User
from declarations.building import details_for, snapshot_build
from declarations.documents import sacem_pdf
from declarations.sacd_xml import sacd_xml
from ticketing.models import Performance, Show, TicketingSystem

BENCH_SIREN = "000000019"
BENCH_EMAIL = "banc-essai-declaration@assistant-declaration.local"


class Command(BaseCommand):
    help = "Mesure le formulaire, le PDF SACEM et le XML SACD d'un spectacle à N représentations."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--performances", type=int, default=500)

    def handle(self, *args, **options) -> None:
        count = options["performances"]
        organisation, user, show = self._show(count)
        try:
            self._measure(organisation, user, show, count)
        finally:
            Show.objects.filter(organisation=organisation).delete()
            TicketingSystem.objects.filter(organisation=organisation).delete()
            organisation.delete()
            user.delete()

    def _measure(self, organisation, user, show, count: int) -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        url = reverse("declarations:form", args=[organisation.pk, show.pk])
        client.get(url)  # templates compiled, details created
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            page_seconds = time.perf_counter() - started
        details = details_for(show)
        snapshot = snapshot_build(
            show,
            details,
            list(show.performances.all()),
            declarant_name="Banc d'essai",
            declarant_email=BENCH_EMAIL,
        )
        pdf_seconds, pdf_peak, pdf = _measured(lambda: sacem_pdf(snapshot))
        xml_seconds, xml_peak, xml = _measured(lambda: sacd_xml(snapshot))
        snapshot_seconds, _, _ = _measured(
            lambda: snapshot_build(
                show,
                details,
                list(show.performances.all()),
                declarant_name="Banc d'essai",
                declarant_email=BENCH_EMAIL,
            )
        )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(f"Spectacle de {count} représentations")
        self.stdout.write(
            f"| mesure | durée (s) | pic mémoire Python (Mo) | taille |\n|---|---|---|---|\n"
            f"| page du formulaire ({len(queries)} requêtes SQL, HTTP {response.status_code}) "
            f"| {page_seconds:.2f} | – | {len(response.content) / 1e6:.1f} Mo |\n"
            f"| instantané (lecture en base) | {snapshot_seconds:.2f} | – | – |\n"
            f"| PDF SACEM | {pdf_seconds:.2f} | {pdf_peak:.0f} | {len(pdf) / 1e3:.0f} ko |\n"
            f"| XML SACD | {xml_seconds:.2f} | {xml_peak:.0f} | {len(xml) / 1e3:.0f} ko |"
        )
        self.stdout.write(f"Mémoire maximale du processus : {rss:.0f} Mo")

    def _show(self, count: int):
        Organisation.objects.filter(siren=BENCH_SIREN).delete()
        User.objects.filter(email=BENCH_EMAIL).delete()
        now = timezone.now()
        user = User.objects.create_user(
            email=BENCH_EMAIL,
            password=None,
            first_name="Banc",
            last_name="d'essai",
            is_active=True,
            email_confirmed_at=now,
            terms_accepted_at=now,
        )
        organisation = Organisation.objects.create(
            name="Banc d'essai déclaration",
            siren=BENCH_SIREN,
            head_office_siret="00000001900011",
            street="1 rue du Banc",
            postal_code="69001",
            city="Lyon",
            sacem_id="1",
            sacd_id="1234567",
        )
        Membership.objects.create(organisation=organisation, user=user, role=Role.OWNER)
        system = TicketingSystem.objects.create(organisation=organisation, provider="manual")
        first = datetime(2026, 1, 1, 20, 30, tzinfo=ZoneInfo("Europe/Paris"))
        show = Show.objects.create(
            ticketing_system=system,
            organisation=organisation,
            external_id="bench",
            name="Banc d'essai",
            first_starts_at=first,
            last_ends_at=first + timedelta(days=count),
        )
        Performance.objects.bulk_create(
            Performance(
                show=show,
                external_id=str(index),
                starts_at=first + timedelta(days=index),
                revenue_excl_vat=Decimal("1137.44"),
                revenue_incl_vat=Decimal("1200.00"),
                vat_rate=Decimal("0.055"),
                paid_tickets=96,
                free_tickets=4,
            )
            for index in range(count)
        )
        details = details_for(show)
        details.organisms = ["sacem", "sacd", "sibil", "cnm"]
        details.performance_type = "theatre"
        details.venue_name, details.venue_street = "Salle du banc", "1 rue du Banc"
        details.venue_postal_code, details.venue_city = "69001", "Lyon"
        details.venue_type, details.capacity = "THEATRE", 120
        details.save()
        return organisation, user, show


def _measured(action: Callable[[], object]) -> tuple[float, float, object]:
    """Time of a plain run, then the Python memory peak of a second, traced run (tracing
    slows the run down several times, so it is not timed)."""
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 1e6, result
