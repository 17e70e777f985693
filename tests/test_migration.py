"""Instance migration (issue 21): directives move from unit_report v1 to v2 (tests/data/migration).

Version 2 (see its header) adds "returned for clarification", drops the extension request,
renames "submitted" to "report_submitted" and its data field "report" to "report_text", moves
the reminder from 3 to 5 working days before the deadline and the escalation from 2 to 3
working days after becoming overdue. Expectations come from those two files and the calendar.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from dondoc import Actor, Engine, FakeClock, NewDirective, errors, load_workflows
from dondoc.clock import VN_TZ
from dondoc.core.machine import WorkflowRegistry
from dondoc.core.migration import MigrationPlan, parse_plan
from dondoc.core.spec import bundled_workflow_files
from dondoc.errors import MigrationPlanError
from dondoc.testing import TimeMachine

DATA = Path(__file__).parent / "data" / "migration"
ADMIN = Actor.of("admin", "admin")
BOARD = Actor.of("thang")
LEADER = Actor.of("phuong")
PLAN = MigrationPlan(
    "unit_report",
    1,
    2,
    states={"submitted": "report_submitted", "extension_requested": "in_progress"},
    rename={"report": "report_text"},
)


def local(day: int, month: int, hour: int = 0) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=VN_TZ)


@pytest.fixture(scope="module")
def both_versions() -> WorkflowRegistry:
    return load_workflows(str(DATA))


@pytest.fixture
def eng(db_url: str, both_versions: WorkflowRegistry, clock: FakeClock) -> Iterator[Engine]:
    e = Engine(db_url, workflows=both_versions, clock=clock)
    yield e
    e.db.dispose()


def create(e: Engine, title: str = "Báo cáo kết quả") -> int:
    d = e.create_directive(
        BOARD,
        "unit_report",
        NewDirective(title=title, assignee="phuong", assigner="thang", due=date(2024, 6, 30)),
        version=1,
    )
    return d.id


def in_each_state(e: Engine) -> dict[str, int]:
    """One v1 directive in each state (the closed ones too)."""
    ids = {s: create(e, f"Ở trạng thái {s}") for s in ("assigned", "in_progress",
           "extension_requested", "submitted", "accepted", "cancelled")}  # fmt: skip
    e.fire(ids["in_progress"], "start", LEADER)
    e.fire(ids["extension_requested"], "start", LEADER)
    e.fire(ids["extension_requested"], "request_extension", LEADER, {"reason": "Chờ số liệu"})
    for key in ("submitted", "accepted"):
        e.fire(ids[key], "start", LEADER)
        e.fire(ids[key], "submit", LEADER, {"report": "Đã hoàn thành"})
    e.fire(ids["accepted"], "accept", BOARD)
    e.fire(ids["cancelled"], "cancel", BOARD)
    return ids


def test_each_state_migrates_per_the_map(eng: Engine) -> None:
    ids = in_each_state(eng)
    report = eng.migrate(ADMIN, PLAN)
    expected = {  # old state → new state, from the plan and the two versions
        "assigned": "assigned",
        "in_progress": "in_progress",
        "extension_requested": "in_progress",
        "submitted": "report_submitted",
    }
    assert {i.from_state: i.to_state for i in report.migrated} == expected
    assert report.refused == ()
    for old, new_state in expected.items():
        d = eng.get(ids[old])
        assert (d.workflow_version, d.state) == (2, new_state)
        last = eng.history(d.id)[-1]
        assert (last.kind, last.actor, last.from_state, last.to_state) == (
            "migration", "admin", old, new_state,
        )  # fmt: skip
        assert (last.payload["from_version"], last.payload["to_version"]) == (1, 2)
        assert last.payload["_set"]["workflow_version"] == 2
        if new_state != old:
            assert last.payload["_set"]["state"] == new_state
    submitted = eng.get(ids["submitted"])
    assert submitted.data["report_text"] == "Đã hoàn thành" and "report" not in submitted.data
    assert submitted.done_at is not None  # still done: report_submitted is a done state
    for closed in ("accepted", "cancelled"):  # closed directives stay on their version
        assert eng.get(ids[closed]).workflow_version == 1
    # the migrated directive works under v2: v2's triggers, v2's data field
    eng.fire(ids["submitted"], "return_for_clarification", BOARD, {"comment": "Bổ sung số liệu"})
    eng.fire(ids["submitted"], "submit", LEADER, {"report_text": "Đã bổ sung"})
    assert eng.verify_audit().ok
    # a second run finds nothing left on v1 (among open directives)
    assert eng.migrate(ADMIN, PLAN).items == ()
    with_closed = eng.migrate(ADMIN, PLAN.merged(include_closed=True))
    assert {i.from_state for i in with_closed.migrated} == {"accepted", "cancelled"}
    assert eng.get(ids["accepted"]).state == "accepted" and not eng.get(ids["accepted"]).is_open
    assert eng.verify_audit().ok


def pending(e: Engine, directive_id: int) -> dict[str, datetime]:
    return {
        t["timer"]: t["due_at"].astimezone(VN_TZ)
        for t in e.timers(directive_id)
        if t["status"] == "pending"
    }


def test_timers_replanned_from_the_new_version(eng: Engine) -> None:
    waiting = create(eng, "Chưa tới hạn nhắc")
    reminded = create(eng, "Đã được nhắc")
    late = create(eng, "Đã quá hạn")
    for did in (waiting, reminded, late):
        eng.fire(did, "start", LEADER)
    # v1: reminder 3 working days before Sunday 30/06 = Wednesday 26/06 08:00
    assert pending(eng, waiting)["remind_before_due"] == local(26, 6, 8)
    tm = TimeMachine(eng)
    tm.advance_to("20/06/2024")
    plan = MigrationPlan("unit_report", 1, 2, where={"id": str(waiting)})
    eng.migrate(ADMIN, plan)
    # v2: 5 working days before 30/06 = Monday 24/06 08:00; overdue at 24:00 on 30/06
    assert pending(eng, waiting) == {
        "remind_before_due": local(24, 6, 8),
        "overdue_at_due": local(1, 7),
    }
    tm.advance_to("27/06/2024")  # v1's reminder fired for the other two on 26/06
    eng.migrate(ADMIN, MigrationPlan("unit_report", 1, 2, where={"id": str(reminded)}))
    assert pending(eng, reminded) == {"overdue_at_due": local(1, 7)}  # not reminded twice
    tm.advance_to("02/07/2024")  # late: overdue since 01/07 00:00 (Monday)
    assert eng.get(late).state == "overdue"
    assert pending(eng, late) == {"escalate": local(3, 7, 8)}  # v1: 2 working days after
    report = eng.migrate(ADMIN, MigrationPlan("unit_report", 1, 2, where={"id": str(late)}))
    # v2: 3 working days after entering "overdue" on Monday 01/07 (not after the migration)
    assert pending(eng, late) == {"escalate": local(4, 7, 8)}
    (item,) = report.migrated
    assert item.entered_at == local(1, 7) and item.timers_cancelled == 1
    assert eng.verify_audit().ok


def test_unmappable_state_reported_in_dry_run_and_refused(eng: Engine) -> None:
    ids = in_each_state(eng)
    plan = MigrationPlan("unit_report", 1, 2, states={"submitted": "report_submitted"})
    before = eng.history(ids["extension_requested"])
    dry = eng.migrate(ADMIN, plan, dry_run=True)
    (refused,) = dry.refused
    assert refused.directive_id == ids["extension_requested"]
    assert "“Đề nghị gia hạn” (extension_requested) không còn trong phiên bản 2" in refused.reason
    assert len(dry.migrated) == 3
    assert all(eng.get(i).workflow_version == 1 for i in ids.values())  # a dry run writes nothing
    real = eng.migrate(ADMIN, plan)
    assert [i.directive_id for i in real.refused] == [ids["extension_requested"]]
    d = eng.get(ids["extension_requested"])
    assert (d.workflow_version, d.state) == (1, "extension_requested")
    assert eng.history(d.id) == before
    assert eng.get(ids["assigned"]).workflow_version == 2
    # with a default, the rest goes too
    assert [i.to_state for i in eng.migrate(ADMIN, plan.merged(default="in_progress")).migrated] == [
        "in_progress"
    ]


def test_plan_mistakes_and_permissions(eng: Engine) -> None:
    with pytest.raises(MigrationPlanError, match="không có trạng thái 'report_submited'"):
        eng.migrate(ADMIN, MigrationPlan("unit_report", 1, 2, states={"submitted": "report_submited"}))
    with pytest.raises(MigrationPlanError, match="trùng nhau"):
        eng.migrate(ADMIN, MigrationPlan("unit_report", 2, 2))
    with pytest.raises(errors.NotFound):
        eng.migrate(ADMIN, MigrationPlan("unit_report", 1, 3))
    with pytest.raises(errors.PermissionDenied):
        eng.migrate(BOARD, PLAN)


def test_plan_file(tmp_path: Path) -> None:
    text = textwrap.dedent("""\
        workflow: unit_report
        from: 1
        to: 2
        states: {submitted: report_submitted}
        rename: {report: report_text}
        where: {lead_unit: Thanh tra Sở}
    """)
    plan = parse_plan(text, "plan.yaml")
    assert plan == MigrationPlan(
        "unit_report", 1, 2, {"submitted": "report_submitted"}, None,
        {"report": "report_text"}, {"lead_unit": "Thanh tra Sở"},
    )  # fmt: skip
    with pytest.raises(MigrationPlanError) as err:
        parse_plan("workflow: unit_report\nfrom: one\nto: 2\nstate: {}\n", "bad.yaml")
    assert "bad.yaml:2:7: 'from' phải là số phiên bản" in str(err.value)
    assert "bad.yaml:4:1: khóa 'state' không được hỗ trợ" in str(err.value)


def test_cli_dry_run_then_migrate(tmp_path: Path, both_versions: WorkflowRegistry) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    e = Engine(db, workflows=both_versions, clock=FakeClock(local(18, 3, 9)))
    ids = in_each_state(e)
    e.db.dispose()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dondoc.cli", "instances", "migrate", "unit_report",
             "--from", "1", "--to", "2", "--db", db, "-w", str(DATA), "--as-admin", *args],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    dry = run("--map", "submitted=report_submitted", "--rename", "report=report_text", "--dry-run")
    assert dry.returncode == 1, dry.stderr  # something cannot migrate
    assert f"#{ids['extension_requested']}" in dry.stdout and "KHÔNG chuyển được" in dry.stdout
    assert "không còn trong phiên bản 2" in dry.stdout
    assert f"#{ids['submitted']}" in dry.stdout and "report → report_text" in dry.stdout
    assert "Chạy thử" in dry.stdout and "Traceback" not in dry.stderr
    ok = run("--map", "submitted=report_submitted", "--map", "extension_requested=in_progress",
             "--rename", "report=report_text")  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Đã chuyển 4 nhiệm vụ" in ok.stdout
    bad = run("--map", "submitted")
    assert bad.returncode == 2 and "cũ=mới" in bad.stderr and "Traceback" not in bad.stderr
    again = run("--dry-run")
    assert again.returncode == 0 and "Không có nhiệm vụ nào" in again.stdout


KILLED_MIGRATION = """
import sys
from dondoc import Actor, Engine, FakeClock, load_workflows
from dondoc.core.migration import MigrationPlan
from datetime import datetime, UTC
engine = Engine(sys.argv[1], workflows=load_workflows(sys.argv[2]),
                clock=FakeClock(datetime(2024, 4, 1, 2, tzinfo=UTC)))
seen = 0
def progress(item):
    global seen
    seen += 1
    if seen == 13:  # the third directive of the third batch: two batches are committed
        print("mid-batch", flush=True)
        sys.stdin.read()  # wait here for the SIGKILL
engine.migrate(Actor.of("admin", "admin"), MigrationPlan("unit_report", 1, 2,
               states={"submitted": "report_submitted"}), batch_size=5, progress=progress)
"""


MIGRATION_EVENTS = (
    "SELECT directive_id, count(*) FROM events WHERE kind = 'migration' GROUP BY directive_id"
)


@pytest.mark.slow
def test_sigkill_mid_batch_then_rerun_migrates_each_once(eng: Engine, db_url: str) -> None:
    ids = [create(eng, f"Nhiệm vụ {i}") for i in range(24)]
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_MIGRATION, db_url, str(DATA)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "mid-batch"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    eng.db.dispose()  # drop pooled connections (the killed process held the write lock)
    assert [eng.get(i).workflow_version for i in ids] == [2] * 10 + [1] * 14
    rerun = eng.migrate(ADMIN, PLAN, batch_size=5)
    assert sorted(i.directive_id for i in rerun.migrated) == ids[10:]
    with eng.db.connect() as conn:
        per_directive = dict(conn.execute(sa.text(MIGRATION_EVENTS)).all())
    assert per_directive == {i: 1 for i in ids}  # each directive exactly once
    assert all(eng.get(i).workflow_version == 2 for i in ids)
    assert eng.verify_audit().ok


def test_a_migration_does_not_stand_in_for_the_requester(tmp_path: Path, clock: FakeClock) -> None:
    """Separation of duties survives a migration that renames the request's state: the one
    who asked for the extension still may not approve it (the migration event renames the
    state, it is not a new request by the administrator)."""
    wf = "remediation_self_assessment"
    bundled = next(p for p in bundled_workflow_files() if p.stem == wf)
    text = bundled.read_text(encoding="utf-8")
    current = load_workflows().get(wf).spec.version
    renamed = text.replace(f"version: {current}", f"version: {current + 1}", 1).replace(
        "extension_requested", "extension_pending"
    )
    (tmp_path / "next.yaml").write_text(renamed, encoding="utf-8")
    e = Engine(
        f"sqlite:///{tmp_path / 'sod.db'}",
        workflows=load_workflows(str(tmp_path / "next.yaml")),
        clock=clock,
    )
    leader = Actor.of("phuong", "reviewer")  # the assignee, also a reviewer in general
    d = e.create_directive(
        Actor.of("thang", "assigner"),
        wf,
        NewDirective(title="Tự đánh giá", assignee="phuong", due=date(2024, 6, 30)),
        version=current,
    )
    e.fire(d.id, "start", leader)
    e.fire(d.id, "request_extension", leader, {"reason": "Chờ số liệu", "proposed_due": "2024-07-31"})
    with pytest.raises(errors.PermissionDenied):
        e.fire(d.id, "approve_extension", leader, {"new_due": "2024-07-31"})
    plan = MigrationPlan(wf, current, current + 1, states={"extension_requested": "extension_pending"})
    assert [i.to_state for i in e.migrate(ADMIN, plan).migrated] == ["extension_pending"]
    with pytest.raises(errors.PermissionDenied):
        e.fire(d.id, "approve_extension", leader, {"new_due": "2024-07-31"})
    e.fire(d.id, "approve_extension", Actor.of("thang", "reviewer"), {"new_due": "2024-07-31"})
    assert e.get(d.id).due == date(2024, 7, 31)
    e.db.dispose()
