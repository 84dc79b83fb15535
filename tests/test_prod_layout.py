"""`make prod-up` for real: HAProxy → two gunicorn instances → PgBouncer → PostgreSQL, S3 (moto_server),
two workers, the periodic sweep. A document uploaded through instance A downloads through instance
B (both read the one bucket); a killed worker is restarted; `make prod-down` leaves no process.
Heavy (about a minute and a half): once, in CI's SQLite pass (it starts its own PostgreSQL database)."""

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from .mailserver import free_port
from .test_settings import ROOT

pytestmark = pytest.mark.heavy

SESSION = """
import django, json; django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_scopes import scopes_disabled
from ribambelle.accounts.consent import record_consents
from ribambelle.accounts.models import User
from ribambelle.documents.models import DocumentScope, DocumentType
with scopes_disabled():
    user = User.objects.filter(family__isnull=False, activated_at__isnull=False).order_by("pk").first()
    record_consents(user=user, personal=True, health=False)
    kind = DocumentType.objects.filter(organisation=user.organisation, scope=DocumentScope.FAMILY, is_active=True)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "ribambelle.accounts.backends.OrganisationEmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print(json.dumps({"session": session.session_key, "slug": user.organisation.slug,
                      "type": kind.order_by("pk").values_list("pk", flat=True).first()}))
"""
LATEST_PAGE = """
import django, json; django.setup()
from django_scopes import scopes_disabled
from ribambelle.documents.models import SubmittedPage
with scopes_disabled():
    page = SubmittedPage.objects.order_by("-pk").first()
    print(json.dumps({"id": page.pk, "name": page.file.name, "organisation": page.organisation_id}))
"""


def _tools_missing() -> list[str]:
    return [tool for tool in ("haproxy", "pgbouncer", "openssl", "psql", "curl") if shutil.which(tool) is None]


def _ours(marker: str) -> list[int]:
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"PROD_MARKER={marker}".encode() in environ.read_bytes().split(b"\0"):
                pids.append(int(environ.parent.name))
        except OSError:
            continue
    return pids


def _is_worker(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"manage.py" in command and b"worker" in command and not any(b"forever" in part for part in command)


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def test_prod_up_two_instances_share_the_files_and_prod_down_leaves_nothing(tmp_path):
    if missing := _tools_missing():
        pytest.skip(f"absent: {missing} (make prod-packages)")
    if subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SELECT 1"], capture_output=True
    ).returncode:
        pytest.skip("PostgreSQL absent on 127.0.0.1:5432")
    import requests

    database = f"rb_prodtest_{uuid.uuid4().hex[:8]}"
    ports = {name: free_port() for name in ("HTTPS", "HTTP", "WEB_A", "WEB_B", "PGBOUNCER", "S3")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update({f"PROD_{name}_PORT": str(port) for name, port in ports.items()})
    env.update({"PROD_DIR": str(tmp_path / "prod"), "PROD_PG_DB": database, "PROD_WEB_WORKERS": "2"})
    env["PROD_PERIODIC_EVERY"] = "5"
    up = marker = None
    try:
        up = subprocess.run(["deploy/prod-up.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        app_env = {**env, **dict(
            line.split("=", 1) for line in (tmp_path / "prod" / "env").read_text().splitlines() if "=" in line
        ), "DJANGO_SETTINGS_MODULE": "ribambelle.config.settings"}  # fmt: skip

        def django(code: str) -> dict:
            result = subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, env=app_env, capture_output=True, text=True, timeout=120
            )
            assert result.returncode == 0, result.stderr[-3000:]
            return json.loads(result.stdout.strip().splitlines()[-1])

        marker = app_env["PROD_MARKER"]
        # Through the balancer, over HTTPS: ready, with a request id.
        site = f"https://127.0.0.1:{ports['HTTPS']}"
        ready = requests.get(f"{site}/readyz", verify=False, timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.headers["X-Request-ID"]

        login = django(SESSION)
        assert login["type"], "the demo has a family document type"
        png = _png()

        def instance(name: str) -> requests.Session:
            session = requests.Session()
            session.cookies.set("sessionid", login["session"])
            # Straight to one instance, as the balancer would call it (it is a trusted proxy).
            session.headers.update({"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
            session.base = f"http://127.0.0.1:{ports[name]}"
            return session

        a, b = instance("WEB_A"), instance("WEB_B")
        form = a.get(f"{a.base}/{login['slug']}/mes-documents/famille/ajouter/", timeout=30)
        assert form.status_code == 200, form.text[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        sent = a.post(
            f"{a.base}/{login['slug']}/mes-documents/famille/ajouter/",
            data={"csrfmiddlewaretoken": token, "document_type": str(login["type"])},
            files={"pages": ("page.png", png, "image/png")},
            headers={"Referer": "https://127.0.0.1/", "Origin": "https://127.0.0.1"},
            # Secure cookie (HTTPS at the balancer): given back by hand to this plain-HTTP call.
            cookies={"csrftoken": form.cookies["csrftoken"]},
            allow_redirects=False,
            timeout=60,
        )
        assert sent.status_code == 302, sent.text[:2000]
        page = django(LATEST_PAGE)
        assert page["name"].startswith(f"pieces/{page['organisation']}/")
        downloaded = b.get(f"{b.base}/{login['slug']}/mes-documents/fichier/{page['id']}/", timeout=30)
        assert downloaded.status_code == 200, downloaded.text[:500]
        stored = django(
            "import django, json, hashlib; django.setup()\n"
            "from django.core.files.storage import default_storage as s\n"
            f"print(json.dumps({{'sha': hashlib.sha256(s.open({page['name']!r}).read()).hexdigest()}}))"
        )
        assert hashlib.sha256(downloaded.content).hexdigest() == stored["sha"]
        assert not (tmp_path / "prod" / "var" / "protected").exists()  # nothing on the instances' disks

        # A worker that dies is started again.
        def worker_pids() -> list[int]:
            return [pid for pid in _ours(marker) if _is_worker(pid)]

        before = worker_pids()
        assert len(before) == 2, before
        os.kill(before[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            now = worker_pids()
            if len(now) == 2 and before[0] not in now:
                break
            assert time.monotonic() < deadline, f"worker not restarted: {now}"
            time.sleep(0.2)
    finally:
        down = subprocess.run(["deploy/prod-down.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'],
            capture_output=True,
        )
    assert down.returncode == 0, down.stdout + down.stderr
    assert "aucun processus restant" in down.stdout
    if marker:
        assert _ours(marker) == []
