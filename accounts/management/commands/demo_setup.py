from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.demo import ADMIN_EMAIL, DEMO_EMAIL, DEMO_PASSWORD
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Prepares the demo of `make run` in one process: migrations, schedules, demo accounts "
        "(created, or reset to the demo password). Never run in production."
    )

    def handle(self, *args, **options) -> None:
        from django.conf import settings

        if settings.IS_PRODUCTION:
            raise CommandError(
                "Refusé : les comptes de démonstration n'existent pas en production."
            )
        call_command("migrate", interactive=False, verbosity=0)
        call_command("setup_schedules", stdout=StringIO())
        now = timezone.now()
        for email, first, last, staff in [
            (DEMO_EMAIL, "Camille", "Démo", False),
            (ADMIN_EMAIL, "Alex", "Admin", True),
        ]:
            user, _ = User.objects.update_or_create(
                email=email,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "is_active": True,
                    "is_staff": staff,
                    "is_superuser": staff,
                    "email_confirmed_at": now,
                    "terms_accepted_at": now,
                    "terms_version": settings.TERMS_VERSION,
                },
            )
            if not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
        self.stdout.write(f"Comptes de démonstration prêts : {DEMO_EMAIL} et {ADMIN_EMAIL}.")
