"""Heartbeats of the background processes (task workers, periodic sweep).

A daemon thread of the process writes its line every `HEARTBEAT_EVERY` seconds on its own
database connection; it survives a dropped connection (the next beat opens a new one).
`/readyz` reports a worker kind as stale when none was seen for `HEARTBEAT_STALE`.
"""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.db import close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = float(os.environ.get("HEARTBEAT_EVERY", "10"))
HEARTBEAT_STALE = timedelta(seconds=float(os.environ.get("HEARTBEAT_STALE", "60")))


def beat(worker_id: str, kind: str, *, started_at=None, tasks_run: int = 0) -> None:
    from ribambelle.core.models import WorkerHeartbeat

    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id[:64],
        defaults={
            "kind": kind,
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "seen_at": now,
            "tasks_run": tasks_run,
        },
        create_defaults={
            "kind": kind,
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "seen_at": now,
            "started_at": started_at or now,
            "tasks_run": tasks_run,
        },
    )


def last_seen(kind: str):
    from ribambelle.core.models import WorkerHeartbeat

    return WorkerHeartbeat.objects.filter(kind=kind).order_by("-seen_at").values_list("seen_at", flat=True).first()


def forget_stale(older_than: timedelta = timedelta(days=1)) -> int:
    from ribambelle.core.models import WorkerHeartbeat

    return WorkerHeartbeat.objects.filter(seen_at__lt=timezone.now() - older_than).delete()[0]


class HeartbeatThread(threading.Thread):
    """Beats for a process until `stop()`; `count` tells how many tasks it ran (read at each beat)."""

    def __init__(self, worker_id: str, kind: str, count=lambda: 0, every: float = HEARTBEAT_EVERY):
        super().__init__(name=f"heartbeat-{kind}", daemon=True)
        self.worker_id, self.kind, self.count, self.every = worker_id, kind, count, every
        self.started_at = timezone.now()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                close_old_connections()
                beat(self.worker_id, self.kind, started_at=self.started_at, tasks_run=self.count())
            except Exception as error:  # noqa: BLE001 - a missed beat is not a reason to stop beating
                logger.warning("heartbeat of %s %s failed: %s", self.kind, self.worker_id, error)
                try:
                    connection.close()
                except Exception:  # noqa: BLE001, S110
                    pass
            self._stop_event.wait(self.every)
        try:
            connection.close()
        except Exception:  # noqa: BLE001, S110
            pass

    def stop(self, wait: float = 5.0) -> None:
        self._stop_event.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(wait)
