from django.core.management.base import BaseCommand

from ribambelle.core.scoping import for_each_organisation
from ribambelle.documents import services
from ribambelle.documents.tasks import send_expiry_reminders


class Command(BaseCommand):
    help = (
        "Rappels d'expiration des documents : envoie un e-mail aux familles dont un document accepté "
        "arrive à expiration. À lancer une fois par jour (cron) ; --enqueue confie le travail au db_worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Mettre la tâche en file pour le db_worker.")

    def handle(self, *args, enqueue: bool, **options):
        if enqueue:
            result = send_expiry_reminders.enqueue()
            self.stdout.write(f"Tâche de rappel mise en file ({result.id}).")
            return
        sent = for_each_organisation(services.send_expiry_reminders)  # one organisation's scope at a time
        self.stdout.write(f"{sent} rappel(s) d'expiration envoyé(s).")
