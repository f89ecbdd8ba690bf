"""`make run`: connects the demo organisation to the Billetweb sandbox and syncs it, so the
demo starts with shows. Needs the loopback sandbox (`sandbox_serve`) to be up."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import demo
from accounts.models import Organisation
from ticketing.credentials import credentials_encrypt, credentials_fingerprint
from ticketing.models import SyncRun, TicketingSystem
from ticketing.sandbox.billetweb import DEMO_CREDENTIALS
from ticketing.sync import sync_execute


class Command(BaseCommand):
    help = "Connecte l'organisation de démonstration à la fausse API Billetweb et la synchronise."

    def handle(self, *args, **options) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("Refusé : la démonstration n'existe pas en production.")
        organisation = Organisation.objects.filter(siren=demo.DEMO_ORGANISATION_SIREN).first()
        if organisation is None:
            raise CommandError("Lancez d'abord manage.py demo_setup.")
        fingerprint = credentials_fingerprint("billetweb", DEMO_CREDENTIALS)
        system, _ = TicketingSystem.objects.get_or_create(
            organisation=organisation,
            provider="billetweb",
            credentials_fingerprint=fingerprint,
            disconnected_at=None,
            defaults={"credentials_encrypted": credentials_encrypt(DEMO_CREDENTIALS)},
        )
        run = sync_execute(SyncRun.objects.create(ticketing_system=system, trigger="demo").pk)
        if run.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"La synchronisation de démonstration a échoué : {run.error}")
        self.stdout.write(
            f"Billetweb (démonstration) : {run.shows_added} spectacle(s) ajouté(s), "
            f"{run.shows_updated} mis à jour, {run.requests_made} requête(s)."
        )
