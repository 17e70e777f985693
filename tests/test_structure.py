"""The house rules of engine/ that code review alone would not keep: no import circles, a pure
core, rooms of a readable size, and a public face that holds every name the docs use."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import dondoc

ENGINE = Path(__file__).resolve().parent.parent / "engine"
ROOT = ENGINE.parent
PURE = ("core", "deadlines", "documents", "extraction", "evaluation")
FORBIDDEN_IN_PURE = ("sqlalchemy", "apscheduler", "fastapi", "starlette", "uvicorn", "alembic")
MAX_LINES = 700
TOP_LEVEL_MODULES = {"__init__.py", "errors.py", "clock.py", "worker.py", "testing.py"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in ENGINE.rglob("*.py"):
        rel = path.relative_to(ENGINE)
        if "migrations" in rel.parts:
            continue
        parts = ["dondoc", *rel.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Modules of dondoc that ``module`` imports, at any depth of its code."""
    out: set[str] = set()
    package = _package_of(module, path)
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("dondoc"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in known else target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("dondoc"))
    return {m for m in out if m in known and m != module}


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {m: _imports(m, p, known) for m, p in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_in_engine() -> None:
    graph = _graph()
    # The façade package imports everything; a module importing it back would be a circle
    # the finder must see, so it stays in the graph.
    assert "dondoc" in graph and "dondoc.service.engine" in graph
    assert _cycles(graph) == []


def test_the_pure_core_imports_no_database_scheduler_or_web_framework() -> None:
    offenders = []
    for path in ENGINE.rglob("*.py"):
        rel = path.relative_to(ENGINE)
        if rel.parts[0] not in PURE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            offenders += [
                f"{rel}: {n}" for n in names if n.split(".")[0] in FORBIDDEN_IN_PURE
            ]
    assert offenders == []
    # …and nothing of the pure parts reaches an impure one through dondoc's own modules.
    graph = _graph()
    impure = ("dondoc.store", "dondoc.service", "dondoc.web", "dondoc.cli", "dondoc.worker")
    for mod, deps in graph.items():
        if mod.split(".")[1:2] and mod.split(".")[1] in PURE:
            assert not [d for d in deps if d.startswith(impure)], mod


def test_rooms_of_a_readable_size() -> None:
    big = {
        str(p.relative_to(ROOT)): n
        for p in ENGINE.rglob("*.py")
        if "migrations" not in p.parts and (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert big == {}
    top = {p.name for p in ENGINE.glob("*.py")}
    assert top <= TOP_LEVEL_MODULES, top - TOP_LEVEL_MODULES


@pytest.mark.parametrize("name", dondoc.__all__)
def test_every_public_name_resolves(name: str) -> None:
    if name == "create_app":
        pytest.importorskip("fastapi", reason="create_app needs the server extra")
    assert getattr(dondoc, name) is not None


def _doc_imports() -> list[tuple[str, str, str]]:
    """(file, module, name) for every ``from dondoc… import …`` in README.md and docs/*.md."""
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text()
        for m in re.finditer(r"^\s*from (dondoc[\w.]*) import \(?([\w, \n]+)\)?", text, re.M):
            for name in m.group(2).replace("\n", " ").split(","):
                if name.strip():
                    found.append((doc.name, m.group(1), name.strip().split(" ")[0]))
    return found


def test_the_docs_import_only_names_that_exist() -> None:
    found = _doc_imports()
    assert len(found) >= 5  # the README's embedding example and docs/architecture.md
    missing = []
    for doc, module, name in found:
        if name == "create_app":
            pytest.importorskip("fastapi")
        if not hasattr(importlib.import_module(module), name):
            missing.append(f"{doc}: from {module} import {name}")
    assert missing == []
