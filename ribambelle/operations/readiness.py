"""What `/readyz` checks: the database, the file storage, the background workers' heartbeats."""

import logging

from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from ribambelle.core.heartbeat import HEARTBEAT_STALE, last_seen

logger = logging.getLogger(__name__)

PROBE_NAME = "readyz-probe.txt"


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("readyz: database unreachable: %s", error)
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def check_storage() -> dict:
    """A read of the storage (a HEAD on S3): reachable and the bucket exists."""
    try:
        bucket = getattr(default_storage, "bucket", None)  # S3Storage: the bucket must exist
        if bucket is not None:
            bucket.meta.client.head_bucket(Bucket=bucket.name)
        else:
            default_storage.exists(PROBE_NAME)
    except Exception as error:  # noqa: BLE001
        logger.warning("readyz: storage unreachable: %s", error)
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def check_worker(kind: str = "worker") -> dict:
    try:
        seen = last_seen(kind)
    except Exception as error:  # noqa: BLE001
        return {"ok": False, "error": type(error).__name__}
    if seen is None:
        return {"ok": False, "error": "never-seen"}
    age = (timezone.now() - seen).total_seconds()
    return {"ok": age <= HEARTBEAT_STALE.total_seconds(), "age_seconds": round(age, 1)}


def readiness() -> tuple[bool, dict]:
    checks = {"database": check_database(), "storage": check_storage()}
    if checks["database"]["ok"]:
        checks["worker"] = check_worker("worker")
        checks["periodic"] = check_worker("periodic")
    else:
        checks["worker"] = checks["periodic"] = {"ok": False, "error": "database"}
    return all(check["ok"] for check in checks.values()), checks
