"""The house's rules, checked on the code itself: the import contracts of ``.importlinter`` (what
each room may import, docs/ARCHITECTURE.md), no import circle in product code, and no unused
code (ruff's unused-import / unused-variable / undefined-name checks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# Product packages the circle test covers. Extend the list as rooms join the product.
CIRCLE_FREE = ["rules_engine", "connector", "webhooks", "adapters", "sandbox"]
PRODUCT = [*CIRCLE_FREE, "app.py", "migrations/env.py"]


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_every_import_contract_is_kept():
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _circles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


@pytest.mark.parametrize("package", CIRCLE_FREE)
def test_no_import_circle(package):
    graph = grimp.build_graph(package, cache_dir=None)
    assert _circles(graph, set(graph.modules)) == []


def test_a_circle_is_found_when_there_is_one():
    # The test above must be able to fail: a real graph with one circle added.
    graph = grimp.build_graph("connector", cache_dir=None)
    graph.add_import(importer="connector.platform.db", imported="connector.web.users")
    circles = _circles(graph, set(graph.modules))
    assert any({"connector.platform.db", "connector.web.users"} <= set(c) for c in circles)


def test_product_code_has_no_unused_imports_variables_or_undefined_names():
    # Pyflakes' whole F set: F401 unused import, F811 redefined unused name, F841 unused local
    # variable, F821 undefined name, …: the checks that find code nothing uses.
    result = _run(str(BIN / "ruff"), "check", "--no-cache", "--select", "F", "--output-format", "concise",
                  *PRODUCT)
    assert result.returncode == 0, result.stdout + result.stderr
