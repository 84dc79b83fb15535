from django_scopes import scope
from django_tasks import task

from ribambelle.core.scoping import organisation_id_of

from . import services
from .models import InvoiceRun


@task()
def process_invoice_run(run_id: int) -> int:
    """Idempotent: a second worker on the same run waits for the lock, then resumes after it."""
    organisation_id = organisation_id_of(InvoiceRun, run_id)
    if organisation_id is None:
        return 0  # the run was deleted (its organisation with it): nothing left to issue
    with scope(organisation=organisation_id):
        return services.process_run(run_id=run_id).processed_count
