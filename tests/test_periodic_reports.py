"""Scheduled periodic reports (issue 20, item 3): a quarterly follow-up report under Decree
09/2019, produced by the worker on a fake clock.

Seed 000 from 18/03/2024, the demo's people acting at their times, the worker running. A
quarterly report is scheduled on 18/03 with Decree 09's defaults: data window from the 15th of
the month before the quarter to the 14th of its last month, report date one working day after
the cut-off, at 07:00.

Worked out by hand:
- Q1/2024's report date (window 15/12/2023–14/03/2024 → Friday 15/03) has passed on 18/03, so
  the first period is Q2/2024.
- Q2/2024: window 15/03–14/06/2024; 14/06 is a Friday → report date Monday 17/06/2024 07:00
  (00:00 UTC).
- Due in the window: the seal handover (31/03, reported 29/03: on time), cases 1 and 2 (30/04,
  reported 22/04 and 26/04: on time), case 3 (30/04, reported 08/05: late). The
  self-assessments are due 30/06 (Q3's window) and the standing duty has no due date. Totals:
  4 = 3 on time + 1 late.
- Q3/2024: window 15/06–14/09; 14/09 is a Saturday → Monday 16/09/2024 07:00, after the end
  of the run (15/07): not produced.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from dondoc import Actor, Engine, FakeClock, errors
from dondoc.cli.demo import DIRECTORY, END, OFFICE, SCRIPT, START, _directives
from dondoc.cli.main import app as cli
from dondoc.testing import TimeMachine

ADMIN = Actor.of("admin", "admin")
EXPECTED = {
    "total": 4,
    "completed_on_time": 3,
    "completed_late": 1,
    "in_progress_on_time": 0,
    "due_soon": 0,
    "in_progress_overdue": 0,
    "no_deadline": 0,
    "cancelled": 0,
}


def run_office(url: str) -> tuple[Engine, TimeMachine, int]:
    engine = Engine(url, clock=FakeClock(START))
    engine.set_directory(DIRECTORY)
    engine.set_office(OFFICE)
    schedule = engine.schedule_report(
        ADMIN,
        name="Báo cáo quý về tình hình thực hiện nhiệm vụ",
        kind="quarter",
        recipients=["thang"],
    )
    machine = TimeMachine(engine)
    ids = _directives(engine)
    for step in SCRIPT:
        machine.advance_to(step.when)
        engine.fire(ids[step.key], step.trigger, step.who, step.payload)
    machine.advance_to(END)
    return engine, machine, schedule.id


def test_the_q2_report_is_produced_once_at_its_date_with_the_numbers(tmp_path: Path) -> None:
    engine, machine, sid = run_office(f"sqlite:///{tmp_path / 'reports.db'}")
    (run,) = machine.history.reports
    assert run.period == "2024-Q2"
    assert run.produced_at == datetime(2024, 6, 17, 0, 0, tzinfo=UTC)  # 07:00 in Vietnam
    assert run.totals == EXPECTED
    assert engine.report_runs() == [run] and run.schedule_id == sid
    # the schedule moved on to Q3, reported on Monday 16/09/2024 at 07:00
    (s,) = engine.report_schedules()
    assert (s.next_period, s.next_run_at) == ("2024-Q3", datetime(2024, 9, 16, 0, tzinfo=UTC))
    # sent through the outbox to the recipient, naming the period and its window
    (msg,) = [m for m in engine.outbox() if m.template == "progress_report"]
    assert msg.recipient == "thang" and msg.directive_id is None
    assert "quý II/2024 (số liệu từ 15/03/2024 đến 14/06/2024)" in msg.subject
    # Word and Excel, as produced
    docx = engine.report_file(run.id, "docx")
    text = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    assert "quý II/2024" in text
    wb = load_workbook(io.BytesIO(engine.report_file(run.id, "xlsx")))
    first = wb.worksheets[0]
    header = [c.value for c in first[3]]
    unit = dict(zip(header, (c.value for c in first[4]), strict=True))
    assert unit["Đơn vị chủ trì"] == "Thanh tra Sở" and unit["Tổng số"] == 4
    assert (unit["Hoàn thành đúng hạn"], unit["Hoàn thành quá hạn"]) == (3, 1)
    items = wb["Danh sách nhiệm vụ"]
    assert sum(1 for r in items.iter_rows(min_row=4) if r[0].value) == 4
    # never twice: nothing more is due, and a second producer of the same period is refused
    assert engine.run_next_report() is None
    with engine.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE report_schedules SET next_period = '2024-Q2', "
            "next_run_at = '2024-06-17 00:00:00.000000'"
        )
    assert engine.next_wakeup() == datetime(2024, 6, 17, 0, tzinfo=UTC)  # due again…
    assert engine.run_next_report() is None  # …but Q2 exists: the unique key refuses it
    assert len(engine.report_runs()) == 1
    assert len([m for m in engine.outbox() if m.template == "progress_report"]) == 1
    engine.db.dispose()


def test_scheduling_is_for_admins_and_checks_its_inputs(tmp_path: Path) -> None:
    engine = Engine(f"sqlite:///{tmp_path / 'r.db'}", clock=FakeClock(START))
    with pytest.raises(errors.PermissionDenied):
        engine.schedule_report(
            Actor.of("thang", "reviewer"), name="x", kind="quarter", recipients=["thang"]
        )
    with pytest.raises(errors.PayloadError, match="kind"):
        engine.schedule_report(ADMIN, name="x", kind="week", recipients=["thang"])
    with pytest.raises(errors.PayloadError, match="recipients"):
        engine.schedule_report(ADMIN, name="x", kind="month", recipients=[])
    # monthly, calendar months, two working days after: March's report on 02/04 (a Tuesday)
    s = engine.schedule_report(
        ADMIN, name="Tháng", kind="month", recipients=["thang"], cutoff_day=1, send_after_days=2
    )
    assert s.next_period == "2024-03"
    assert s.next_run_at == datetime(2024, 4, 2, 0, tzinfo=UTC)
    (event,) = engine.admin_events()
    assert (event.action, event.actor) == ("schedule_report", "admin")
    engine.db.dispose()


def test_cli_schedule_and_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine, _machine, _sid = run_office(url)
    engine.db.dispose()
    runner = CliRunner()
    r = runner.invoke(
        cli,
        [
            "reports",
            "schedule",
            "--name",
            "Báo cáo tháng",
            "--every",
            "month",
            "--to",
            "thang",
            "--first",
            "2024-07",
            "--as-admin",
            "--db",
            url,
        ],
    )
    assert r.exit_code == 0, r.output
    # July's window 15/06–14/07/2024 (a Sunday): reported on Monday 15/07 at 07:00
    assert "kỳ đầu 2024-07, lập lúc 15/07/2024 07:00" in r.output
    r = runner.invoke(cli, ["reports", "runs", "--db", url, "--save", str(tmp_path / "out")])
    assert r.exit_code == 0 and "2024-Q2" in r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "bao-cao-1-2024-Q2.docx",
        "bao-cao-1-2024-Q2.xlsx",
    ]


def test_produced_reports_on_the_statistics_page_and_the_api(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from dondoc.web.api import create_app

    engine, _machine, _sid = run_office(f"sqlite:///{tmp_path / 'web.db'}")
    board = engine.create_token("thang", roles=["reviewer"])
    luyen = engine.create_token("luyen", unit="Thanh tra Sở")
    client = TestClient(create_app(engine))
    r = client.get("/api/periodic-reports", headers={"Authorization": f"Bearer {board}"})
    (run,) = r.json()
    assert (run["period"], run["period_label"], run["produced_on"]) == (
        "2024-Q2",
        "quý II/2024",
        "2024-06-17",
    )
    assert run["totals"]["total"] == 4 and set(run["files"]) == {"docx", "xlsx"}
    f = client.get(run["files"]["xlsx"], headers={"Authorization": f"Bearer {board}"})
    assert f.status_code == 200 and f.content == engine.report_file(run["id"], "xlsx")
    denied = client.get("/api/periodic-reports", headers={"Authorization": f"Bearer {luyen}"})
    assert denied.status_code == 403
    client.cookies.set("dondoc_token", board)
    page = client.get("/stats").text
    assert 'id="periodic"' in page and "quý II/2024" in page and "17/06/2024" in page
    client.cookies.set("dondoc_token", luyen)
    assert 'id="periodic"' not in client.get("/stats").text
    engine.db.dispose()
