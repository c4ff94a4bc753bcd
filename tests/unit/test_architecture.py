"""The core's shape, read from its imports: no cycle between ledger's packages, no private reach.

Each module under ``ledger/`` is parsed with :mod:`ast`; nothing is imported or run.
A "package" here is the first name under ``ledger`` (``ledger.store``, ``ledger.audit``,
``ledger.service``, ...): a cycle among those is two layers that each need the other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

LEDGER = Path(__file__).resolve().parents[2] / "ledger"


def module_name(path: Path) -> str:
    """The dotted name of a module file under ``ledger/``."""
    parts = path.relative_to(LEDGER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolved(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a ``from ... import`` names, relative imports included."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """Each (module imported, names taken from it, line) in one file, nested imports included."""
    module = module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = resolved(node, module, path.name == "__init__.py")
            yield target, [alias.name for alias in node.names], node.lineno


def package_of(module: str) -> str | None:
    """``ledger.store.sql`` -> ``ledger.store``; None outside the ledger."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "ledger" and len(parts) > 1 else None


def package_graph() -> dict[str, set[str]]:
    """Which of ledger's packages each package imports (itself left out)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(LEDGER.rglob("*.py")):
        source = package_of(module_name(path))
        if source is None:
            continue
        edges = graph.setdefault(source, set())
        for target, _, _ in imports(path):
            imported = package_of(target)
            if imported is not None and imported != source:
                edges.add(imported)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one package (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for neighbour in sorted(graph.get(node, ())):
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def private_imports() -> list[str]:
    """``from X import _name`` inside ledger/ where X is another module (a package's own is fine)."""
    found = []
    for path in sorted(LEDGER.rglob("*.py")):
        module = module_name(path)
        for target, names, line in imports(path):
            if not target.startswith("ledger") or target == module:
                continue
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    found.append(f"{path.relative_to(LEDGER.parent)}:{line} imports {target}.{name}")
    return found


def test_the_cycle_finder_finds_a_cycle_it_is_shown() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_two_of_ledgers_packages_import_each_other() -> None:
    assert cycles(package_graph()) == []


def test_no_module_in_ledger_imports_another_modules_private_names() -> None:
    assert private_imports() == []


def test_the_log_format_is_a_leaf_the_store_and_the_audit_share() -> None:
    """``ledger.tlog`` needs nothing of the ledger but its errors: both sides may import it."""
    graph = package_graph()
    assert graph["ledger.tlog"] <= {"ledger.errors"}
    assert "ledger.tlog" in graph["ledger.store"] and "ledger.tlog" in graph["ledger.audit"]
    assert "ledger.audit" not in graph["ledger.store"]


def test_the_core_never_imports_the_http_layer() -> None:
    reaching_out = [
        f"{path.relative_to(LEDGER.parent)}:{line}"
        for path in sorted(LEDGER.rglob("*.py"))
        for target, _, line in imports(path)
        if target.split(".")[0] in {"api", "fastapi", "starlette", "ledger_cli"}
    ]
    assert reaching_out == []


@pytest.mark.parametrize("relative", [0, 1, 2])
def test_relative_imports_resolve_to_the_module_they_name(relative: int) -> None:
    node = ast.ImportFrom(module="merkle", names=[ast.alias("x")], level=relative or 0)
    expected = {0: "merkle", 1: "ledger.audit.merkle", 2: "ledger.merkle"}[relative]
    assert resolved(node, "ledger.audit.log", is_package=False) == expected
