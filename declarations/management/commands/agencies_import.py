from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from declarations.agencies import (
    AGENCY_KINDS,
    AgencyImportError,
    agencies_import,
    csv_text,
    sample_path,
)


class Command(BaseCommand):
    help = (
        "Remplace la liste des délégations SACEM ou SACD par celle d'un fichier CSV (colonnes "
        "LOCAL, CP, Mail pour la SACEM ; Département, mail et le nom si présent pour la SACD). "
        "Les délégations absentes du fichier sont supprimées ; en cas d'erreur rien ne change."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=AGENCY_KINDS, help="sacem ou sacd")
        parser.add_argument("file", nargs="?", type=Path, help="fichier CSV à importer")
        parser.add_argument(
            "--sample",
            action="store_true",
            help="importe la liste fictive fournie pour la démonstration",
        )

    def handle(self, *args, kind: str, file: Path | None, sample: bool, **options) -> None:
        if sample == (file is not None):
            raise CommandError("Indiquez soit un fichier CSV, soit --sample.")
        path = sample_path(kind) if sample else file
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Impossible de lire {path} : {error.strerror}.") from error
        try:
            report = agencies_import(kind, csv_text(data))
        except AgencyImportError as error:
            raise CommandError(error.message) from error
        self.stdout.write(report.summary)
        for warning in report.warnings:
            self.stderr.write(f"Attention : {warning}")
