"""manage.py export_pes --organisation SLUG --run ID --output FILE [--budget CODBUD]

Generate the run's PES rôle (the same service as the back office: refused on blocking
problems or when the run already has one) and copy the stored file to FILE."""

import shutil

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from ribambelle.billing.models import InvoiceRun
from ribambelle.core.exceptions import DomainError
from ribambelle.helios import services
from ribambelle.helios.selectors import settings_for_organisation
from ribambelle.tenancy.models import Organisation


class Command(BaseCommand):
    help = "Génère le fichier PES V2 (rôle ORMC) d'une facturation émise."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="identifiant (slug) de la collectivité")
        parser.add_argument("--run", required=True, type=int, help="numéro de la facturation")
        parser.add_argument("--output", required=True, help="fichier à écrire")
        parser.add_argument("--budget", default="", help="code budget (CodBud) si la collectivité en a plusieurs")

    def handle(self, *args, organisation, run, output, budget, **options):
        org = Organisation.objects.filter(slug=organisation).first()
        if org is None:
            raise CommandError(f"Collectivité inconnue : {organisation}")
        with scope(organisation=org):
            invoice_run = InvoiceRun.objects.filter(organisation=org, pk=run).first()
            if invoice_run is None:
                raise CommandError(f"Facturation inconnue dans {organisation} : {run}")
            candidates = settings_for_organisation(org)
            if budget:
                candidates = candidates.filter(cod_bud=budget.upper())
            settings = candidates.first()
            if settings is None:
                raise CommandError("Renseignez d'abord les réglages Hélios de la collectivité.")
            try:
                roll = services.export_pes(run=invoice_run, settings=settings, acting_user=None)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            with roll.file.open("rb") as source, open(output, "wb") as target:
                shutil.copyfileobj(source, target)
        self.stdout.write(
            f"Rôle {roll.number}/{roll.exercice} : {roll.piece_count} articles, {roll.total} €, "
            f"SHA-256 {roll.sha256} → {output}"
        )
