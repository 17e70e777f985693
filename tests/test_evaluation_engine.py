"""Evaluation from tracked work, end to end on the seed-000 demo (the Inspection office of the
Đắk Nông Department of Information and Communications, Q2/2024).

Expected by hand from the demo's script (engine/cli/demo.py), the deadline rules of
docs/deadlines.md ("trước ngày D": the last allowed day is D − 1; "trong tháng 4/2024": 30/04)
and the Decree 335 rules:
- The seal hand-over "trước ngày 01/04/2024" is due 31/03: Q1, not Q2. The self-assessments
  "Trước ngày 01/07/2024" are due 30/06: Q2.
- Nguyễn Phương: case 1 (due 30/04, done 22/04), case 2 (due 30/04, done 26/04), his
  self-assessment (due 30/06, submitted 24/06): all on time → a = b = c = 100 %, task points
  (100+100+100)/3 × 70 % = 70.
- Hoàng Thị Luyến: case 3 (due 30/04, done 08/05): late once, not excused → its progress
  points lose 25 % (art. 14(2)(c)); her self-assessment (due 30/06, submitted 09/07) is open
  and overdue at the end of the quarter → counted, no credit (policy default) →
  a = b = 1/2 = 50 %, c = 0.75/2 = 37.5 %, task points (50+50+37.5)/3 × 70 % = 32.08.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner

from dondoc.cli.demo import run_demo
from dondoc.cli.main import app
from dondoc.core.actors import Actor
from dondoc.service.engine import Engine


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('eval') / 'demo.db'}"
    run_demo(url, Console(file=io.StringIO()))
    return url


def test_q2_2024_one_leader_late(demo_db: str) -> None:
    report = Engine(demo_db).evaluate("2024-Q2", general={"phuong": {"general": 25}})
    rows = {r.subject: r for r in report.rows}
    assert set(rows) == {"phuong", "luyen"}
    p, luyen = rows["phuong"].score, rows["luyen"].score
    assert (p.quantity_pct, p.quality_pct, p.progress_pct) == (100, 100, 100)
    assert p.task_points == pytest.approx(70)
    assert p.total == pytest.approx(95) and p.band() == "hoan_thanh_xuat_sac"
    assert (luyen.quantity_pct, luyen.quality_pct, luyen.progress_pct) == (50, 50, 37.5)
    assert luyen.task_points == pytest.approx(32.0833, abs=1e-4)
    assert luyen.total is None and luyen.band() is None  # no general points given
    late = next(ln for ln in luyen.lines if ln.quantity)
    open_ = next(ln for ln in luyen.lines if not ln.quantity)
    assert late.delays == 1 and late.output.completed.isoformat() == "2024-05-08"
    assert rows["luyen"].directives[int(late.output.id)].title.startswith("Theo dõi việc thực hiện")
    # submitted 09/07, after the quarter: open at its end
    assert (
        open_.output.due.isoformat() == "2024-06-30"
        and open_.reason == "chưa hoàn thành khi hết kỳ"
    )
    assert luyen.counts() == {
        "on_time": 0,
        "late": 1,
        "late_excused": 0,
        "open_overdue": 1,
        "deferred": 0,
    }


def test_against_a_gentler_policy_the_open_output_waits(demo_db: str) -> None:
    from dondoc.evaluation import EvaluationPolicy

    report = Engine(demo_db).evaluate("2024-Q2", policy=EvaluationPolicy(open_overdue="defer"))
    luyen = next(r.score for r in report.rows if r.subject == "luyen")
    # only case 3 counts: a = b = 100 %, c = 75 % → (100+100+75)/3 × 70 % = 64.17
    assert luyen.task_points == pytest.approx(64.1667, abs=1e-4)
    assert luyen.counts()["deferred"] == 1


def test_a_reprimand_and_the_first_quarter(demo_db: str) -> None:
    engine = Engine(demo_db)
    report = engine.evaluate("2024-Q2", general={"luyen": {"general": 30, "disqualified": True}})
    luyen = next(r.score for r in report.rows if r.subject == "luyen")
    assert luyen.total == pytest.approx(62.0833, abs=1e-4)  # would be "hoàn thành"…
    assert luyen.band() == "khong_hoan_thanh"  # …but khiển trách in the year: art. 20(4)(c)
    (q1,) = engine.evaluate("2024-03").rows  # the seal, due 31/03, done 29/03
    assert q1.subject == "phuong" and q1.score.progress_pct == 100


def test_by_unit(demo_db: str) -> None:
    (row,) = Engine(demo_db).evaluate("2024-Q2", by="unit").rows
    assert row.subject == "Thanh tra Sở"
    # five outputs: three on time, case 3 late (0.75), Luyến's self-assessment open (0):
    # a = b = 4/5 = 80 %, c = 3.75/5 = 75 %, task points (80+80+75)/3 × 70 % = 54.83
    s = row.score
    assert (s.quantity_pct, s.quality_pct, s.progress_pct) == (80, 80, 75)
    assert s.task_points == pytest.approx(54.8333, abs=1e-4)


def test_cli_json_and_xlsx(demo_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app, ["evaluate", "--period", "2024-Q2", "--db", demo_db, "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["period_label"] == "quý II/2024"
    luyen = next(r for r in data["rows"] if r["subject"] == "luyen")
    assert luyen["counts"]["late"] == 1 and round(luyen["task_points"], 2) == 32.08
    assert {o["due"] for o in luyen["outputs"]} == {"2024-04-30", "2024-06-30"}
    out = tmp_path / "q2.xlsx"
    res = runner.invoke(
        app,
        ["evaluate", "--period", "2024-Q2", "--db", demo_db, "--format", "xlsx", "-o", str(out)],
    )
    assert res.exit_code == 0, res.output
    wb = load_workbook(out)
    summary, detail = wb["Tổng hợp"], wb["Chi tiết"]
    assert summary.freeze_panes == "A2" and summary.auto_filter.ref
    header = [c.value for c in summary[1]]
    assert "Tiến độ (%)" in header and "Xếp loại" in header
    names = {row[0].value for row in summary.iter_rows(min_row=2)}
    assert names == {"phuong", "luyen"} or any("Luyến" in n for n in names)
    dheader = [c.value for c in detail[1]]
    due_col = dheader.index("Hạn hiện tại")
    done_col = dheader.index("Ngày hoàn thành")
    late = [r for r in detail.iter_rows(min_row=2) if r[dheader.index("Số lần chậm")].value == 1]
    assert len(late) == 1
    assert late[0][due_col].is_date and late[0][due_col].value.date().isoformat() == "2024-04-30"
    assert late[0][done_col].value.date().isoformat() == "2024-05-08"


def test_cli_errors_are_one_line(demo_db: str) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["evaluate", "--period", "2024-Q7", "--db", demo_db])
    assert res.exit_code != 0 and "Traceback" not in res.output
    res = runner.invoke(
        app, ["evaluate", "--period", "2024-Q2", "--db", demo_db, "--format", "xlsx"]
    )
    assert res.exit_code != 0


def test_http_api_json_xlsx_and_visibility(demo_db: str) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from dondoc.web.api import create_app

    engine = Engine(demo_db)
    board = engine.create_token("thang", roles=("reviewer",))
    luyen = engine.create_token("luyen", unit="Thanh tra Sở")
    client = TestClient(create_app(engine))
    r = client.get("/api/evaluation?period=2024-Q2", headers={"Authorization": f"Bearer {board}"})
    assert r.status_code == 200
    assert {row["subject"] for row in r.json()["rows"]} == {"phuong", "luyen"}
    # a person without the review permission sees their own result only
    r = client.get("/api/evaluation?period=2024-Q2", headers={"Authorization": f"Bearer {luyen}"})
    assert r.status_code == 200
    assert [row["subject"] for row in r.json()["rows"]] == ["luyen"]
    r = client.get(
        "/api/evaluation?period=2024-Q2&format=xlsx", headers={"Authorization": f"Bearer {board}"}
    )
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = client.get("/api/evaluation?period=2024-Q9", headers={"Authorization": f"Bearer {board}"})
    assert r.status_code == 422 and "period" in r.text
    assert client.get("/api/evaluation?period=2024-Q2").status_code == 401


@pytest.mark.parametrize(("verdict", "progress"), [("objective", 100.0), ("subjective", 75.0)])
def test_a_delegated_late_output_excused_by_an_objective_explanation(
    db_url: str, registry: Any, clock: Any, verdict: str, progress: float
) -> None:
    """The specialist owns the delegated output (not the head who delegated it); its delay is
    excused only when the explanation is assessed as objective (art. 14(2)(c))."""
    from test_moves import AN, HEADS, PEOPLE, PHUONG, TT, at

    from dondoc import NewDirective
    from dondoc.core.directory import SimpleDirectory
    from dondoc.service.engine import SubDirective
    from dondoc.worker import Worker

    e = Engine(db_url, workflows=registry, clock=clock, directory=SimpleDirectory(PEOPLE, HEADS))
    clock.set(at(18, 3))
    parent = e.create_directive(
        Actor.of("thang", "reviewer"),
        "unit_task",
        NewDirective(
            title="Giải quyết dứt điểm",
            due=date(2024, 4, 30),
            assignee="phuong",
            lead_unit=TT,
            reviewer="thang",
        ),
    )
    (child,) = e.delegate(
        parent.id, PHUONG, [SubDirective("(1) Làm rõ", "an", due=date(2024, 4, 15))]
    )
    Worker(e).advance(clock, at(17, 4, 9))  # overdue; the scheduler asks for an explanation
    clock.set(at(17, 4, 10))
    e.answer_explanation(child.id, AN, reason="Hồ sơ chưa được bàn giao", cause="objective")
    clock.set(at(19, 4))
    e.assess_explanation(child.id, PHUONG, verdict=verdict)
    clock.set(at(22, 4))
    e.fire(child.id, "submit", AN, {"result": "Xong"})
    rows = {r.subject: r.score for r in e.evaluate("2024-04").rows}
    assert "phuong" not in rows  # delegated down: the parent counts for the specialist
    (line,) = rows["an"].lines
    assert (line.delays, line.output.kind, line.output.excused) == (
        1,
        "delegated",
        verdict == "objective",
    )
    assert rows["an"].progress_pct == progress


def test_cli_and_api_as_word(demo_db: str, tmp_path: Path) -> None:
    """``--format docx``: the summary row per person (Luyến: progress 37.5 %, 32.08 task
    points, as in test_q2_2024_one_leader_late) and her outputs with their dates."""
    import docx

    out = tmp_path / "q2.docx"
    res = CliRunner().invoke(
        app,
        ["evaluate", "--period", "2024-Q2", "--db", demo_db, "--format", "docx", "-o", str(out)],
    )
    assert res.exit_code == 0, res.output
    doc = docx.Document(str(out))
    assert "QUÝ II/2024" in doc.paragraphs[0].text
    summary = doc.tables[0]
    header = [c.text for c in summary.rows[0].cells]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in summary.rows[1:]}
    luyen = dict(zip(header, rows["Hoàng Thị Luyến"], strict=True))
    assert (luyen["Tiến độ (%)"], luyen["Điểm nhiệm vụ (/70)"]) == ("37.50", "32.08")
    assert luyen["Xếp loại"] == "—"  # no general points given
    details = "\n".join(c.text for t in doc.tables[1:] for r in t.rows for c in r.cells)
    assert "08/05/2024" in details and "30/04/2024" in details  # case 3: due, completed
    res = CliRunner().invoke(
        app, ["evaluate", "--period", "2024-Q2", "--db", demo_db, "--format", "docx"]
    )
    assert res.exit_code == 2 and res.stderr.count("\n") == 1  # no output file: one line
    from fastapi.testclient import TestClient

    from dondoc.web.api import create_app

    engine = Engine(demo_db)
    board = engine.create_token("thang", roles=("reviewer",))
    r = TestClient(create_app(engine)).get(
        "/api/evaluation?period=2024-Q2&format=docx", headers={"Authorization": f"Bearer {board}"}
    )
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert r.headers["content-disposition"].endswith('danh-gia-2024-Q2.docx"')
