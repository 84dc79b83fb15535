"""`make run` on a fresh machine installs what running needs, not the test tools (issue 14, 16)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make absent")


def planned(target: str) -> str:
    # -n prints the recipe without running it; -B plans it as on a fresh clone (no stamp yet).
    return subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_make_run_installs_the_application_without_the_test_extras():
    installs = [line for line in planned("run").splitlines() if "pip install" in line and "--upgrade pip" not in line]
    assert installs and all(line.rstrip().endswith("-e .") for line in installs), installs


def test_make_test_installs_the_test_extras():
    assert "-e '.[test]'" in planned("test")
