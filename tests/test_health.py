"""Health and observability: /healthz, /readyz (database, storage, worker heartbeats), request ids
in the response, the logs and the tasks a request queues; JSON logs; Sentry enabled by its DSN."""

import json
import logging
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ribambelle.core.heartbeat import HeartbeatThread, beat
from ribambelle.core.models import WorkerHeartbeat
from ribambelle.core.observability import JsonFormatter, bound_request_id, current_request_id

from .conftest import robot_proof

pytestmark = pytest.mark.django_db


def test_healthz_is_liveness(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_waits_for_the_workers(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": True} and checks["storage"] == {"ok": True}
    assert checks["worker"] == {"ok": False, "error": "never-seen"}

    beat("worker-1", "worker")
    beat("periodic-1", "periodic")
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_reports_a_stale_worker(client):
    beat("worker-1", "worker")
    beat("periodic-1", "periodic")
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False
    assert response.json()["checks"]["worker"]["age_seconds"] >= 300


def test_readyz_reports_an_unreachable_storage(client):
    beat("worker-1", "worker")
    beat("periodic-1", "periodic")
    with mock.patch("ribambelle.operations.readiness.default_storage.exists", side_effect=OSError("down")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {"ok": False, "error": "OSError"}


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_records_the_process():
    thread = HeartbeatThread("w-test", "worker", count=lambda: 7, every=0.05)
    thread.start()
    try:
        for _ in range(100):
            if WorkerHeartbeat.objects.filter(worker_id="w-test", tasks_run=7).exists():
                break
            thread.join(0.05)
    finally:
        thread.stop()
    row = WorkerHeartbeat.objects.get(worker_id="w-test")
    assert row.kind == "worker" and row.tasks_run == 7 and row.pid


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_beats(settings):
    settings.TASKS = {"default": {"BACKEND": "ribambelle.core.tasks_backend.DatabaseBackend"}}
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", verbosity=0)
    assert WorkerHeartbeat.objects.filter(kind="worker").exists()


def test_every_response_has_a_request_id(client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]
    # The balancer's id is kept; a client's own is not believed.
    from_balancer = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REQUEST_ID="haproxy-0A1B2C3D").get("/healthz")
    assert from_balancer["X-Request-ID"] == "haproxy-0A1B2C3D"
    from_client = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_REQUEST_ID="haproxy-0A1B2C3D").get("/healthz")
    assert from_client["X-Request-ID"] != "haproxy-0A1B2C3D"
    assert current_request_id() == ""  # nothing leaks out of the request


def test_the_request_id_goes_with_the_tasks_it_queues(tenant_a, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "ribambelle.core.tasks_backend.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            tenant_a.url("mot-de-passe-oublie/"), {"email": tenant_a.family_user.email, "robot": robot_proof()}
        )
    task = DBTaskResult.objects.get(task_path="ribambelle.outbox.tasks.deliver_email")
    assert task.args_kwargs["kwargs"]["request_id"] == response["X-Request-ID"]


def test_json_logs_carry_the_request_id():
    record = logging.LogRecord("ribambelle.test", logging.WARNING, __file__, 1, "E-mail %s envoyé", (42,), None)
    record.organisation = "cc-a"
    with bound_request_id("req-12345678"):
        line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "E-mail 42 envoyé" and entry["level"] == "WARNING"
    assert entry["request_id"] == "req-12345678" and entry["organisation"] == "cc-a"


def test_sentry_is_enabled_by_its_dsn():
    from ribambelle.core.observability import init_sentry

    assert init_sentry("") is False
    with mock.patch("sentry_sdk.init") as init:
        assert init_sentry("https://key@glitchtip.example/1", environment="test") is True
    kwargs = init.call_args.kwargs
    assert kwargs["dsn"] == "https://key@glitchtip.example/1" and kwargs["send_default_pii"] is False
