"""The official status grid, alone and through the Engine on a fake clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.clock import local_midnight
from dondoc.deadlines.status import Status, days_late, grid, progress_status
from dondoc.errors import DeadlineError

D = date


@pytest.mark.parametrize(
    ("due", "today", "completed_on", "cancelled", "expected"),
    [
        (D(2024, 6, 30), D(2024, 6, 20), D(2024, 6, 30), False, Status.COMPLETED_ON_TIME),
        (D(2024, 6, 30), D(2024, 7, 5), D(2024, 7, 1), False, Status.COMPLETED_LATE),
        (D(2024, 6, 30), D(2024, 6, 1), None, False, Status.IN_PROGRESS_ON_TIME),
        (D(2024, 6, 30), D(2024, 6, 30), None, False, Status.DUE_SOON),  # the last day is not late
        (D(2024, 6, 30), D(2024, 7, 1), None, False, Status.IN_PROGRESS_OVERDUE),
        (None, D(2024, 7, 1), None, False, Status.NO_DEADLINE),
        (None, D(2024, 7, 1), D(2024, 7, 1), False, Status.COMPLETED_ON_TIME),
        (D(2024, 6, 30), D(2024, 7, 1), None, True, Status.CANCELLED),
        # "due soon" counts working days left: from Fri 28/06/2024
        (D(2024, 7, 3), D(2024, 6, 28), None, False, Status.DUE_SOON),  # Mon 1, Tue 2, Wed 3
        (D(2024, 7, 4), D(2024, 6, 28), None, False, Status.IN_PROGRESS_ON_TIME),
        # Tết: 3 calendar weeks but only 3 working days left
        (D(2024, 2, 19), D(2024, 2, 6), None, False, Status.IN_PROGRESS_ON_TIME),
        (D(2024, 2, 16), D(2024, 2, 7), None, False, Status.DUE_SOON),
    ],
)
def test_progress_status(due, today, completed_on, cancelled, expected) -> None:  # type: ignore[no-untyped-def]
    assert progress_status(due, today, completed_on=completed_on, cancelled=cancelled) is expected


def test_days_late_and_grid() -> None:
    assert days_late(D(2024, 6, 30), D(2024, 7, 15)) == 15
    assert days_late(D(2024, 6, 30), D(2024, 7, 15), completed_on=D(2024, 7, 2)) == 2
    assert days_late(D(2024, 6, 30), D(2024, 6, 1)) == 0
    assert days_late(None, D(2024, 6, 1)) == 0
    rows = grid(
        [("A", Status.COMPLETED_LATE), ("A", Status.COMPLETED_ON_TIME), ("B", Status.CANCELLED)]
    )
    assert [r.key for r in rows] == ["A", "B"]
    assert rows[0].total == 2 and rows[0].on_time_rate == 0.5 and rows[1].total == 0
    assert Status.IN_PROGRESS_OVERDUE.label == "Đang thực hiện quá hạn"


def test_engine_reads_the_phrase_and_tracks_status_on_the_clock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC))
    engine = Engine(f"sqlite:///{tmp_path / 's.db'}", clock=clock)
    board = Actor.of("thang", "reviewer")
    d = engine.create_directive(
        board,
        "remediation_self_assessment",
        NewDirective(
            title="Báo cáo tự đánh giá",
            assignee="phuong",
            lead_unit="Thanh tra Sở",
            deadline="Trước ngày 01/07/2024, từng đồng chí lãnh đạo phòng Thanh tra có báo cáo tự đánh giá",
            doc_date=D(2024, 3, 18),
        ),
    )
    assert (d.due, d.original_due, d.status) == (
        D(2024, 6, 30),
        D(2024, 6, 30),
        "in_progress_on_time",
    )
    assert d.due_text is not None and d.due_text.startswith("Trước ngày 01/07/2024")
    clock.set(local_midnight(D(2024, 6, 27)))
    assert engine.get(d.id).status == "due_soon"
    clock.set(local_midnight(D(2024, 7, 1)))  # 24:00 on 30/06 has passed
    late = engine.get(d.id)
    assert (late.status, late.days_late, late.status_label) == (
        "in_progress_overdue",
        1,
        "Đang thực hiện quá hạn",
    )

    # A month phrase, resolved against the clock's today when no document date is given.
    m = engine.create_directive(
        board, "monthly_briefing_task", NewDirective(title="x", deadline="trong tháng 9")
    )
    assert m.due == D(2024, 9, 30)
    s = engine.create_directive(
        board, "monthly_briefing_task", NewDirective(title="y", deadline="thường xuyên")
    )
    assert (s.due, s.status) == (None, "no_deadline")
    before = len(engine.directives())
    with pytest.raises(DeadlineError):
        engine.create_directive(
            board, "monthly_briefing_task", NewDirective(title="z", deadline="vào dịp nào đó")
        )
    assert len(engine.directives()) == before  # nothing written
    engine.db.dispose()


def test_statistics_against_extended_or_original_due(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC))
    engine = Engine(f"sqlite:///{tmp_path / 's.db'}", clock=clock)
    board = Actor.of("thang", "reviewer")
    ids = {}
    for who in ("phuong", "luyen", "anh"):
        ids[who] = engine.create_directive(
            board,
            "remediation_self_assessment",
            NewDirective(
                title=who, assignee=who, lead_unit="Thanh tra Sở", deadline="trước ngày 01/07/2024"
            ),
        ).id
    other = engine.create_directive(
        board,
        "monthly_briefing_task",
        NewDirective(
            title="VP", lead_unit="Văn phòng", assignee="vp", deadline="trước ngày 01/05/2024"
        ),
    )
    # phuong finishes in time; luyen gets an extension to 31/07 and finishes 15/07; anh is late.
    p, lu = Actor.of("phuong"), Actor.of("luyen")
    engine.fire(
        ids["luyen"], "request_extension", lu, {"reason": "r", "proposed_due": "2024-07-31"}
    )
    engine.fire(ids["luyen"], "approve_extension", board, {"new_due": "2024-07-31"})
    clock.set(local_midnight(D(2024, 6, 20)))
    engine.fire(
        ids["phuong"], "submit_self_assessment", p, {"report": "ok", "shortcomings_fixed": True}
    )
    engine.fire(ids["phuong"], "accept", board, {"conclusion": "Đạt"})
    clock.set(local_midnight(D(2024, 7, 15)))
    engine.fire(
        ids["luyen"], "submit_self_assessment", lu, {"report": "ok", "shortcomings_fixed": True}
    )
    engine.fire(ids["luyen"], "accept", board, {"conclusion": "Đạt"})
    engine.fire(other.id, "carry_over", board, {"reason": "chuyển kỳ sau"})

    current = {r.key: r for r in engine.statistics()}
    tt = current["Thanh tra Sở"].counts
    assert tt[Status.COMPLETED_ON_TIME] == 2 and tt[Status.IN_PROGRESS_OVERDUE] == 1
    assert current["Văn phòng"].counts[Status.CANCELLED] == 1 and current["Văn phòng"].total == 0
    original = {r.key: r for r in engine.statistics(against="original")}["Thanh tra Sở"].counts
    assert original[Status.COMPLETED_ON_TIME] == 1 and original[Status.COMPLETED_LATE] == 1
    by_person = {r.key for r in engine.statistics(by="assignee")}
    assert by_person == {"phuong", "luyen", "anh", "vp"}
    engine.db.dispose()
