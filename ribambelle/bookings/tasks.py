from django_tasks import task

from . import services


@task()
def send_booking_summary(child_id: int, booking_ids: dict) -> None:
    services.send_summary(child_id, booking_ids)


@task()
def expire_waiting_list_offers() -> int:
    return services.expire_offers()
