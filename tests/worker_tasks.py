"""A task for the worker tests (imported by the worker process as `tests.worker_tasks`)."""

from django.db import connection
from django_tasks import task


@task()
def sleep_in_database(seconds: float) -> str:
    """Holds a query open long enough for a test to terminate the worker's backend meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [seconds])
    return "done"
