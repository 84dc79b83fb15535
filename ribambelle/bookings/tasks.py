from django.db import transaction
from django_tasks import task

from . import services


@task()
def send_booking_summary(child_id: int, booking_ids: dict) -> None:
    # Queued inside the save's transaction: the worker runs it on its own, in one transaction;
    # an inline backend (tests, browser journeys) runs it at once, inside the save's transaction.
    with transaction.atomic():
        services.send_summary.inner(child_id, booking_ids)


@task()
def expire_waiting_list_offers() -> int:
    return services.expire_offers()
