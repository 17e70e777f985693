"""Scheduled enforcement on a fake clock: the same Worker.run_pending that production runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dondoc import Actor, Engine, FakeClock, NewDirective, load_workflows
from dondoc.clock import local_midnight
from dondoc.core.directory import SimpleDirectory
from dondoc.deadlines.phrases import due_instant
from dondoc.deadlines.timers import office_start
from dondoc.documents.render import Renderer
from dondoc.errors import WorkflowError
from dondoc.worker import Worker

BOARD = Actor.of("thang", "reviewer")
LEADER = Actor.of("luyen", unit="Thanh tra Sở")
WF = "remediation_self_assessment"


def _engine(url: str, clock: FakeClock, **kw) -> Engine:  # type: ignore[no-untyped-def]
    return Engine(
        url,
        clock=clock,
        directory=SimpleDirectory(
            {
                "luyen": {"name": "Hoàng Thị Luyến"},
                "thang": {"name": "Hoàng Mạnh Thắng"},
                "phuong": {"name": "Nguyễn Phương"},
            },
            {"Thanh tra Sở": "phuong"},
        ),
        **kw,
    )


def _self_assessment(engine: Engine, due: date) -> int:
    return engine.create_directive(
        BOARD,
        WF,
        NewDirective(
            title="Báo cáo tự đánh giá",
            assignee="luyen",
            reviewer="thang",
            lead_unit="Thanh tra Sở",
            due=due,
            due_text="x",
        ),
    ).id


def _pending(engine: Engine, directive_id: int) -> dict[str, datetime]:
    return {
        t["timer"]: t["due_at"] for t in engine.timers(directive_id) if t["status"] == "pending"
    }


def test_reminder_working_days_before_due_skips_tet(db_url: str) -> None:
    clock = FakeClock(datetime(2024, 1, 15, 2, tzinfo=UTC))
    engine = _engine(db_url, clock)
    did = _self_assessment(engine, date(2024, 2, 16))  # Friday after Tết 2024 (08-14/02 off)
    # 3 working days before 16/02: 15/02 (1), then Tết, 07/02 (2), 06/02 (3) → 06/02 08:00 local
    assert _pending(engine, did)["remind_before_due"] == office_start(date(2024, 2, 6))
    assert office_start(date(2024, 2, 6)) == datetime(2024, 2, 6, 1, tzinfo=UTC)
    report = Worker(engine).advance(clock, office_start(date(2024, 2, 6)) - timedelta(seconds=1))
    assert report.fired == []
    report = Worker(engine).advance(clock, office_start(date(2024, 2, 6)))
    assert [f.timer for f in report.fired] == ["remind_before_due"]
    (msg,) = engine.outbox(directive_id=did)
    assert msg.recipient == "luyen" and msg.template == "reminder"
    assert "16/02/2024" in msg.subject and "còn 3 ngày làm việc" in msg.body
    assert "Kính gửi: Hoàng Thị Luyến" in msg.body
    engine.db.dispose()


def test_overdue_fires_at_the_end_of_the_due_day(db_url: str, clock: FakeClock) -> None:
    engine = _engine(db_url, clock)
    did = _self_assessment(engine, date(2024, 6, 30))
    w = Worker(engine)
    w.advance(clock, due_instant(date(2024, 6, 30)) - timedelta(microseconds=1))
    assert engine.get(did).state == "assigned"
    w.advance(clock, due_instant(date(2024, 6, 30)))
    d = engine.get(did)
    assert (d.state, d.status) == ("overdue", "in_progress_overdue")
    ev = engine.history(did)[-1]
    assert (ev.actor, ev.role, ev.trigger, ev.at) == (
        "system:scheduler",
        "system",
        "mark_overdue",
        due_instant(date(2024, 6, 30)),
    )
    assert ev.at == datetime(2024, 6, 30, 17, tzinfo=UTC)  # 24:00 in Vietnam
    timer_events = [e for e in engine.history(did) if e.kind == "timer"]
    assert [e.payload["timer"] for e in timer_events] == ["remind_before_due", "overdue_at_due"]
    # the chasing letter went out with the overdue transition
    assert [m.template for m in engine.outbox(directive_id=did)] == ["reminder", "chasing_letter"]
    engine.db.dispose()


def test_escalation_chain_assignee_then_unit_head_then_assigner(
    db_url: str, clock: FakeClock
) -> None:
    engine = _engine(db_url, clock)
    did = _self_assessment(engine, date(2024, 6, 30))
    Worker(engine).advance(clock, local_midnight(date(2024, 7, 31)))
    sent = [(m.template, m.recipient, m.created_at.date()) for m in engine.outbox(directive_id=did)]
    assert sent == [
        ("reminder", "luyen", date(2024, 6, 26)),
        ("chasing_letter", "luyen", date(2024, 6, 30)),  # 24:00 local = 17:00 UTC on the 30th
        ("escalation", "phuong", date(2024, 7, 3)),  # 2 working days after 01/07: the unit head
        ("escalation", "thang", date(2024, 7, 8)),  # 5 working days: the assigner …
        ("escalation", "thang", date(2024, 7, 15)),  # … repeated every 5 working days,
        ("escalation", "thang", date(2024, 7, 22)),  # 3 times at most
    ]
    assert engine.verify_audit().ok
    engine.db.dispose()


def test_extension_moves_the_timers_and_leaving_the_state_cancels_them(
    db_url: str, clock: FakeClock
) -> None:
    engine = _engine(db_url, clock)
    did = _self_assessment(engine, date(2024, 6, 30))
    engine.fire(did, "start", LEADER)
    assert _pending(engine, did) == {
        "remind_before_due": office_start(date(2024, 6, 26)),
        "overdue_at_due": due_instant(date(2024, 6, 30)),
    }
    engine.fire(
        did,
        "request_extension",
        LEADER,
        {"reason": "Chờ Thanh tra Bộ", "proposed_due": "2024-07-31"},
    )
    assert set(_pending(engine, did)) == {"overdue_at_due"}  # the reminder is not active there
    engine.fire(did, "approve_extension", BOARD, {"new_due": "2024-07-31"})
    assert _pending(engine, did) == {
        "remind_before_due": office_start(date(2024, 7, 26)),
        "overdue_at_due": due_instant(date(2024, 7, 31)),
    }
    Worker(engine).advance(
        clock, local_midnight(date(2024, 7, 10))
    )  # the old due date passes quietly
    assert engine.get(did).state == "in_progress"
    engine.fire(
        did, "submit_self_assessment", LEADER, {"report": "xong", "shortcomings_fixed": True}
    )
    assert _pending(engine, did) == {}
    statuses = [t["status"] for t in engine.timers(did)]
    assert statuses.count("pending") == 0 and "cancelled" in statuses
    Worker(engine).advance(clock, local_midnight(date(2024, 9, 1)))
    assert [e.kind for e in engine.history(did)].count("timer") == 0
    assert engine.get(did).status == "completed_on_time"
    engine.db.dispose()


def test_recurring_series_one_instance_per_period_across_a_restart(
    db_url: str, clock: FakeClock
) -> None:
    first = _engine(db_url, clock)
    sid = first.create_series(
        BOARD,
        "monthly_briefing_task",
        NewDirective(
            title="Báo cáo kết quả thực hiện kết luận giao ban",
            lead_unit="Văn phòng",
            assignee="vp",
        ),
        "trước ngày 20 hàng tháng",
    )
    assert sid >= 1
    Worker(first).advance(clock, datetime(2024, 4, 15, tzinfo=UTC))
    first.db.dispose()  # the process stops …
    second = _engine(db_url, clock)  # … and another starts on the same database
    w2, w3 = Worker(second, name="w2"), Worker(_engine(db_url, clock), name="w3")
    clock.set(datetime(2024, 6, 25, tzinfo=UTC))
    w2.run_pending()
    w3.run_pending()  # a second worker finds nothing left to create
    instances = second.directives(workflow="monthly_briefing_task")
    assert [d.due for d in instances] == [
        date(2024, 3, 19),
        date(2024, 4, 19),
        date(2024, 5, 19),
        date(2024, 6, 19),
    ]
    assert all(d.recurrence == "monthly:19" and d.assigner == "thang" for d in instances)
    assert instances[0].title == "Báo cáo kết quả thực hiện kết luận giao ban (kỳ 19/03/2024)"
    # the next period starts 01/07 00:00 in Vietnam (30/06 17:00 UTC)
    assert second.next_wakeup() is not None
    w2.advance(clock, datetime(2024, 6, 30, 16, 59, tzinfo=UTC))
    assert len(second.directives(workflow="monthly_briefing_task")) == 4
    w2.advance(clock, datetime(2024, 6, 30, 17, 0, tzinfo=UTC))
    assert len(second.directives(workflow="monthly_briefing_task")) == 5
    second.db.dispose()
    w3.engine.db.dispose()


def test_catch_up_fires_missed_timers_in_due_order(db_url: str, clock: FakeClock) -> None:
    engine = _engine(db_url, clock)
    dues = [date(2024, 6, 30), date(2024, 4, 15), date(2024, 5, 20)]
    for due in dues:
        _self_assessment(engine, due)
    clock.set(datetime(2024, 7, 2, tzinfo=UTC))  # no worker ran all this time
    report = Worker(engine).run_pending()
    fired_at = [f.due_at for f in report.fired]
    assert fired_at == sorted(fired_at)
    # Each: a reminder and the overdue transition (6). The escalation chain runs from when each
    # became overdue: April's (15/04) and May's (20/05) have their unit-head escalation and 3
    # to the assigner due by 02/07 (4 + 4); June's first escalation is due 03/07.
    assert len(report.fired) == 14
    april = [
        f.due_at for f in report.fired if f.directive_id == 2 and f.timer.startswith("escalate")
    ]
    assert april == [
        office_start(date(2024, 4, 19)),
        office_start(date(2024, 4, 24)),
        office_start(date(2024, 5, 4)),  # a make-up Saturday
        office_start(date(2024, 5, 10)),
    ]
    assert {engine.get(i).state for i in (1, 2, 3)} == {"overdue"}
    assert Worker(engine).run_pending().count == 0  # nothing twice
    engine.db.dispose()


def test_a_broken_admin_template_defers_the_timer_without_losing_it(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    admin = tmp_path / "templates"
    admin.mkdir()
    (admin / "reminder.txt.j2").write_text("Nhắc {{ directive.titel }}\n", encoding="utf-8")  # typo
    engine = _engine(db_url, clock, renderer=Renderer(admin))
    did = _self_assessment(engine, date(2024, 6, 30))
    clock.set(office_start(date(2024, 6, 26)))
    report = Worker(engine).run_pending()
    assert (
        report.fired == [] and len(report.errors) == 1 and "titel" in (report.errors[0].error or "")
    )
    (reminder,) = [t for t in engine.timers(did) if t["timer"] == "remind_before_due"]
    assert reminder["status"] == "pending" and reminder["due_at"] > clock.now()
    assert engine.outbox(directive_id=did) == [] and len(engine.history(did)) == 1
    (admin / "reminder.txt.j2").write_text("Nhắc {{ directive.title }}\n", encoding="utf-8")
    engine.renderer = Renderer(admin)
    report = Worker(engine).advance(clock, clock.now() + timedelta(hours=1))
    assert [f.timer for f in report.fired] == ["remind_before_due"]
    engine.db.dispose()


def test_standing_duties_get_no_due_timers(db_url: str, clock: FakeClock) -> None:
    engine = _engine(db_url, clock)
    d = engine.create_directive(
        BOARD,
        "monthly_briefing_task",
        NewDirective(title="Theo dõi, đôn đốc", deadline="thường xuyên"),
    )
    assert engine.timers(d.id) == []
    engine.db.dispose()


def test_timers_naming_unknown_templates_are_refused_with_their_line(tmp_path: Path) -> None:
    wf = tmp_path / "t.yaml"
    wf.write_text(
        """workflow: t
version: 1
title: T
roles: {assignee: {label: X}}
states:
  - {id: a, label: A, initial: true}
  - {id: b, label: B, final: true}
transitions:
  - {trigger: go, source: a, dest: b, roles: [assignee]}
timers:
  - id: r
    states: [a]
    when: {before_due: 1 ngày}
    notify:
      - {role: assignee, template: remnder}
""",
        encoding="utf-8",
    )
    with pytest.raises(WorkflowError) as info:
        load_workflows(str(wf), bundled=False)
    (problem,) = info.value.problems
    assert (
        problem.line == 15
        and "không có mẫu văn bản 'remnder' (có phải 'reminder'?)" in problem.message
    )


def test_retry_while_unavailable_backs_off_then_succeeds_or_gives_up() -> None:
    """The worker's start-up (building the Engine) and its sweeps share one retry: a lost
    connection is waited out with back-off; past the budget the error surfaces."""
    import sqlalchemy.exc as sa_exc

    from dondoc.worker import retry_while_unavailable

    def cut() -> sa_exc.OperationalError:
        return sa_exc.OperationalError("SELECT 1", {}, Exception("terminating connection"))

    attempts: list[int] = []
    slept: list[float] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise cut()
        return "engine"

    assert retry_while_unavailable(flaky, sleep=slept.append) == "engine"
    assert slept == [0.2, 0.4] and len(attempts) == 3

    def never() -> str:
        raise cut()

    slept.clear()
    with pytest.raises(sa_exc.OperationalError):
        retry_while_unavailable(never, reconnect_for=1.0, sleep=slept.append)
    assert sum(slept) >= 1.0 and slept[:3] == [0.2, 0.4, 0.8]
