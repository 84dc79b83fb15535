from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_scopes import scope

from ribambelle.reminders import selectors, services
from ribambelle.tenancy.models import Organisation


class Command(BaseCommand):
    help = (
        "Rappels avant la date limite de réservation : envoie ceux qui sont dus (comme `periodic`). "
        '--at "2026-12-01 12:00" fait comme s\'il était cette heure-là (démonstration) ; '
        "--preview liste ce qui partirait sans rien envoyer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--at", default="", help="Heure locale (AAAA-MM-JJ HH:MM) à laquelle faire le tour.")
        parser.add_argument("--preview", action="store_true", help="Lister sans envoyer.")

    def handle(self, *args, at: str, preview: bool, **options):
        now = timezone.now()
        if at:
            try:
                now = timezone.make_aware(datetime.fromisoformat(at))
            except ValueError as error:
                raise CommandError(f"Heure illisible : {at!r} (attendu : AAAA-MM-JJ HH:MM).") from error
        total = 0
        for organisation in Organisation.objects.order_by("pk"):
            with scope(organisation=organisation):
                if preview:
                    reminder_settings = selectors.reminder_settings(organisation)
                    if not reminder_settings.enabled:
                        continue
                    for due in selectors.due_days(organisation=organisation, now=now, settings=reminder_settings):
                        self.stdout.write(
                            f"{organisation.slug} · famille {due.family_id} · {due.child_name} · {due.unit_name} "
                            f"{due.day:%d/%m/%Y} · limite {timezone.localtime(due.deadline):%d/%m/%Y %H:%M}"
                        )
                    continue
                total += services.send_due_reminders(now=now, organisation=organisation)
        if not preview:
            self.stdout.write(f"{total} famille(s) rappelée(s).")
