from django.core.management.base import BaseCommand
from django.db import transaction

from declarations.models import SibilAccount
from ticketing.credentials import credentials_rotate
from ticketing.models import TicketingSystem


class Command(BaseCommand):
    help = (
        "Chiffre à nouveau les identifiants de billetterie et les comptes SIBIL avec la première clé de "
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
            # The organisations' SIBIL accounts are encrypted with the same keys.
            sibil = 0
            for account in SibilAccount.objects.select_for_update().iterator():
                account.credentials_encrypted = credentials_rotate(account.credentials_encrypted)
                account.save(update_fields=["credentials_encrypted"])
                sibil += 1
        self.stdout.write(f"{count} billetterie(s) chiffrée(s) avec la clé la plus récente.")
        self.stdout.write(f"{sibil} compte(s) SIBIL chiffré(s) avec la clé la plus récente.")
