from django.core.management.base import BaseCommand
from django.db import transaction

from ticketing.credentials import credentials_rotate
from ticketing.models import TicketingSystem


class Command(BaseCommand):
    help = (
        "Chiffre à nouveau les identifiants de billetterie avec la première clé de "
        "TICKETING_CREDENTIALS_KEYS (après l'ajout d'une clé). Les anciennes clés peuvent "
        "ensuite être retirées."
    )

    def handle(self, *args, **options) -> None:
        count = 0
        with transaction.atomic():
            for system in (
                TicketingSystem.objects.select_for_update()
                .exclude(credentials_encrypted="")
                .iterator()
            ):
                system.credentials_encrypted = credentials_rotate(system.credentials_encrypted)
                system.save(update_fields=["credentials_encrypted"])
                count += 1
        self.stdout.write(f"{count} billetterie(s) chiffrée(s) avec la clé la plus récente.")
