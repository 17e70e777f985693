"""Help as a clerk reads it (issue 17): every option explained in Vietnamese, no type names such
as ``<bool>`` or ``<list[Path]>`` on plain flags, ``dondoc --version``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from dondoc.cli import app
from dondoc.cli.helptext import COMMAND_HELP

VIETNAMESE = re.compile(
    r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I
)


def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, (*path, name))


ROOT = typer.main.get_command(app)
ALL = [path for path, _ in commands(ROOT)]


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "dondoc")
def test_every_option_is_explained_in_vietnamese(path: tuple[str, ...]) -> None:
    command = dict(commands(ROOT))[path]
    for param in command.params:
        if not param.__class__.__name__.endswith("Option") or getattr(param, "hidden", False):
            continue
        assert param.help and VIETNAMESE.search(param.help), (path, param.opts, param.help)
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for ugly in ("<bool>", "<list[", "<str>", "<int>", "<Path>", "<path>", "BOOLEAN"):
        assert ugly not in result.output, (path, ugly)
    assert "Xem hướng dẫn này rồi thoát." in result.output


def test_every_command_is_described_in_vietnamese() -> None:
    described = {" ".join(path) for path in ALL if path}
    assert described == set(COMMAND_HELP)
    result = CliRunner().invoke(app, ["directives", "--help"], env={"COLUMNS": "200"})
    assert "Liệt kê nhiệm vụ, từng trang" in result.output


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and re.fullmatch(r"dondoc \d+\.\d+\.\d+\S*\n", result.stdout)
