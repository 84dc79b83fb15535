from django_scopes import scope
from django_tasks import task

from ribambelle.core.scoping import organisation_id_of

from . import services
from .models import Draw


@task()
def send_draw_decisions(draw_id: int) -> int:
    """Queue each family's decision e-mail once a draw has committed (idempotence: the draw runs once)."""
    organisation_id = organisation_id_of(Draw, draw_id)
    if organisation_id is None:
        return 0
    with scope(organisation=organisation_id):
        return services.send_decisions(draw_id=draw_id)
