from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import demo
from accounts.models import Membership, Organisation, Role, User


class Command(BaseCommand):
    help = (
        "Prepares the demo of `make run` in one process: migrations, schedules, demo accounts "
        "(created, or reset to the demo password) and the demo organisation. Never run in "
        "production."
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
        users = {}
        with transaction.atomic():
            for email, first, last, staff in [
                (demo.DEMO_EMAIL, "Camille", "Démo", False),
                (demo.ADMIN_EMAIL, "Alex", "Admin", True),
                (demo.COLLEAGUE_EMAIL, "Sacha", "Collègue", False),
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
                if not user.check_password(demo.DEMO_PASSWORD):
                    user.set_password(demo.DEMO_PASSWORD)
                    user.save(update_fields=["password"])
                users[email] = user
            self._organisation(users)
        self.stdout.write(
            f"Comptes de démonstration prêts : {demo.DEMO_EMAIL} (propriétaire de "
            f"« {demo.DEMO_ORGANISATION_NAME} »), {demo.COLLEAGUE_EMAIL} (membre) et "
            f"{demo.ADMIN_EMAIL}."
        )

    def _organisation(self, users: dict[str, User]) -> None:
        """The demo organisation, reset to its demo state (no e-mail is sent)."""
        fields = {
            "name": demo.DEMO_ORGANISATION_NAME,
            "head_office_siret": demo.DEMO_ORGANISATION_SIRET,
            "street": demo.DEMO_ORGANISATION_STREET,
            "postal_code": demo.DEMO_ORGANISATION_POSTAL_CODE,
            "city": demo.DEMO_ORGANISATION_CITY,
            "sacem_id": demo.DEMO_ORGANISATION_SACEM_ID,
            "sacd_id": demo.DEMO_ORGANISATION_SACD_ID,
            "needs_review": False,
            "review_reasons": "",
        }
        organisation, _ = Organisation.objects.update_or_create(
            siren=demo.DEMO_ORGANISATION_SIREN,
            defaults=fields,
            create_defaults={**fields, "created_by": users[demo.DEMO_EMAIL]},
        )
        for email, role in [(demo.DEMO_EMAIL, Role.OWNER), (demo.COLLEAGUE_EMAIL, Role.MEMBER)]:
            Membership.objects.update_or_create(
                organisation=organisation, user=users[email], defaults={"role": role}
            )
