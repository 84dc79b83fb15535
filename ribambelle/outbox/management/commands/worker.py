"""`manage.py worker`: django-tasks-db's `db_worker`, kept alive when PostgreSQL drops its connection.

`db_worker` exits when its connection dies during a task: recording the task's failure on the
dead connection raises out of its loop. This subclass (no fork: the package is used as it is)
closes the broken connection and runs the task again, since tasks are idempotent (CONVENTIONS
rule 7), and carries on polling when the connection is lost between tasks. A worker that exits
anyway is restarted by its supervisor (`make run`, systemd's Restart=always).
"""

import logging
import os
import time

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from ribambelle.core.db import LOST_CONNECTION_ERRORS, close_all_connections, connection_lost
from ribambelle.core.heartbeat import HeartbeatThread

logger = logging.getLogger("django_tasks_db")

# A task that lost its connection this many times in a row is left to the worker's next life.
RUNS_PER_TASK = 4
PAUSE = 1.0  # seconds, times the attempt number: a restarting server gets time to come back


class Worker(db_worker.Worker):
    def run(self) -> None:
        # A heartbeat line for /readyz and the monitoring (core.heartbeat), on its own thread.
        heartbeat = HeartbeatThread(self.worker_id, "worker", count=lambda: self._run_tasks)
        heartbeat.start()
        try:
            while True:
                try:
                    return super().run()
                except LOST_CONNECTION_ERRORS as error:
                    if not self.running or not connection_lost():
                        raise
                    logger.warning("Database connection lost while polling (%s): reconnecting", error)
                    close_all_connections()
                    time.sleep(PAUSE)
        finally:
            heartbeat.stop()

    def run_task(self, db_task_result) -> None:
        for attempt in range(1, RUNS_PER_TASK + 1):
            try:
                return super().run_task(db_task_result)
            except LOST_CONNECTION_ERRORS as error:
                # The task, or the recording of its outcome, met a dead connection.
                if attempt == RUNS_PER_TASK or not self.running or not connection_lost():
                    raise
                logger.warning(
                    "Database connection lost during task id=%s (%s): running it again", db_task_result.id, error
                )
                close_all_connections()
                time.sleep(PAUSE * attempt)


class Command(db_worker.Command):
    help = "Le worker des tâches (e-mails…) : db_worker, qui survit à une connexion perdue à la base."

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ) -> None:
        # db_worker.Command.handle with our Worker; the same options and reloading.
        self.configure_logging(verbosity)
        reload = reload and not batch
        queue_names = queue_name.split(",")
        if exclude_queues and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
