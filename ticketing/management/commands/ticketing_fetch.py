"""Support tool: runs one connector against given credentials, writes nothing, prints JSON."""

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ticketing.connectors import MODULES, open_connector
from ticketing.connectors.base import ConnectorError, Credentials, Figures
from ticketing.credentials import credentials_fingerprint
from ticketing.rate_budget import throttle_for
from ticketing.sync import FIRST_SYNC_WINDOW


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class Command(BaseCommand):
    help = (
        "Lit les spectacles d'une billetterie comme le ferait la synchronisation, sans rien "
        "enregistrer, et les affiche en JSON avec le nombre de requêtes faites."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--provider", required=True, choices=sorted(MODULES))
        parser.add_argument("--access-key", default="")
        parser.add_argument("--secret-key", required=True)
        parser.add_argument("--base-url", help="Adresse de l'API (par exemple un bac à sable).")
        parser.add_argument(
            "--since",
            help="Date ISO de début (par défaut : il y a 13 mois, comme une première synchronisation).",
        )

    def handle(self, *args, **options) -> None:
        credentials = Credentials(options["access_key"], options["secret_key"])
        since = (
            datetime.fromisoformat(options["since"])
            if options["since"]
            else timezone.now() - FIRST_SYNC_WINDOW
        )
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        provider = options["provider"]
        throttle = throttle_for(provider, credentials_fingerprint(provider, credentials))
        connector, client = open_connector(
            provider, credentials, base_url_override=options["base_url"], throttle=throttle
        )
        shows = []
        try:
            connector.check_credentials()
            for show in connector.shows_changed_since(since):
                shows.append(_show_json(show))
        except ConnectorError as error:
            raise CommandError(f"{error.message} ({client.requests_made} requêtes)") from error
        finally:
            client.close()
        self.stdout.write(
            json.dumps(
                {
                    "provider": provider,
                    "since": since.isoformat(),
                    "requests_made": client.requests_made,
                    "shows": shows,
                },
                ensure_ascii=False,
                indent=2,
            )
        )


def _show_json(show) -> dict:
    """Figures per performance: the connector's, or computed from the tickets it yielded (in
    ledger mode, a first-sync window yields every ticket, so the figures are complete)."""
    by_performance: dict[str, list] = {}
    for ticket in show.tickets or ():
        by_performance.setdefault(ticket.performance_external_id, []).append(
            (ticket.price_incl_vat, ticket.vat_rate, ticket.cancelled)
        )
    return {
        "id": show.external_id,
        "name": show.name,
        "warnings": list(show.warnings),
        "performances": [
            {
                "id": p.external_id,
                "start": _iso(p.starts_at),
                "end": _iso(p.ends_at),
                **(
                    {
                        "revenue_incl_vat": str(p.figures.revenue_incl_vat),
                        "revenue_excl_vat": str(p.figures.revenue_excl_vat),
                        "vat_rate": str(p.figures.vat_rate)
                        if p.figures.vat_rate is not None
                        else None,
                        "free_tickets": p.figures.free_tickets,
                        "paid_tickets": p.figures.paid_tickets,
                    }
                    if p.figures
                    else {}
                ),
            }
            for p in show.performances
        ],
        "tickets_changed": len(show.tickets) if show.tickets is not None else None,
    }


def _figures_json(figures: Figures) -> dict:
    return {
        "revenue_incl_vat": str(figures.revenue_incl_vat),
        "revenue_excl_vat": str(figures.revenue_excl_vat),
        "vat_rate": str(figures.vat_rate) if figures.vat_rate is not None else None,
        "free_tickets": figures.free_tickets,
        "paid_tickets": figures.paid_tickets,
    }
