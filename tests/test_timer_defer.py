"""Finding 7 of issue 14: deep guards are refused at validation, and a timer that cannot fire
is deferred and reported — never blocking the timers behind it nor stopping the worker."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from dondoc import Actor, Engine, FakeClock, NewDirective, load_workflows
from dondoc.core import guards
from dondoc.core.spec import parse_workflow
from dondoc.deadlines.timers import office_start
from dondoc.errors import WorkflowError
from dondoc.worker import Worker

WORKFLOW = """workflow: guarded
version: 1
title: Nhiệm vụ có điều kiện
roles:
  assignee: {label: Người được giao}
states:
  - {id: open, label: Đang thực hiện, initial: true}
  - {id: late, label: Quá hạn}
  - {id: done, label: Hoàn thành, final: true, outcome: completed}
transitions:
  - {trigger: finish, source: [open, late], dest: done, roles: [assignee]}
  - trigger: mark_late
    source: open
    dest: late
    roles: [system]
    guard: "GUARD"
timers:
  - {id: at_due, states: [open], when: {at_due: true}, fire: mark_late}
"""


def test_a_guard_of_a_thousand_nots_is_refused_at_validation() -> None:
    deep = "not " * 1000 + "directive.progress"
    with pytest.raises(WorkflowError) as caught:
        parse_workflow(WORKFLOW.replace("GUARD", deep), "deep.yaml")
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == ("deep.yaml", 16) and "điều kiện (guard) không hợp lệ" in problem.message
    nested = "not " * 30 + "directive.progress"  # short, but deeper than the bound
    with pytest.raises(WorkflowError, match="lồng nhau"):
        parse_workflow(WORKFLOW.replace("GUARD", nested), "deep.yaml")


def test_a_timer_that_cannot_fire_is_deferred_and_the_queue_moves_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "guarded.yaml").write_text(
        WORKFLOW.replace("GUARD", "directive.progress < 100"), encoding="utf-8"
    )
    clock = FakeClock(datetime(2024, 3, 1, 2, tzinfo=UTC))
    engine = Engine(
        f"sqlite:///{tmp_path / 't.db'}",
        clock=clock,
        workflows=load_workflows(str(tmp_path), bundled=False),
    )
    board = Actor.of("thang")
    ids = {
        title: engine.create_directive(
            board, "guarded", NewDirective(title=title, assignee="a", due=date(2024, 3, 4))
        ).id
        for title in ("hỏng đệ quy", "hỏng bất ngờ", "bình thường")
    }
    real = guards.Guard.evaluate

    def evaluate(self: guards.Guard, scope: Any) -> bool:
        title = scope["directive"]["title"]
        if title == "hỏng đệ quy":
            raise RecursionError("maximum recursion depth exceeded")  # the review's deep guard
        if title == "hỏng bất ngờ":
            raise RuntimeError("something nobody foresaw")
        return real(self, scope)

    monkeypatch.setattr(guards.Guard, "evaluate", evaluate)
    # the worker (re)starts after the due day: its catch-up meets the broken timers first
    clock.set(office_start(date(2024, 3, 6)))
    report = Worker(engine).run_pending()
    assert [engine.get(f.directive_id).title for f in report.fired] == ["bình thường"]
    assert engine.get(ids["bình thường"]).state == "late"
    errors = sorted(e.error or "" for e in report.errors)
    assert len(errors) == 2
    assert "quá phức tạp" in errors[0] or "quá phức tạp" in errors[1]
    assert any("RuntimeError: something nobody foresaw" in e for e in errors)
    for title in ("hỏng đệ quy", "hỏng bất ngờ"):
        (timer,) = engine.timers(ids[title])
        assert timer["status"] == "pending" and timer["due_at"] > clock.now()  # deferred
        assert engine.get(ids[title]).state == "open"  # nothing half done
    # once the cause is gone the deferred timers fire
    monkeypatch.setattr(guards.Guard, "evaluate", real)
    report = Worker(engine).advance(clock, clock.now() + __import__("datetime").timedelta(days=2))
    assert {engine.get(f.directive_id).title for f in report.fired} == {
        "hỏng đệ quy",
        "hỏng bất ngờ",
    }
    engine.db.dispose()
