import time

from django.core.management.base import BaseCommand

from ribambelle.core.scoping import for_each_organisation
from ribambelle.outbox.services import deliver_due_emails


class Command(BaseCommand):
    help = "Envoie les e-mails dus de la file d'attente (à lancer par cron, ou en boucle avec --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="Recommencer toutes les N secondes.")

    def handle(self, *args, loop: int, **options):
        while True:
            sent = for_each_organisation(deliver_due_emails)  # one organisation's scope at a time
            if sent:
                self.stdout.write(f"{sent} e-mail(s) envoyé(s).")
            if not loop:
                return
            time.sleep(loop)
