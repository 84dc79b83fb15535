from django_tasks import task

from ribambelle.core.scoping import for_each_organisation

from . import services


@task()
def send_expiry_reminders() -> int:
    """E-mail the families whose accepted documents expire soon (idempotent; run daily)."""
    return for_each_organisation(services.send_expiry_reminders)
