import logging
import os
import socket
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from ribambelle.core.db import LOST_CONNECTION_ERRORS, close_all_connections, connection_lost

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Travaux périodiques : e-mails dus de la file d'attente, propositions de liste d'attente expirées, "
        "rappels d'expiration des documents, rappels avant la date limite de réservation, "
        "prélèvements SEPA arrivés à leur date, "
        "paiements en ligne en attente revérifiés. "
        "Une fois, ou en boucle avec --loop N (secondes)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0)

    def handle(self, *args, loop: int, **options):
        heartbeat = None
        if loop:  # the long-running sweep says it is alive (core.heartbeat, /readyz)
            from ribambelle.core.heartbeat import HeartbeatThread

            heartbeat = HeartbeatThread(f"periodic-{socket.gethostname()}-{os.getpid()}", "periodic")
            heartbeat.start()
        try:
            self._loop(loop)
        finally:
            if heartbeat is not None:
                heartbeat.stop()

    def _loop(self, loop: int) -> None:
        while True:
            try:
                self.run_once()
            except LOST_CONNECTION_ERRORS as error:
                if not loop or not connection_lost():
                    raise
                # The server dropped the connection (restart, failover, terminated backend): the
                # work left undone is found again next time (every job is idempotent).
                logger.warning("periodic: connexion à la base perdue (%s), nouvel essai dans %s s", error, loop)
                self.stderr.write(f"Connexion à la base perdue ({error}) : nouvel essai dans {loop} s.")
                close_all_connections()
            if not loop:
                return
            time.sleep(loop)
            # As between two web requests: a connection dropped while we slept is replaced
            # (CONN_HEALTH_CHECKS), one past CONN_MAX_AGE is closed.
            close_old_connections()

    def run_once(self) -> None:
        from ribambelle.billing.sepa_collections import settle_due_collections
        from ribambelle.bookings.services import expire_offers
        from ribambelle.core.scoping import for_each_organisation
        from ribambelle.documents.services import send_expiry_reminders
        from ribambelle.outbox.services import deliver_due_emails
        from ribambelle.payments.services import recheck_pending
        from ribambelle.reminders.services import send_due_reminders

        # Each sweep visits the organisations one by one, inside each one's scope.
        sent = for_each_organisation(deliver_due_emails)
        expired = for_each_organisation(expire_offers)
        reminders = for_each_organisation(send_expiry_reminders)
        # Reminders before booking deadlines: each organisation's own hour, each family once per deadline.
        booking_reminders = for_each_organisation(send_due_reminders)
        if booking_reminders:
            self.stdout.write(f"rappels avant la date limite de réservation : {booking_reminders}")
        settled = for_each_organisation(settle_due_collections)
        # Online payments still pending (a lost notification, PayFiP's "not finished" P5): ask again.
        payments = for_each_organisation(recheck_pending)
        if payments:
            self.stdout.write(f"paiements en ligne réglés après vérification : {payments}")
        if sent or expired or reminders or settled:
            self.stdout.write(
                f"e-mails envoyés : {sent} · propositions expirées : {expired} · rappels : {reminders}"
                f" · prélèvements réglés : {settled}"
            )
