"""Upgrade with no manual step: the demo database built by an earlier release (commit UPGRADE_FROM,
its own code, migrations and demo), migrated by the current code, keeps its rows, its families'
balances and its main pages. Heavy (about a minute): SQLite, once, in CI's SQLite pass."""

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from .test_settings import ROOT

pytestmark = pytest.mark.heavy

# The earlier release whose demo database must upgrade: move it forward at each release.
UPGRADE_FROM = "62ea634"
# Rows that are not the organisations' data: Django's registries of models (new models add some) and
# what the snapshot's own logins leave (sessions, login records).
BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission", "django_session", "axes_accesslog"}
SNAPSHOT = (Path(__file__).parent / "upgrade_snapshot.py").read_text()


def run(tree: Path, args: list[str], env: dict) -> str:
    result = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{args} in {tree}:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def test_the_previous_release_demo_upgrades_unchanged(tmp_path):
    if subprocess.run(["git", "cat-file", "-e", f"{UPGRADE_FROM}^{{commit}}"], cwd=ROOT).returncode:
        pytest.skip(f"commit {UPGRADE_FROM} absent (shallow clone?)")
    old_tree = tmp_path / "old"
    old_tree.mkdir()
    archive = tmp_path / "old.tar"
    subprocess.run(["git", "archive", "--output", str(archive), UPGRADE_FROM], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(old_tree, filter="data")

    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{var / 'upgrade.sqlite3'}",
            "RIBAMBELLE_VAR_DIR": str(var),
            "DJANGO_SETTINGS_MODULE": "ribambelle.config.settings",
            "PYTHONPATH": "",
        }
    )
    python = sys.executable
    # The old release builds its demo with its own code.
    run(old_tree, [python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    run(old_tree, [python, "manage.py", "load_demo"], env)
    probe = run(old_tree, [python, "-c", "import ribambelle, sys; print(ribambelle.__file__)"], env)
    assert probe.strip().startswith(str(old_tree)), f"the old tree did not run its own code: {probe}"
    before = json.loads(run(old_tree, [python, "-c", SNAPSHOT], env).splitlines()[-1])

    # The current code migrates it, with no manual step.
    run(ROOT, [python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    after = json.loads(run(ROOT, [python, "-c", SNAPSHOT], env).splitlines()[-1])

    assert before["balances"] and after["balances"] == before["balances"]
    changed = {
        table: (count, after["rows"].get(table))
        for table, count in before["rows"].items()
        if table not in BOOKKEEPING and after["rows"].get(table) != count
    }
    assert not changed, f"rows changed by the upgrade: {changed}"
    # 302: a family login not yet through its first-login consent page is sent there, before and after.
    assert before["pages"] and set(before["pages"].values()) <= {200, 302}, before["pages"]
    assert all(status == 200 for url, status in before["pages"].items() if "/gestion/" in url)
    assert after["pages"] == before["pages"]
