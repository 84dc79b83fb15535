from django_tasks import task

from . import services


@task()
def process_invoice_run(run_id: int) -> int:
    """Idempotent: a second worker on the same run waits for the lock, then resumes after it."""
    return services.process_run(run_id=run_id).processed_count
