"""Docs that run (issue 17): every ``dondoc …`` line of a fenced bash block in README.md and
docs/*.md runs, in order, in a scratch directory on SQLite, and exits 0, and every Python block
runs — an example that stops working fails the suite (README's and docs/embedding.md's Python
blocks, with their printed results, are in tests/test_doc_examples.py). A page's YAML blocks that start with ``# NAME.yaml`` become those files
(the people directory and office profile the page shows); the few inputs a page names without
showing them are given here, and every line not run says why (SKIP)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: Lines not run, by a piece of their text, and why.
SKIP = {
    "dondoc serve": "starts the HTTP server and runs until stopped (tests/test_api.py covers it)",
    "dondoc worker --db postgresql": "runs until stopped, on the office's PostgreSQL server",
    "db.internal": "names the office's own PostgreSQL server",
    "/var/lib/dondoc": "a deployment's own paths (the runbook)",
    "/backup/": "the deployment's backup folder and database host (the runbook)",
}
#: What a page assumes was done before its examples (said in its text).
PRELUDE = {
    # "directive 7" and "--db URL": the demo's database stopped early, as the page's text says
    "documents.md": ["dondoc demo --db sqlite:///demo.db --until 2024-07-05"],
}
#: The environment a page assumes.
ENV = {"migration.md": {"DONDOC_WORKFLOWS": str(DATA / "migration")}}
#: Placeholders a page uses for values the reader supplies.
PLACEHOLDERS = {"--db URL": "--db sqlite:///demo.db"}
#: Commands that ask on a terminal; the test has none and answers with --yes.
INTERACTIVE = ("dondoc import ",)


def commands(page: Path) -> list[str]:
    """The ``dondoc`` lines of the page's bash blocks, continuation lines joined."""
    text = page.read_text(encoding="utf-8")
    lines: list[str] = []
    for block in re.findall(r"```(?:bash|sh|shell)\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("dondoc "):
                lines.append(re.sub(r"\s+#.*$", "", line.strip()))
    return lines


def named_yaml_blocks() -> dict[str, str]:
    """The YAML blocks of every page whose first line is ``# NAME.yaml``."""
    files: dict[str, str] = {}
    for page in PAGES:
        for block in re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            if (m := re.match(r"# ([\w.-]+\.yaml)\n", block)) is not None:
                files.setdefault(m.group(1), block)
    return files


def inputs(where: Path) -> None:
    """The files the pages name: those they show, and the conclusion documents they read."""
    for name, text in named_yaml_blocks().items():
        (where / name).write_text(text, encoding="utf-8")
    if not (where / "units.yaml").exists():
        shutil.copy(DATA / "units.yaml", where / "units.yaml")
    seed = next((DATA / "seeds").glob("000_*.txt")).read_text(encoding="utf-8")
    (where / "ket-luan.txt").write_text(seed, encoding="utf-8")
    from docx import Document

    doc = Document()
    for paragraph in seed.splitlines():
        doc.add_paragraph(paragraph)
    doc.save(str(where / "ket-luan.docx"))


def runnable(page: Path) -> list[str]:
    return [c for c in commands(page) if not any(s in c for s in SKIP)]


@pytest.mark.parametrize("page", [p for p in PAGES if runnable(p)], ids=lambda p: p.name)
def test_the_pages_shell_examples_run(page: Path, tmp_path: Path) -> None:
    inputs(tmp_path)
    env = {
        **os.environ,
        **ENV.get(page.name, {}),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "120",
    }
    env.pop("DONDOC_DB", None)
    ran = 0
    for line in [*PRELUDE.get(page.name, []), *runnable(page)]:
        for placeholder, value in PLACEHOLDERS.items():
            line = line.replace(placeholder, value)
        if line.startswith(INTERACTIVE) and "--yes" not in line:
            line += " --yes"
        r = subprocess.run(
            ["bash", "-c", line],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
        assert r.returncode == 0, f"{page.name}: `{line}` exited {r.returncode}: {r.stderr}"
        assert "Traceback" not in r.stderr
        ran += 1
    assert ran > 0


def test_every_line_not_run_says_why() -> None:
    skipped = [c for p in PAGES for c in commands(p) if any(s in c for s in SKIP)]
    assert any("dondoc serve" in c for c in skipped)  # the README's server line
    assert all(any(s in c for s in SKIP) for c in skipped)


#: Python blocks covered by tests/test_doc_examples.py (with what they print).
PYTHON_ELSEWHERE = {"README.md", "embedding.md"}
#: What a page's fragment uses that its text introduced earlier.
PYTHON_CONTEXT = {
    "security.md": "from dondoc import Actor\nactor = Actor.of('thang', 'assigner')\n",
    "scheduling.md": (
        "from dondoc import Actor, Engine, NewDirective\n"
        "engine = Engine('sqlite:///dondoc.db')\n"
        "board = Actor.of('thang', 'assigner')\n"
    ),
}


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize(
    "page",
    [p for p in PAGES if python_blocks(p) and p.name not in PYTHON_ELSEWHERE],
    ids=lambda p: p.name,
)
def test_the_pages_python_examples_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the examples make their SQLite files in the current folder
    shutil.copytree(DATA / "migration", tmp_path / "workflows")  # migration.md's admin folder
    namespace: dict[str, object] = {"__name__": "example"}
    exec(PYTHON_CONTEXT.get(page.name, ""), namespace)  # our own docs
    for block in python_blocks(page):
        exec(compile(textwrap.dedent(block), f"{page.name} example", "exec"), namespace)
