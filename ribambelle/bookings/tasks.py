from django.db import transaction
from django_scopes import scope
from django_tasks import task

from ribambelle.core.scoping import for_each_organisation, organisation_id_of

from . import services


@task()
def send_booking_summary(child_id: int, booking_ids: dict) -> None:
    from ribambelle.families.models import Person

    organisation_id = organisation_id_of(Person, child_id)
    if organisation_id is None:
        return  # the child was erased since: no one to tell
    with scope(organisation=organisation_id):
        # Queued inside the save's transaction: the worker runs it on its own, in one transaction;
        # an inline backend (tests, browser journeys) runs it at once, inside the save's transaction.
        with transaction.atomic():
            services.send_summary.inner(child_id, booking_ids)


@task()
def expire_waiting_list_offers() -> int:
    return for_each_organisation(services.expire_offers)
