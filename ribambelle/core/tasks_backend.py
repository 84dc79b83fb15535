"""django-tasks' database backend, with the task row written by one INSERT compiled once per
process (core.compiled): a booking save queues its summary e-mail, on every save of the opening
rush. Everything else — validation, the `task_enqueued` signal, the worker — is the library's."""

from django_tasks_db import DatabaseBackend as LibraryBackend
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult
from django_tasks_db.signal_handlers import set_run_after

from .compiled import insert_rows


class DatabaseBackend(LibraryBackend):
    def _task_to_db_task(self, task, args, kwargs) -> DBTaskResult:
        row = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        set_run_after(DBTaskResult, row)  # the library's pre_save rule, which an INSERT of our own skips
        insert_rows([row])
        return row
