from django_scopes import scope
from django_tasks import task

from ribambelle.core.scoping import for_each_organisation, organisation_id_of

from . import services
from .models import ReminderSent


@task()
def send_due_reminders() -> int:
    """Remind families of the deadlines coming (idempotent: run as often as wanted)."""
    return for_each_organisation(services.send_due_reminders)


@task()
def send_reminder_push(reminder_id: int) -> int:
    organisation_id = organisation_id_of(ReminderSent, reminder_id)
    if organisation_id is None:
        return 0
    with scope(organisation=organisation_id):
        return services.deliver_pushes(reminder_id)
