"""Views read through selectors: no view module of the two interfaces queries the ORM itself
(no `.objects`, no `get_user_model()`, no model class imported to query it). Building an unsaved
instance for a form (`Person(family=…)`) is not a query and stays allowed."""

import ast
import importlib
from pathlib import Path

import pytest
from django.db import models

APPS_DIR = Path(__file__).resolve().parent.parent / "ribambelle"
VIEW_MODULES = sorted(
    path for package in ("backoffice", "portail") for path in (APPS_DIR / package).glob("*.py") if "views" in path.name
)


def _imported_models(tree: ast.Module) -> dict[str, str]:
    """Names bound by `from x import Name` (at any depth) that are Django model classes."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            module = importlib.import_module(node.module)
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if isinstance(value, type) and issubclass(value, models.Model):
                    found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def orm_reads(source: str) -> list[str]:
    tree = ast.parse(source)
    model_names = _imported_models(tree)
    constructed = {
        id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"objects", "_default_manager", "_base_manager"}:
            problems.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "get_user_model":
            problems.append(f"line {node.lineno}: get_user_model()")
        elif isinstance(node, ast.Name) and node.id in model_names and id(node) not in constructed:
            problems.append(f"line {node.lineno}: model {model_names[node.id]} used other than to build an instance")
    return sorted(problems, key=lambda problem: int(problem.split()[1].rstrip(":")))


def test_the_scan_catches_each_kind_of_orm_read():
    source = (
        "from django.contrib.auth import get_user_model\n"
        "from django.shortcuts import get_object_or_404\n"
        "from ribambelle.families.models import Person, PersonRole\n"
        "def view(request):\n"
        "    a = selectors.Booking.objects.filter(pk=1)\n"
        "    b = get_object_or_404(Person, pk=1)\n"
        "    c = get_user_model()\n"
        "    d = Person(role=PersonRole.CHILD)\n"
    )
    assert orm_reads(source) == [
        "line 5: .objects",
        "line 6: model ribambelle.families.models.Person used other than to build an instance",
        "line 7: get_user_model()",
    ]


def test_the_scan_covers_every_view_module():
    names = {path.name for path in VIEW_MODULES}
    assert {"views.py", "family_views.py", "billing_views.py", "booking_views.py"} <= names
    assert len(VIEW_MODULES) >= 15


@pytest.mark.parametrize("path", VIEW_MODULES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_views_do_not_query_the_orm(path):
    assert orm_reads(path.read_text(encoding="utf-8")) == [], "move these reads into a selector"
