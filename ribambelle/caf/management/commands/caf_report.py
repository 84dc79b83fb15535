"""`manage.py caf_report --organisation SLUG --from 2026-01-01 --to 2026-12-31 --format xlsx`:
the CAF activity report of an organisation (or one structure) as a file, for a script or a cron."""

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django_scopes import scope

from ribambelle.caf import exports, selectors
from ribambelle.tenancy.models import Organisation, Structure


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Date invalide : {text} (attendu AAAA-MM-JJ).") from None


class Command(BaseCommand):
    help = "Écrit le bilan d'activité CAF (heures réalisées et facturées) en CSV ou XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="identifiant (slug) de l'organisation")
        parser.add_argument("--from", dest="date_from", required=True, help="premier jour, AAAA-MM-JJ")
        parser.add_argument("--to", dest="date_to", required=True, help="dernier jour, AAAA-MM-JJ")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--structure", type=int, help="numéro d'une structure (par défaut : toutes)")
        parser.add_argument("--output", help="fichier à écrire (par défaut : la sortie standard)")

    def handle(self, *args, **options):
        start, end = _date(options["date_from"]), _date(options["date_to"])
        if end < start:
            raise CommandError("La date de fin doit suivre la date de début.")
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"Organisation inconnue : {options['organisation']}")
        with translation.override("fr"), scope(organisation=organisation):
            structure = None
            if options["structure"]:
                structure = Structure.objects.filter(organisation=organisation, pk=options["structure"]).first()
                if structure is None:
                    raise CommandError(f"Structure inconnue : {options['structure']}")
            report = selectors.build_report(organisation, start=start, end=end, structure=structure)
            if options["format"] == "xlsx":
                content = exports.xlsx_bytes(report)
            else:
                content = exports.report_csv(report).content
        if options["output"]:
            with open(options["output"], "wb") as target:
                target.write(content)
            self.stderr.write(f"{len(report.rows)} lignes écrites dans {options['output']}")
        else:
            sys.stdout.buffer.write(content)
        for warning in report.warnings:
            self.stderr.write(f"Attention : {warning.message} ({len(warning.items)})")
