from django.conf import settings
from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from ribambelle.demo import data


class Command(BaseCommand):
    help = "Charge (ou complète) les deux collectivités de démonstration. Peut être relancé sans risque."

    def handle(self, *args, **options):
        # Scopes disabled, visibly: the demo builds its two organisations side by side (shared
        # steps take both), and it is platform set-up, not one tenant's request.
        with scopes_disabled():
            logins = data.load()
        base = settings.SITE_URL
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write(f"\nAccueil : {base}/   ·   Boîte mail de développement : {base}/dev/courriels/")
        self.stdout.write(f"Mot de passe de tous les comptes de démonstration : {data.DEMO_PASSWORD}\n")
        current = None
        for login in logins:
            if login.organisation != current:
                current = login.organisation
                self.stdout.write(self.style.MIGRATE_HEADING(f"\n{current}"))
            self.stdout.write(f"  {login.who:<45} {login.email:<38} {base}{login.url}")
