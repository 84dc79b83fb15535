"""`make run` restarts the task worker when it exits: the run target's own loop is taken from
`make -n run`, started, its worker killed, and a new worker must take its place."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def database_url() -> str:
    db = connection.settings_dict  # the test database's while tests run
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def workers_under(pid: int) -> list[int]:
    """The `manage.py worker` processes started by the loop (children of its shell)."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"worker" in cmdline:
            found.append(int(child))
    return found


def wait_for_worker(pid: int, *, other_than: int | None = None, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = [w for w in workers_under(pid) if w != other_than]
        if fresh:
            return fresh[0]
        time.sleep(0.1)
    raise AssertionError("no worker running")


@pytest.mark.django_db(transaction=True)
def test_make_run_restarts_a_worker_that_exits():
    recipe = subprocess.run(["make", "-n", "run"], cwd=BASE_DIR, capture_output=True, text=True, check=True).stdout
    loop = re.search(r"while :; do \S+ manage\.py worker .*?done", recipe.replace("\\\n", " "), re.S)
    assert loop, "the run target starts the worker in a restart loop"
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "0"}  # DEBUG off: no autoreloader in between
    shell = subprocess.Popen(["bash", "-c", loop.group(0)], cwd=BASE_DIR, env=env, start_new_session=True)
    try:
        first = wait_for_worker(shell.pid)
        os.kill(first, signal.SIGKILL)  # a crash: nothing graceful
        second = wait_for_worker(shell.pid, other_than=first)
        assert second != first and shell.poll() is None
    finally:
        os.killpg(shell.pid, signal.SIGTERM)
        shell.wait(timeout=10)
