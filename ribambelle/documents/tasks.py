from django_tasks import task

from . import services


@task()
def send_expiry_reminders() -> int:
    """E-mail the families whose accepted documents expire soon (idempotent; run daily)."""
    return services.send_expiry_reminders()
