"""The package's modules import each other without cycles, even inside functions.

A module that imports a module that imports it back (directly or round a longer circle) works
only as long as one side defers its import, and breaks when someone moves it; keeping the graph
acyclic keeps the layers (config, trajectory, simulator, run driver, checkpoint, front ends,
sweep and command line) honest.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Optional

PACKAGE = "onlinesgd"
SOURCE = Path(__file__).resolve().parents[1] / "python" / PACKAGE


def module_names() -> dict[str, Path]:
    """Every module of the package by name (``__init__`` for the package itself); a compiled
    module is known by its stub (``_core.pyi``) and imports nothing of the package."""
    return {path.stem: path for path in sorted(SOURCE.glob("*.py")) + sorted(SOURCE.glob("*.pyi"))}


def _target(name: str, modules: dict) -> Optional[str]:
    """The package module ``name`` (dotted, relative to the package) stands for, if any."""
    head = name.split(".")[0]
    return head if head in modules else None


def imports_of(path: Path, modules: dict) -> set[str]:
    """The package modules that ``path`` imports anywhere in its body (module level, inside
    functions, classes or ``if TYPE_CHECKING`` blocks): ``from .x import y``, ``from . import x``,
    ``from onlinesgd.x import y``, ``from onlinesgd import x`` and ``import onlinesgd.x``. A name
    taken from the package itself (``from . import __version__``) is an import of ``__init__``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE:
                    found.add(_target(".".join(parts[1:]), modules) or "__init__")
        elif isinstance(node, ast.ImportFrom):
            if node.level > 1:
                raise AssertionError(f"{path.name}: imports from outside the package ({'.' * node.level})")
            if node.level == 1:
                base = node.module or ""
            elif node.module and node.module.split(".")[0] == PACKAGE:
                base = node.module.partition(".")[2]
            else:
                continue  # another package
            if base:
                found.add(_target(base, modules) or "__init__")
            else:  # from . import a, b: submodules, or names the package defines
                found.update(_target(alias.name, modules) or "__init__" for alias in node.names)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {
        name: (imports_of(path, modules) if path.suffix == ".py" else set()) - {name} for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> Optional[list[str]]:
    """A cycle of ``graph`` as ``[a, b, ..., a]``, or None: depth-first search in name order."""
    state: dict[str, str] = {}  # "open" while on the stack, "done" after
    stack: list[str] = []

    def visit(node: str) -> Optional[list[str]]:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_package_modules_are_found():
    graph = import_graph()
    assert {"__init__", "config", "trajectory", "simulate", "checkpoint", "replicas"} <= set(graph)
    assert "config" in graph["trajectory"] and "simulate" in graph["__init__"]


def test_the_search_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle in onlinesgd: " + " -> ".join(cycle)
