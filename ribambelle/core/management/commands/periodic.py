import time

from django.core.management.base import BaseCommand

from ribambelle.core.scoping import for_each_organisation


class Command(BaseCommand):
    help = (
        "Travaux périodiques : e-mails dus de la file d'attente, propositions de liste d'attente expirées, "
        "rappels d'expiration des documents. Une fois, ou en boucle avec --loop N (secondes)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0)

    def handle(self, *args, loop: int, **options):
        from ribambelle.bookings.services import expire_offers
        from ribambelle.communication.services import deliver_due_emails
        from ribambelle.documents.services import send_expiry_reminders

        while True:
            # Each sweep visits the organisations one by one, inside each one's scope.
            sent = for_each_organisation(deliver_due_emails)
            expired = for_each_organisation(expire_offers)
            reminders = for_each_organisation(send_expiry_reminders)
            if sent or expired or reminders:
                self.stdout.write(
                    f"e-mails envoyés : {sent} · propositions expirées : {expired} · rappels : {reminders}"
                )
            if not loop:
                return
            time.sleep(loop)
