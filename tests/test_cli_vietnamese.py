"""What a clerk reads in the terminal (issue 17, item 4): Vietnamese labels of the workflow —
never ids like 'remind_before_due' —, dd/mm/yyyy, and text that wraps at the terminal's width
instead of being cut in the middle of a word or a name."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from dondoc.cli.demo import run_demo
from dondoc.cli.main import app

NARROW = {"COLUMNS": "80"}
LONG_TITLE = "Báo cáo tự đánh giá việc khắc phục tồn tại, hạn chế - Hoàng Thị Luyến"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('vi') / 'demo.db'}"
    run_demo(url, Console(file=io.StringIO())).db.dispose()
    yield url


def cli(*args: str, width: int = 80) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.output


def words(output: str) -> str:
    """What a reader reads in a rich table: each column's lines joined in order (a wrapped
    cell reads as one text), the columns one after the other; other lines as they are."""
    columns: dict[int, list[str]] = {}
    plain: list[str] = []
    for line in output.splitlines():
        if "│" in line or "┃" in line:
            for k, cell in enumerate(re.split(r"[│┃]", line)[1:-1]):
                if cell.strip():
                    columns.setdefault(k, []).append(cell.strip())
        elif not re.fullmatch(r"[\s┏┓┗┛┡┩└┘━─╇┳┻┴┬┼]*", line):
            plain.append(line.strip())
    return " | ".join([*(" ".join(v) for _, v in sorted(columns.items())), *plain])


def test_a_timeline_shows_labels_and_names_not_ids(demo_db: str) -> None:
    shown = cli("directives", "show", "7", "--db", demo_db, width=120)
    for raw in (
        "remind_before_due",
        "overdue_at_due",
        "escalate_to_assigner",
        "mark_overdue",
        "in_progress",
        "system:scheduler",
        "created",
        "(disciplined)",
    ):
        assert raw not in shown, raw
    text = words(shown)
    for label in (
        "Nhắc việc trước hạn",
        "Báo cáo vượt cấp lên người giao nhiệm vụ",
        "Quyết định hình thức kỷ luật",
        "Đã xem xét - xử lý kỷ luật",
        "Hoàng Thị Luyến – Phó Chánh Thanh tra",
        "Người được giao",
        "26/06/2024 08:00",
    ):
        assert label in text, label


def test_stats_heads_its_first_column_in_vietnamese(demo_db: str) -> None:
    shown = cli("stats", "--db", demo_db)
    assert "Đơn vị chủ trì" in words(shown) and "lead_u" not in shown
    assert "Người thực hiện" in words(cli("stats", "--by", "assignee", "--db", demo_db))


@pytest.mark.parametrize("width", [60, 80, 120])
def test_titles_wrap_at_the_terminal_width_and_are_never_cut(demo_db: str, width: int) -> None:
    shown = cli("directives", "list", "--db", demo_db, width=width)
    assert all(len(line) <= width for line in shown.splitlines())
    assert LONG_TITLE in words(shown)
    assert "…" not in shown


def test_the_demo_prints_whole_titles_within_the_width(tmp_path: Path) -> None:
    buffer = io.StringIO()
    run_demo(
        f"sqlite:///{tmp_path / 'd.db'}", Console(file=buffer, width=90, highlight=False)
    ).db.dispose()
    shown = buffer.getvalue()
    assert all(len(line) <= 90 for line in shown.splitlines())
    assert "…" not in shown
    assert shown.count("Hoàng Thị Luyến") >= 3 and LONG_TITLE in words(shown)
    assert "Nhắc việc trước hạn" in shown and "remind_before_due" not in shown


def test_outbox_and_workflows_list_speak_vietnamese(demo_db: str) -> None:
    outbox = cli("outbox", "--db", demo_db, width=120)
    assert "chờ gửi" in outbox and "pending" not in outbox
    listed = words(cli("workflows", "list"))
    assert "quy trình" in listed and "phiên bản" in listed and "version" not in listed
