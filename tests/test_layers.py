"""The layers hold by construction: the apps the communication features are built on
(families, registrations, billing…) queue e-mails through `ribambelle.outbox`, the
infrastructure at the bottom, and never import `ribambelle.communication`."""

import ast
import sys
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
    "helios",
    "caf",
]


def imported_modules(path: Path, nodes=None) -> list[tuple[int, str]]:
    """Every module a file imports, absolute or relative, at any depth (lazy imports too),
    or among `nodes` only."""
    package = ".".join(path.relative_to(APPS_DIR.parent).with_suffix("").parts[:-1])
    found = []
    for node in nodes if nodes is not None else ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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


def test_the_outbox_builds_on_core_only():
    """At the bottom of the layers: every app may queue an e-mail, the outbox depends on none."""
    offending = [
        f"{path.relative_to(APPS_DIR.parent)}:{line} imports {name}"
        for path in sorted((APPS_DIR / "outbox").rglob("*.py"))
        for line, name in imported_modules(path)
        if name.startswith("ribambelle.") and not name.startswith(("ribambelle.core.", "ribambelle.outbox."))
    ]
    assert not offending, "\n".join(offending)


def _module_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports when it is loaded (top-level imports only)."""
    modules = {}
    for path in APPS_DIR.rglob("*.py"):
        parts = path.relative_to(APPS_DIR.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in modules.items():
        top_level = [
            n for n in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(n, ast.Import | ast.ImportFrom)
        ]
        found = {resolve(name) for _line, name in imported_modules(path, nodes=top_level)}
        graph[module] = found - {None, module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for node in list(graph):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a.services": {"b.services"}, "b.services": {"a.services"}, "c": {"a.services"}}) == [
        ["a.services", "b.services"]
    ]


def test_services_and_tasks_are_free_of_import_cycles():
    cycles = [cycle for cycle in _cycles(_module_graph()) if any(m.endswith((".services", ".tasks")) for m in cycle)]
    assert not cycles, cycles
