"""No import circle inside ``adapters/`` or ``sandbox/``, and neither imports a room it may not
(ARCHITECTURE: adapters never import connector, webhooks or the sandbox; the sandbox imports
nothing of the product).

Strict on purpose: imports under ``TYPE_CHECKING`` and inside functions count, and
``from package import name`` counts as importing the package too (its ``__init__`` runs and is
asked for the name), so a package whose ``__init__`` imports a module that imports the package
back is a circle here."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"adapters": ("connector", "webhooks", "sandbox", "app"),
             "sandbox": ("adapters", "connector", "webhooks", "rules_engine", "app")}


def modules(package: str, root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for path in (root / package).rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path) -> set[str]:
    """Every absolute module name ``path`` imports (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def graph_of(mods: dict[str, Path]) -> dict[str, set[str]]:
    return {name: {m for m in imported(name, path) if m in mods and m != name} for name, path in mods.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_circle_and_no_forbidden_room(package):
    mods = modules(package)
    assert circles(graph_of(mods)) == []
    reaching = sorted((name, m) for name, path in mods.items() for m in imported(name, path)
                      if m.split(".")[0] in FORBIDDEN[package])
    assert reaching == []


def test_the_checker_sees_a_package_circle(tmp_path):
    """The check can fail: a package whose __init__ imports a module that imports it back."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from pkg.a import x\n")
    (tmp_path / "pkg" / "a.py").write_text("from pkg import b\nx = 1\n")
    (tmp_path / "pkg" / "b.py").write_text("")
    assert circles(graph_of(modules("pkg", tmp_path))) == [["pkg", "pkg.a"]]
