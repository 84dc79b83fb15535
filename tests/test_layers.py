"""The layers hold by construction: the apps the communication features are built on
(families, registrations, billing…) queue e-mails through `ribambelle.outbox`, the
infrastructure at the bottom, and never import `ribambelle.communication`."""

import ast
from pathlib import Path

import pytest

APPS_DIR = Path(__file__).resolve().parent.parent / "ribambelle"
BELOW_COMMUNICATION = [
    "core",
    "tenancy",
    "outbox",
    "accounts",
    "families",
    "activities",
    "registrations",
    "bookings",
    "documents",
    "billing",
    "payments",
]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, absolute or relative, at any depth (lazy imports too)."""
    package = ".".join(path.relative_to(APPS_DIR.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def test_the_scan_sees_absolute_relative_and_lazy_imports():
    sample = APPS_DIR / "billing" / "services.py"
    modules = [name for _line, name in imported_modules(sample)]
    assert "ribambelle.outbox.services.queue_email" in modules
    assert any(name.startswith("ribambelle.billing.") for name in modules)  # "from .models import …"


@pytest.mark.parametrize("app", BELOW_COMMUNICATION)
def test_lower_apps_never_import_the_communication_features(app):
    offending = [
        f"{path.relative_to(APPS_DIR.parent)}:{line} imports {name}"
        for path in sorted((APPS_DIR / app).rglob("*.py"))
        for line, name in imported_modules(path)
        if name == "ribambelle.communication" or name.startswith("ribambelle.communication.")
    ]
    assert not offending, "Queue e-mails through ribambelle.outbox:\n" + "\n".join(offending)
