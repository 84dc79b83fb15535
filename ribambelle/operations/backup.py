"""Backups: one archive with the database, every stored file and a manifest; restore into an empty instance.

The archive (`ribambelle-<UTC time>.tar`, optionally encrypted to `.tar.enc` with Fernet and the
key BACKUP_ENCRYPTION_KEY) holds:

- `database.dump` (PostgreSQL: `pg_dump --format=custom`, one consistent snapshot) or
  `database.sqlite3` (SQLite: the online backup API, consistent too);
- `files/<key>`: every object of the file storage (local folder or S3 bucket), taken *after* the
  dump: stored files are never overwritten (random names), so every file the dump refers to is
  there (a file uploaded meanwhile is merely extra);
- `manifest.json`: when, which database, the schema version (the last migration of each app),
  the row count of every table, and the size and SHA-256 of the dump and of every file.

`restore` checks every checksum first, refuses a database or a storage that is not empty, loads
the dump, uploads the files under the same keys, then compares the row counts with the manifest.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection

FORMAT_VERSION = 1
PREFIX = "ribambelle-"


class BackupError(Exception):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- What is in the database -----------------------------------------------------------
def table_counts() -> dict[str, int]:
    """Rows of every table, by plain SQL (the tenant managers refuse to count outside a scope)."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our tables
            counts[table] = cursor.fetchone()[0]
    return counts


def schema_version() -> dict[str, str]:
    """The last applied migration of each app."""
    with connection.cursor() as cursor:
        if "django_migrations" not in connection.introspection.table_names(cursor):
            return {}
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        version: dict[str, str] = {}
        for app, name in cursor.fetchall():
            version[app] = max(version.get(app, ""), name)
    return version


def _pg_env_and_args() -> tuple[dict, list[str]]:
    db = connection.settings_dict
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    args = ["--host", db.get("HOST") or "127.0.0.1", "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    return env, args


def dump_database(target: Path) -> str:
    """Write a consistent copy of the database to `target`; returns its file name in the archive."""
    if connection.vendor == "postgresql":
        env, args = _pg_env_and_args()
        path = target / "database.dump"
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *args, "--file", str(path),
             connection.settings_dict["NAME"]],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        return path.name
    if connection.vendor == "sqlite":
        path = target / "database.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(path) as copy:
            connection.connection.backup(copy)
        copy.close()
        return path.name
    raise BackupError(f"base de données non prise en charge : {connection.vendor}")


# --- What is in the storage ------------------------------------------------------------
def stored_names(storage=None, folder: str = "") -> list[str]:
    storage = storage or default_storage
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [f"{folder}/{name}" if folder else name for name in files]
    for sub in folders:
        names += stored_names(storage, f"{folder}/{sub}" if folder else sub)
    return sorted(names)


# --- Archive ---------------------------------------------------------------------------
def _fernet():
    key = getattr(settings, "BACKUP_ENCRYPTION_KEY", "")
    if not key:
        return None
    from cryptography.fernet import Fernet

    return Fernet(key.encode() if isinstance(key, str) else key)


def create_backup(output_dir: Path, *, encrypt: bool | None = None) -> Path:
    """Write one archive in `output_dir` and return its path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    fernet = _fernet()
    if encrypt and fernet is None:
        raise BackupError("BACKUP_ENCRYPTION_KEY n'est pas défini : impossible de chiffrer la sauvegarde.")
    if encrypt is None:
        encrypt = fernet is not None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    with tempfile.TemporaryDirectory(prefix="ribambelle-backup-") as work:
        work_dir = Path(work)
        counts = table_counts()  # before the dump: rows only grow meanwhile on a live site
        version = schema_version()
        dump_name = dump_database(work_dir)
        files_dir = work_dir / "files"
        files = {}
        for name in stored_names():
            local = files_dir / name
            local.parent.mkdir(parents=True, exist_ok=True)
            with default_storage.open(name, "rb") as source, open(local, "wb") as copy:
                shutil.copyfileobj(source, copy)
            files[name] = {"size": local.stat().st_size, "sha256": sha256_of(local)}
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "database": {
                "vendor": connection.vendor,
                "file": dump_name,
                "sha256": sha256_of(work_dir / dump_name),
                "size": (work_dir / dump_name).stat().st_size,
            },
            "schema_version": version,
            "row_counts": counts,
            "files": files,
        }
        (work_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        tar_path = work_dir / "archive.tar"
        with tarfile.open(tar_path, "w") as tar:
            tar.add(work_dir / "manifest.json", arcname="manifest.json")
            tar.add(work_dir / dump_name, arcname=dump_name)
            if files:
                tar.add(files_dir, arcname="files")
        if encrypt:
            final = output_dir / f"{PREFIX}{stamp}.tar.enc"
            final.write_bytes(fernet.encrypt(tar_path.read_bytes()))
        else:
            final = output_dir / f"{PREFIX}{stamp}.tar"
            shutil.move(tar_path, final)
    final.chmod(0o600)
    return final


def archives(output_dir: Path) -> list[Path]:
    """The archives of a folder, oldest first (their names sort by time)."""
    return sorted(p for p in output_dir.glob(f"{PREFIX}*.tar*") if p.suffix in {".tar", ".enc"})


def apply_retention(output_dir: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest archives; returns the deleted ones."""
    old = archives(output_dir)[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return old


# --- Restore ---------------------------------------------------------------------------
def _open_archive(path: Path, work_dir: Path) -> dict:
    data = path.read_bytes()
    if path.suffix == ".enc":
        fernet = _fernet()
        if fernet is None:
            raise BackupError("Sauvegarde chiffrée : définissez BACKUP_ENCRYPTION_KEY pour la restaurer.")
        from cryptography.fernet import InvalidToken

        try:
            data = fernet.decrypt(data)
        except InvalidToken:
            raise BackupError("Clé BACKUP_ENCRYPTION_KEY incorrecte ou archive altérée.") from None
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(work_dir, filter="data")
    manifest = json.loads((work_dir / "manifest.json").read_text())
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"Format d'archive inconnu : {manifest.get('format')}")
    database = manifest["database"]
    if sha256_of(work_dir / database["file"]) != database["sha256"]:
        raise BackupError("La copie de la base ne correspond pas à sa somme de contrôle.")
    for name, info in manifest["files"].items():
        local = work_dir / "files" / name
        if not local.is_file() or sha256_of(local) != info["sha256"]:
            raise BackupError(f"Fichier altéré ou manquant dans l'archive : {name}")
    return manifest


def database_is_empty() -> bool:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if "django_migrations" not in tables:
            return True
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        return cursor.fetchone()[0] == 0


def load_database(work_dir: Path, manifest: dict) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"Sauvegarde {vendor}, base cible {connection.vendor} : restaurez dans le même type de base.")
    source = work_dir / manifest["database"]["file"]
    if vendor == "postgresql":
        connection.close()
        env, args = _pg_env_and_args()
        result = subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args,
             "--dbname", connection.settings_dict["NAME"], str(source)],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode:
            raise BackupError(f"pg_restore a échoué : {result.stderr[-2000:]}")
    else:
        connection.ensure_connection()
        with sqlite3.connect(source) as copy:
            copy.backup(connection.connection)
        copy.close()
        connection.close()


def restore_backup(path: Path, *, allow_non_empty_storage: bool = False) -> dict:
    """Rebuild this (empty) instance from an archive; returns the manifest, after checking it."""
    if not database_is_empty():
        raise BackupError("La base cible n'est pas vide : la restauration se fait dans une instance neuve.")
    if not allow_non_empty_storage and stored_names():
        raise BackupError(
            "Le stockage de fichiers cible n'est pas vide : la restauration se fait dans une instance neuve."
        )
    with tempfile.TemporaryDirectory(prefix="ribambelle-restore-") as work:
        work_dir = Path(work)
        manifest = _open_archive(path, work_dir)
        load_database(work_dir, manifest)
        for name in manifest["files"]:
            with open(work_dir / "files" / name, "rb") as handle:
                saved = default_storage.save(name, File(handle))
            if saved != name:
                raise BackupError(f"Le fichier {name} existe déjà dans le stockage (enregistré sous {saved}).")
    differences = {
        table: (expected, actual)
        for table, expected in manifest["row_counts"].items()
        if (actual := table_counts().get(table)) != expected
    }
    if differences:
        raise BackupError(f"Nombre de lignes différent après restauration : {differences}")
    return manifest
