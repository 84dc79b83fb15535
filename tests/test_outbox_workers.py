"""1,000 queued e-mails, two worker processes and the periodic sweep; one worker is killed (SIGKILL)
in the middle. Every message reaches the SMTP sink; a message arrives twice only when the server
had accepted it as its worker died, and then with the same Message-ID (counted and printed).
Heavy (about a minute): run once, in the SQLite pass of CI."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, transaction

from ribambelle.outbox.models import EmailStatus, OutgoingEmail
from ribambelle.outbox.services import queue_email

from .factories import OrganisationFactory
from .mailserver import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.heavy]

BASE_DIR = Path(settings.BASE_DIR)
TOTAL = 1000


class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.original_content, policy=email_policy.default)
        with self.lock:
            self.message_ids.append(str(message["Message-ID"]).strip())
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.message_ids)


def database_url() -> str:
    db = connection.settings_dict  # NAME is the test database's while tests run
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start(command: list[str], mail_port: int, log) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": database_url(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mail_port),
        "OUTBOX_LEASE_SECONDS": "5",  # the dead worker's message is due again after 5 s
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_a_thousand_emails_two_workers_one_killed(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "ribambelle.core.tasks_backend.DatabaseBackend"}}
    organisation = OrganisationFactory()
    with transaction.atomic():  # the delivery tasks are queued at commit, as after a mass mailing
        for number in range(TOTAL):
            queue_email(
                organisation=organisation,
                to=f"parent{number}@famille.example",
                template="password_changed",
                context={"user": {"first_name": "Julie", "email": "x@famille.example"}, "when": None},
            )
    assert OutgoingEmail.objects.filter(status=EmailStatus.QUEUED).count() == TOTAL

    port = free_port()
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    log = open(tmp_path / "processes.log", "w")  # noqa: SIM115 - closed in finally
    worker = ["worker", "--queue-name", "*", "--no-startup-delay", "--no-reload", "--interval", "0.2"]
    processes = {
        "worker-a": start(worker, port, log),
        "worker-b": start(worker, port, log),
        "sweep": start(["periodic", "--loop", "2"], port, log),
    }
    started = time.monotonic()
    try:
        deadline = time.monotonic() + 90
        while sink.count() < TOTAL // 3:
            assert time.monotonic() < deadline, "workers too slow to reach a third of the messages"
            time.sleep(0.05)
        processes["worker-a"].send_signal(signal.SIGKILL)  # dies wherever it is: mid-send maybe
        processes["worker-a"].wait()
        killed_at = sink.count()
        while OutgoingEmail.objects.exclude(status=EmailStatus.SENT).exists():
            assert time.monotonic() < deadline, (
                f"not all sent: {OutgoingEmail.objects.exclude(status=EmailStatus.SENT).count()} left"
            )
            time.sleep(0.2)
        for name in ("worker-b", "sweep"):
            assert processes[name].poll() is None, f"{name} exited"
    finally:
        for process in processes.values():
            stop(process)
        controller.stop()
        log.close()
    elapsed = time.monotonic() - started

    stored = set(OutgoingEmail.objects.values_list("message_id", flat=True))
    received = Counter(sink.message_ids)
    duplicates = {message_id: n for message_id, n in received.items() if n > 1}
    print(
        f"\n{TOTAL} e-mails, 2 workers (one killed after {killed_at} received), {elapsed:.1f} s; "
        f"received {len(sink.message_ids)}, distinct {len(received)}, duplicated: {len(duplicates)} {duplicates}"
    )
    assert len(stored) == TOTAL and set(received) == stored  # none lost, Message-IDs stable
    # Only the message the killed worker had handed to the server (it sends one at a time).
    assert len(duplicates) <= 1 and all(n == 2 for n in duplicates.values())
