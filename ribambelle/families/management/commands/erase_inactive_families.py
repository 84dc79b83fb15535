from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from ribambelle.families.services import erase_family, inactive_families
from ribambelle.tenancy.models import Organisation


class Command(BaseCommand):
    help = (
        "Liste les familles inactives au-delà de la durée de conservation de leur collectivité "
        "(RGPD) ; avec --appliquer, les efface. Sans --appliquer, rien n'est modifié."
    )

    def add_arguments(self, parser):
        parser.add_argument("--appliquer", action="store_true", dest="apply", help="Effacer réellement.")
        parser.add_argument("--organisation", help="Adresse courte (slug) d'une seule collectivité.")

    def handle(self, *args, apply=False, organisation=None, **options):
        organisations = Organisation.objects.filter(is_active=True)
        if organisation:
            organisations = organisations.filter(slug=organisation)
            if not organisations.exists():
                raise CommandError(f"Collectivité inconnue : {organisation}")
        total = 0
        for org in organisations.order_by("slug"):
            with scope(organisation=org):  # each collectivité inside its own scope
                families = list(inactive_families(org).order_by("name"))
                if not families:
                    continue
                self.stdout.write(
                    self.style.MIGRATE_HEADING(f"{org.name} (conservation {org.gdpr_retention_years} ans)")
                )
                for family in families:
                    self.stdout.write(f"  {family.name} (n°{family.pk}, modifiée le {family.updated_at:%d/%m/%Y})")
                    if apply:
                        anonymised = erase_family(
                            family=family,
                            reason=f"Inactive depuis plus de {org.gdpr_retention_years} ans (effacement automatique)",
                        )
                        if anonymised:
                            self.stdout.write("    anonymisée : ses factures et règlements sont conservés sans nom")
                total += len(families)
        verb = "effacée(s)" if apply else "à effacer (simulation : relancez avec --appliquer)"
        self.stdout.write(self.style.SUCCESS(f"{total} famille(s) {verb}."))
