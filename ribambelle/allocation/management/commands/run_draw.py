from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from ribambelle.activities.models import Activity
from ribambelle.allocation.services import run_draw
from ribambelle.core.exceptions import DomainError
from ribambelle.core.scoping import organisation_id_of


class Command(BaseCommand):
    help = "Lance le tirage d'une activité en mode « vœux puis tirage » (après la clôture des vœux)."

    def add_arguments(self, parser):
        parser.add_argument("activity_id", type=int)

    def handle(self, *args, activity_id, **options):
        organisation_id = organisation_id_of(Activity, activity_id)
        if organisation_id is None:
            raise CommandError(f"Aucune activité n° {activity_id}.")
        with scope(organisation=organisation_id):
            activity = Activity.objects.select_related("organisation").get(pk=activity_id)
            try:
                draw = run_draw(activity=activity)
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
            granted = sum(len(f["granted"]) for f in draw.result["families"].values())
            waiting = sum(len(q) for q in draw.result["waiting_lists"].values())
            self.stdout.write(
                f"Tirage de « {activity.name} » : {len(draw.result['ranks'])} familles, {granted} vœux accordés, "
                f"{waiting} places en liste d'attente.\n"
                f"Graine : {draw.seed}\nEmpreinte des vœux : {draw.wishes_hash}\n"
                f"Empreinte de l'attribution : {draw.result_hash}"
            )
