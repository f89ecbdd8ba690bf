"""`manage.py demo_declarations` (run by `make run`): the fictional SACEM and SACD delegations,
and the demo organisation's SIBIL technical account on the SIBIL sandbox."""

from django.core.management.base import BaseCommand

from accounts import demo
from accounts.models import Organisation
from declarations.agencies import AGENCY_KINDS, agencies_import, sample_path
from declarations.services import sibil_account_save
from ticketing.sandbox import sibil


class Command(BaseCommand):
    help = "Prépare les déclarations de la démonstration (délégations fictives, compte SIBIL)."

    def handle(self, *args, **options) -> None:
        for kind in AGENCY_KINDS:
            report = agencies_import(kind, sample_path(kind).read_text(encoding="utf-8"))
            self.stdout.write(report.summary)
        organisation = Organisation.objects.filter(siren=demo.DEMO_ORGANISATION_SIREN).first()
        if organisation is not None:
            sibil_account_save(organisation, sibil.DEMO_USERNAME, sibil.DEMO_PASSWORD)
            self.stdout.write(f"Compte SIBIL de démonstration : {sibil.DEMO_USERNAME}")
