"""The embedding examples of the README and docs/embedding.md run as written (in a scratch
directory: they create their SQLite files in the current one)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def python_blocks(path: Path, section: str | None = None) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if section is not None:
        text = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def run(blocks: list[str]) -> str:
    namespace: dict[str, object] = {"__name__": "example"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, "example", "exec"), namespace)  # our own docs
    return out.getvalue()


def test_readme_embedding_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(ROOT / "README.md", "Embedding")
    assert len(blocks) == 2
    printed = run(blocks).splitlines()
    assert printed[0] == "[None, 'start', 'submit_self_assessment', 'accept'] True"
    assert printed[1] == "đã giao nhiệm vụ 1"  # office.db: the hook, after the host's commit


def test_embedding_doc_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(ROOT / "docs" / "embedding.md")
    # the host's transaction, and the time machine (the hooks block names the host's own code)
    run([blocks[0], blocks[2]])
    run([blocks[3]])  # what a person must do
