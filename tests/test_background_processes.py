"""The worker and the periodic loop survive PostgreSQL dropping their connection (a restart,
a failover, an administrator's pg_terminate_backend): each process runs as in production,
against the test database, its backend is terminated, and mail queued afterwards still leaves.
PostgreSQL only (SQLite has no server to drop a connection)."""

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, transaction

from ribambelle.outbox.models import EmailStatus, OutgoingEmail
from ribambelle.outbox.services import queue_email

from .factories import OrganisationFactory
from .mailserver import Recorder, free_port

pytestmark = pytest.mark.django_db(transaction=True)  # the processes see committed rows only

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def _postgresql_and_task_rows(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: DATABASE_URL=postgres://… (a dropped server connection)")
    # Tasks are rows for the worker process, as in production (the suite's default runs none).
    settings.TASKS = {"default": {"BACKEND": "ribambelle.core.tasks_backend.DatabaseBackend"}}


class SlowRecorder(Recorder):
    """Holds each message until the test releases it: the worker is then inside its task."""

    def __init__(self):
        super().__init__()
        self.receiving = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.receiving.set()
        while not self.release.is_set():
            await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp():
    port = free_port()
    recorder = SlowRecorder()
    recorder.release.set()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, recorder
    recorder.release.set()
    controller.stop()


def start(command: list[str], mail_port: int) -> subprocess.Popen:
    db = connection.settings_dict  # NAME is the test database's while tests run
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mail_port),
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition, *, timeout: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def other_backends(query_like: str = "%") -> list[int]:
    """The backends of the process under test: every other client on the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend' AND query LIKE %s",
            [query_like],
        )
        return [row[0] for row in cursor.fetchall()]


def terminate(pids: list[int]) -> None:
    assert pids
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def queue_one(organisation, to: str) -> OutgoingEmail:
    with transaction.atomic():
        return queue_email(
            organisation=organisation,
            to=to,
            template="password_changed",
            context={"user": {"first_name": "Julie", "email": to}, "when": None},
        )


def status_of(email) -> str:
    return OutgoingEmail.objects.values_list("status", flat=True).get(pk=email.pk)


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.terminate()
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def test_the_periodic_loop_survives_a_dropped_connection(smtp):
    port, recorder = smtp
    organisation = OrganisationFactory()
    process = start(["periodic", "--loop", "1"], port)
    try:
        wait_for(lambda: other_backends(), what="the loop's connection")
        terminate(other_backends())
        time.sleep(2.5)  # two turns of the loop on the dropped connection
        assert process.poll() is None, stop(process)

        email = queue_one(organisation, "apres@famille.example")
        wait_for(lambda: status_of(email) == EmailStatus.SENT, what="the mail queued afterwards")
        assert [m["To"] for m in recorder.received()] == ["apres@famille.example"]
    finally:
        print(stop(process))  # the process's own account, shown when the test fails


def test_the_worker_runs_again_a_task_whose_connection_was_dropped_and_goes_on(smtp):
    from django_tasks_db.models import DBTaskResult

    from .worker_tasks import sleep_in_database

    port, recorder = smtp
    organisation = OrganisationFactory()
    result = sleep_in_database.enqueue(2)
    process = start(["worker", "--queue-name", "*", "--no-startup-delay", "--no-reload", "--interval", "0.2"], port)
    try:
        # Dropped during the task: its query fails, and so would the recording of its failure.
        wait_for(lambda: other_backends("SELECT pg_sleep%"), what="the task's query")
        terminate(other_backends("SELECT pg_sleep%"))
        wait_for(
            lambda: DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL",
            what="the task run again",
        )
        assert process.poll() is None, stop(process)

        # Dropped while idle, between tasks.
        terminate(other_backends())
        email = queue_one(organisation, "apres@famille.example")
        wait_for(lambda: status_of(email) == EmailStatus.SENT, what="the mail queued afterwards")
        assert [m["To"] for m in recorder.received()] == ["apres@famille.example"]
        assert process.poll() is None
    finally:
        print(stop(process))  # the process's own account, shown when the test fails


def test_a_mail_whose_connection_drops_while_it_is_sent_is_recorded_sent_once(smtp):
    port, recorder = smtp
    organisation = OrganisationFactory()
    recorder.release.clear()
    email = queue_one(organisation, "pendant@famille.example")
    process = start(["worker", "--queue-name", "*", "--no-startup-delay", "--no-reload", "--interval", "0.2"], port)
    try:
        assert recorder.receiving.wait(20), "the worker never reached the mail server"
        terminate(other_backends())
        recorder.release.set()
        wait_for(lambda: status_of(email) == EmailStatus.SENT, what="the mail recorded as sent")
        later = queue_one(organisation, "apres@famille.example")
        wait_for(lambda: status_of(later) == EmailStatus.SENT, what="the mail queued afterwards")
        assert [m["To"] for m in recorder.received()] == ["pendant@famille.example", "apres@famille.example"]
        assert process.poll() is None
    finally:
        print(stop(process))  # the process's own account, shown when the test fails
