"""Backup of the demo, restore into an empty database and an empty storage (another process, as on a
new machine): same row count in every table, same files with the same checksums."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from ribambelle.operations.backup import apply_retention, archives, sha256_of, stored_names, table_counts

from .test_settings import ROOT

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed rows only

KEY = Fernet.generate_key().decode()
REPORT = (
    "import django, json, hashlib; django.setup()\n"
    "from django.core.files.storage import default_storage as s\n"
    "from ribambelle.operations.backup import table_counts, stored_names\n"
    "print(json.dumps({'rows': table_counts(), 'files': {n: hashlib.sha256(s.open(n).read()).hexdigest()"
    " for n in stored_names()}}))"
)


@pytest.fixture
def empty_database():
    """The URL of an empty database of the same kind as the test database."""
    if connection.vendor == "sqlite":
        yield None  # a new file in the target's folder
        return
    db = connection.settings_dict
    name = f"rb_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    yield f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_in_target(args: list[str], target: Path, database_url: str | None, code: str | None = None):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}}
    env.update({"RIBAMBELLE_VAR_DIR": str(target), "BACKUP_ENCRYPTION_KEY": KEY})
    env["DATABASE_URL"] = database_url or f"sqlite:///{target / 'restored.sqlite3'}"
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    env["DJANGO_SETTINGS_MODULE"] = "ribambelle.config.settings"
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_backup_of_the_demo_restores_into_an_empty_instance(settings, tmp_path, empty_database):
    settings.BACKUP_ENCRYPTION_KEY = KEY
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    files = {name: sha256_of(Path(default_storage.path(name))) for name in stored_names()}
    assert files and all(name.split("/")[1].isdigit() for name in files if not name.startswith("logos/"))
    rows = table_counts()
    assert rows["families_family"] > 0

    call_command("backup", output_dir=str(tmp_path / "backups"), keep=3, stdout=open(os.devnull, "w"))  # noqa: SIM115
    (archive,) = archives(tmp_path / "backups")
    assert archive.name.endswith(".tar.enc")  # encrypted: the key is set
    assert b"families_family" not in archive.read_bytes()

    target = tmp_path / "target"
    result = run_in_target(["restore", str(archive)], target, empty_database)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Restauré" in result.stdout

    report = run_in_target([], target, empty_database, code=REPORT)
    assert report.returncode == 0, report.stderr
    restored = json.loads(report.stdout)
    assert restored["rows"] == rows
    assert restored["files"] == files

    # A second restore into the now full instance is refused, with a clear message.
    again = run_in_target(["restore", str(archive)], target, empty_database)
    assert again.returncode != 0 and "n'est pas vide" in again.stderr


def test_a_wrong_key_is_refused_clearly(settings, tmp_path):
    settings.BACKUP_ENCRYPTION_KEY = Fernet.generate_key().decode()
    call_command("backup", output_dir=str(tmp_path), stdout=open(os.devnull, "w"))  # noqa: SIM115
    (archive,) = archives(tmp_path)
    result = run_in_target(["restore", str(archive)], tmp_path / "target", None)
    assert result.returncode != 0 and "Clé BACKUP_ENCRYPTION_KEY incorrecte" in result.stderr


def test_retention_keeps_the_newest(tmp_path):
    for stamp in ("20261101T000000Z", "20261102T000000Z", "20261103T000000Z"):
        (tmp_path / f"ribambelle-{stamp}.tar").write_bytes(b"x")
    removed = apply_retention(tmp_path, 2)
    assert [p.name for p in removed] == ["ribambelle-20261101T000000Z.tar"]
    assert [p.name for p in archives(tmp_path)] == [
        "ribambelle-20261102T000000Z.tar",
        "ribambelle-20261103T000000Z.tar",
    ]


def test_an_unencrypted_backup_has_its_manifest(settings, tmp_path):
    import tarfile

    settings.BACKUP_ENCRYPTION_KEY = ""
    call_command("backup", output_dir=str(tmp_path), stdout=open(os.devnull, "w"))  # noqa: SIM115
    (archive,) = archives(tmp_path)
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["schema_version"]["core"] == "0003_worker_heartbeat"
    assert manifest["row_counts"]["django_migrations"] > 0
