"""The shape of the code: an acyclic graph of areas, billing's Stripe kept behind its own modules, a quiet import.

The areas (the packages and top-level modules of dealflow) depend on each other in one direction only:

    wiring         dealflow/__init__.py (the factory), cli.py, web.py (hooks, template helpers), demo.py, errors.py
    pages          admin, main, review, investors, privacy  (each may use anything below it)
    deals          matches (intro requests and their progress)
    billing        plans and limits; its pages use auth's guards
    startups       profiles, uploads, the status machine; they count into evidence
    evidence       the ledger, its rollups and the public dashboard
    accounts       auth (sessions, guards, account rules), notifications
    shared         models, extensions, reference, audit, labels, countries, fragments, forms, http, numbers, ...

An area may import a lower one, never a higher one; an import hidden inside a function to dodge a cycle is
refused by ruff (PLC0415). These tests read the source with ast, so they see every import, also those that
only run later, and fail naming the imports that close a cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dealflow"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every dealflow module the file names in an import, wherever the import is."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("dealflow."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "dealflow":
                yield from (f"dealflow.{alias.name}" for alias in node.names)
            elif node.module.startswith("dealflow."):
                yield node.module
                yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _module_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: {target for target in _imports(path) if target in modules} for name, path in modules.items()}


def _area(module: str) -> str:
    return module.split(".")[1] if "." in module else "dealflow"


def _area_graph() -> dict[str, dict[str, list[str]]]:
    """Area -> the areas it imports, each with the imports that make the edge."""
    graph: dict[str, dict[str, list[str]]] = {}
    for module, targets in _module_graph().items():
        for target in targets:
            if _area(module) != _area(target):
                graph.setdefault(_area(module), {}).setdefault(_area(target), []).append(f"{module} -> {target}")
    return graph


def _find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """One cycle of areas as a path that ends where it starts, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(area: str) -> list[str] | None:
        if area in path:
            return [*path[path.index(area) :], area]
        if area in done:
            return None
        path.append(area)
        for target in sorted(graph.get(area, {})):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(area)
        return None

    for area in sorted(graph):
        cycle = visit(area)
        if cycle:
            return cycle
    return None


def test_the_areas_import_each_other_in_one_direction_only() -> None:
    graph = _area_graph()
    cycle = _find_cycle(graph)
    edges = [f"{a} -> {b}: {sorted(graph[a][b])[:3]}" for a, b in zip(cycle or [], (cycle or [])[1:], strict=False)]
    assert cycle is None, "the areas import each other in a circle:\n" + "\n".join(edges)
    # The graph is the real one, not an empty reading of it.
    assert "billing" in graph["matches"]
    assert "evidence" in graph["startups"]
    assert "startups" not in graph.get("evidence", {})


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b": ["a.x -> b.y"]}, "b": {"c": ["b.y -> c.z"]}, "c": {"a": ["c.z -> a.x"]}}
    assert _find_cycle(graph) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b": []}, "b": {}}) is None


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += graph.get(module, set())
    return seen


STRIPE_FREE_BILLING = {"dealflow.billing", "dealflow.billing.plans", "dealflow.billing.queries"}
WIRING = {"dealflow", "dealflow.cli"}  # the factory mounts billing's pages; `flask billing sync-plans` calls Stripe


def test_other_areas_ask_only_billing_plans_which_never_reach_stripe() -> None:
    graph = _module_graph()
    outside = {
        f"{module} -> {target}"
        for module, targets in graph.items()
        if not module.startswith("dealflow.billing") and module not in WIRING
        for target in targets
        if target.startswith("dealflow.billing") and target not in STRIPE_FREE_BILLING
    }
    assert outside == set(), "only billing.plans and billing.queries are for other areas"
    for module in ("dealflow.billing.plans", "dealflow.billing.queries"):
        reached = _reachable(graph, module)
        assert "dealflow.billing.gateway" not in reached
        assert not {name for name in reached if name.startswith("dealflow.billing")} - STRIPE_FREE_BILLING
        source = (PACKAGE / "billing" / f"{module.rsplit('.', 1)[1]}.py").read_text(encoding="utf-8")
        assert "import stripe" not in source


QUIET_IMPORT = """
import pkgutil
import socket

import flask

def refuse(*args, **kwargs):
    raise AssertionError("importing dealflow reached for the network or made an app")

socket.socket.connect = refuse
socket.create_connection = refuse
flask.Flask.__init__ = refuse

import dealflow

names = [info.name for info in pkgutil.walk_packages(dealflow.__path__, "dealflow.")]
for name in names:
    __import__(name)
print(len(names))
"""


def test_importing_every_module_makes_no_app_and_opens_no_connection() -> None:
    done = subprocess.run(
        [sys.executable, "-c", QUIET_IMPORT], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 80  # every module of the package, not a few
