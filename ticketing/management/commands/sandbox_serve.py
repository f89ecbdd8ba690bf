from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ticketing.sandbox.accounts import register_demo_accounts
from ticketing.sandbox.server import SandboxServer


class Command(BaseCommand):
    requires_system_checks = []
    help = (
        "Sert les fausses API externes (annuaire des entreprises sous /recherche-entreprises, "
        "base adresse nationale sous /geoplateforme) sur 127.0.0.1, pour la démonstration. "
        "Pour simuler une panne : "
        "curl -X POST http://127.0.0.1:8001/_faults/<service>/<panne>, "
        "où <service> vaut company_directory ou address_base et <panne> timeout, "
        "server_error, unavailable, malformed ou rate_limited ; "
        "curl http://127.0.0.1:8001/_faults liste les pannes actives ; "
        "curl -X DELETE http://127.0.0.1:8001/_faults rétablit tout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port",
            type=int,
            default=getattr(settings, "SANDBOX_PORT", 8001),
            help="port d'écoute (par défaut SANDBOX_PORT, sinon 8001)",
        )

    def handle(self, *args: object, port: int, **options: object) -> None:
        if getattr(settings, "IS_PRODUCTION", False):
            raise CommandError(
                "Les fausses API ne servent qu'en développement et en démonstration."
            )
        register_demo_accounts()
        try:
            server = SandboxServer(port=port)
        except OSError as error:
            raise CommandError(f"Impossible d'écouter sur le port {port} : {error}") from error
        self.stdout.write(f"Fausses API sur {server.url} (Ctrl+C pour arrêter).")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
