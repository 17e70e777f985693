"""How work moves between people, end to end on the seeds' scenarios (issue 19).

Seed 000 (Thông báo kết luận, Sở TT&TT Đắk Nông, 18/03/2024): the Inspection office must
"Giải quyết dứt điểm các vụ, việc …: (1) …; (2) …; (3) …. Hoàn thành trong tháng 4/2024"; its head,
the Chánh Thanh tra, delegates each case to a specialist. The seal handover item names
cooperating units ("phối hợp với Văn phòng Sở, Phòng Công nghệ thông tin").

Seed 002 (Kết luận thanh tra 547/KL-TT, Tiền Giang, 21/5/2024): the chief inspector recommends that
the director of Sở LĐTBXH hold a review meeting for ông Mạch Trí Dũng - Chánh Văn phòng and bà
Nguyễn Thị Thu Nguyên - Trưởng phòng Người có công.

People the seeds do not name (specialists, unit heads, deputies) are invented and marked so.
Dates: 18/04/2024 is Giỗ Tổ Hùng Vương (a public holiday), which working-day deadlines skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from dondoc import Actor, Engine, FakeClock, NewDirective, SubDirective
from dondoc.clock import VN_TZ
from dondoc.core.directory import SimpleDirectory
from dondoc.errors import InvalidTransition, PayloadError, PermissionDenied
from dondoc.worker import Worker

TT = "Thanh tra Sở"
VP = "Văn phòng Sở"
CNTT = "Phòng Công nghệ thông tin"
LD = "Sở Lao động - Thương binh và Xã hội"

PEOPLE = {
    "thang": {"name": "Hoàng Mạnh Thắng", "position": "Phó Giám đốc Sở", "roles": ["reviewer"]},
    "phuong": {"name": "Nguyễn Phương", "position": "Chánh Thanh tra", "unit": TT},
    "luyen": {"name": "Hoàng Thị Luyến", "position": "Phó Chánh Thanh tra", "unit": TT},
    # invented: two specialists of the Inspection office
    "an": {"name": "Lê Văn An", "position": "Chuyên viên", "unit": TT},
    "binh": {"name": "Trần Thị Bình", "position": "Chuyên viên", "unit": TT},
    # invented: the heads and members of the cooperating units
    "chanh_vp": {"name": "Đỗ Văn Cường", "position": "Chánh Văn phòng Sở", "unit": VP},
    "vt": {"name": "Phạm Thị Dung", "position": "Văn thư", "unit": VP},
    "tp_cntt": {"name": "Võ Minh Đức", "position": "Trưởng phòng CNTT", "unit": CNTT},
    "cv_cntt": {"name": "Ngô Thị Hạnh", "position": "Chuyên viên", "unit": CNTT},
    # seed 002
    "chanh_tt": {"name": "Chánh Thanh tra tỉnh Tiền Giang", "position": "Chánh Thanh tra tỉnh"},
    "ttv": {"name": "Thanh tra viên theo dõi", "position": "Thanh tra viên"},  # invented
    "gd": {"name": "Giám đốc Sở LĐTBXH", "position": "Giám đốc Sở", "unit": LD},
    "pgd": {"name": "Phó Giám đốc Sở LĐTBXH", "position": "Phó Giám đốc Sở", "unit": LD},
    "tp_tccb": {"name": "Trưởng phòng Tổ chức cán bộ", "position": "Trưởng phòng", "unit": LD},
    "dung": {"name": "Mạch Trí Dũng", "position": "Chánh Văn phòng", "unit": LD},
}
HEADS = {TT: "phuong", VP: "chanh_vp", CNTT: "tp_cntt", LD: "gd"}

BOARD = Actor.of("thang", "reviewer")
PHUONG = Actor.of("phuong", unit=TT)
AN = Actor.of("an", unit=TT)
BINH = Actor.of("binh", unit=TT)


def at(day: int, month: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=VN_TZ).astimezone(UTC)


@pytest.fixture
def moves_engine(db_url: str, registry, clock: FakeClock) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    eng = Engine(db_url, workflows=registry, clock=clock, directory=SimpleDirectory(PEOPLE, HEADS))
    yield eng
    eng.db.dispose()


def _pending(engine: Engine, directive_id: int) -> set[tuple[str, datetime]]:
    return {
        (t["timer"], t["due_at"]) for t in engine.timers(directive_id) if t["status"] == "pending"
    }


def _sent(engine: Engine, directive_id: int) -> list[tuple[str, str, datetime]]:
    return [
        (m.template, m.recipient, m.created_at.astimezone(VN_TZ).replace(tzinfo=None))
        for m in engine.outbox(directive_id=directive_id)
    ]


def test_seed_000_delegation_rollup_reassignment_explanation(
    moves_engine: Engine, clock: FakeClock
) -> None:
    e = moves_engine
    parent = e.create_directive(
        BOARD,
        "unit_task",
        NewDirective(
            title="Giải quyết dứt điểm các vụ, việc Giám đốc Sở đã có chỉ đạo",
            deadline="Hoàn thành trong tháng 4/2024",
            doc_date=date(2024, 3, 18),
            assignee="phuong",
            lead_unit=TT,
            reviewer="thang",
        ),
    )
    assert parent.due == date(2024, 4, 30)

    # A sub-directive may not be due after its parent: the whole delegation is refused.
    clock.set(at(19, 3))
    with pytest.raises(PayloadError) as bad:
        e.delegate(
            parent.id,
            PHUONG,
            [
                SubDirective("(1) Làm rõ việc in ấn, phát hành Sổ tay phòng chống in lậu", "an"),
                SubDirective("(2) Xử lý sai phạm", "binh", due=date(2024, 5, 2)),
            ],
        )
    assert bad.value.field == "children[1].due"
    assert e.directives(parent_id=parent.id) == []
    # Only those the workflow names may delegate (the assignee, the head of the unit).
    with pytest.raises(PermissionDenied):
        e.delegate(parent.id, AN, [SubDirective("x", "an")])

    c1, c2, c3 = e.delegate(
        parent.id,
        PHUONG,
        [
            SubDirective(
                "(1) Làm rõ việc in ấn, phát hành Sổ tay phòng chống in lậu",
                "an",
                due=date(2024, 4, 15),
            ),
            SubDirective(
                "(2) Xử lý sai phạm của Tạp chí Môi trường Xây dựng, Báo Pháp luật TP. HCM",
                "binh",
                due=date(2024, 4, 19),
            ),
            SubDirective(
                "(3) Theo dõi việc thực hiện Kết luận Thanh tra đối với các doanh nghiệp viễn thông",
                "an",
            ),
        ],
    )
    assert [c.workflow for c in (c1, c2, c3)] == ["specialist_task"] * 3
    assert c3.due == parent.due  # defaults to the parent's deadline
    assert {c.parent_id for c in (c1, c2, c3)} == {parent.id}
    assert {(c.assigner, c.reviewer, c.lead_unit) for c in (c1, c2, c3)} == {
        ("phuong", "phuong", TT)
    }
    p = e.get(parent.id)
    assert p.state == "in_progress"  # delegating an assigned task starts it (trigger: start)
    assert p.progress == 0  # rolled up from three children at 0 %

    clock.set(at(20, 3))
    e.fire(c1.id, "start", AN)  # 10 %
    assert e.get(parent.id).progress == (10 + 0 + 0) // 3

    # Reassignment: the specialist is away; case (3) moves to binh. History and the original
    # assignee are kept; the timers are the same ones (they resolve the new assignee).
    timers_before = _pending(e, c3.id)
    with pytest.raises(PayloadError):
        e.reassign(c3.id, PHUONG, reason="  ", assignee="binh")
    with pytest.raises(PermissionDenied):
        e.reassign(c3.id, AN, reason="tôi bận", assignee="binh")
    moved = e.reassign(c3.id, PHUONG, reason="Đồng chí An được cử đi học", assignee="binh")
    assert (moved.assignee, e.get(c3.id).data) == ("binh", {})
    assert _pending(e, c3.id) == timers_before
    last = e.history(c3.id)[-1]
    assert (last.kind, last.trigger, last.actor) == ("move", "reassign", "phuong")
    assert last.payload["from_assignee"] == "an" and last.payload["to_assignee"] == "binh"
    assert last.payload["reason"] == "Đồng chí An được cử đi học"

    clock.set(at(22, 3))
    e.fire(c2.id, "submit", BINH, {"result": "Đã xử lý"})
    assert e.get(parent.id).progress == (10 + 100 + 0) // 3

    # The parent cannot be reported done while (1) and (3) are open.
    with pytest.raises(
        InvalidTransition, match=rf"còn 2 nhiệm vụ con đang mở: #{c1.id}, #{c3.id}"
    ):
        e.fire(parent.id, "report_result", PHUONG, {"result": "x"})

    kids, roll = e.children(parent.id)
    assert [k.id for k in kids] == [c1.id, c2.id, c3.id]
    assert (roll.delegated, roll.done, roll.open, roll.progress) == (3, 1, 2, 36)

    # (1) is due Monday 15/04: overdue at 24:00; the scheduler asks an for an explanation within
    # 2 working days (16/04 → 17/04, 18/04 is a holiday → 19/04); the escalation to the head
    # follows one working day after the overdue (17/04 08:00).
    Worker(e).advance(clock, at(17, 4, 9))
    assert e.get(c1.id).state == "overdue"
    (x,) = e.explanations(directive_id=c1.id)
    assert (x.status, x.requested_by, x.owed_by, x.answer_due) == (
        "requested",
        "system:scheduler",
        "an",
        date(2024, 4, 19),
    )
    sent = _sent(e, c1.id)
    assert ("explanation_request", "an", datetime(2024, 4, 16, 0, 0)) in sent
    assert ("escalation", "phuong", datetime(2024, 4, 17, 8, 0)) in sent

    clock.set(at(17, 4, 10))
    with pytest.raises(PayloadError) as no_cause:
        e.answer_explanation(c1.id, AN, reason="x", cause="weather")
    assert no_cause.value.field == "cause"
    e.answer_explanation(
        c1.id,
        AN,
        reason="Hồ sơ vụ việc chưa được bàn giao đầy đủ",
        cause="objective",
        proposed_due=date(2024, 4, 26),
    )
    assert ("move:explanation_due") not in {t for t, _ in _pending(e, c1.id)}
    clock.set(at(19, 4))
    with pytest.raises(PermissionDenied):  # nobody assesses their own explanation
        e.assess_explanation(c1.id, AN, verdict="objective")
    with pytest.raises(PayloadError) as late:  # an extension may not pass the parent's deadline
        e.assess_explanation(c1.id, PHUONG, verdict="objective", new_due=date(2024, 5, 2))
    assert late.value.field == "new_due"
    x = e.assess_explanation(c1.id, PHUONG, verdict="objective", new_due=date(2024, 4, 26))
    assert (x.status, x.cause, x.verdict, x.new_due) == (
        "assessed",
        "objective",
        "objective",
        date(2024, 4, 26),
    )
    got = e.get(c1.id)
    assert (got.due, got.original_due) == (date(2024, 4, 26), date(2024, 4, 15))
    # what evaluation will query: delays accepted as objective
    assert [y.directive_id for y in e.explanations(verdict="objective")] == [c1.id]

    # (3)'s reminder (two working days before 30/04, across the 27/04–01/05 holidays) goes to
    # its new assignee.
    Worker(e).advance(clock, at(26, 4, 9))
    reminders = [r for t, r, _ in _sent(e, c3.id) if t == "reminder"]
    assert reminders == ["binh"]

    for child, who in ((c1, AN), (c3, BINH)):
        e.fire(child.id, "submit", who, {"result": "Xong"})
    assert e.get(parent.id).progress == 100
    e.fire(parent.id, "report_result", PHUONG, {"result": "Đã giải quyết dứt điểm 3 vụ việc"})
    e.fire(parent.id, "accept", BOARD)
    assert e.get(parent.id).state == "done"
    assert [ev.trigger for ev in e.history(parent.id) if ev.kind == "move"] == ["delegate"]
    assert sum(1 for ev in e.history(parent.id) if ev.kind == "rollup") >= 3
    assert e.verify_audit().ok


def test_seed_000_cooperating_units_claim_late_reminded_escalated_explained(
    moves_engine: Engine, clock: FakeClock
) -> None:
    e = moves_engine
    seal = e.create_directive(
        BOARD,
        "unit_task",
        NewDirective(
            title="Bàn giao con dấu, hồ sơ; rà soát, cấp chữ ký số cho lãnh đạo Phòng Thanh tra",
            content="Bàn giao con dấu, hồ sơ theo dõi văn bản đi đến của Thanh Tra cho Văn thư Sở "
            "quản lý trước ngày 01/04/2024; phối hợp với Văn phòng Sở, Phòng Công nghệ thông tin "
            "rà soát, thực hiện việc cấp chữ ký số cá nhân …",
            deadline="trước ngày 01/04/2024",
            doc_date=date(2024, 3, 18),
            assignee="phuong",
            lead_unit=TT,
            cooperating_units=(VP, CNTT),
        ),
    )
    assert seal.due == date(2024, 3, 31)
    # moves.cooperate.auto: one contribution per cooperating unit, in the unit's queue, due
    # 5 working days before Sunday 31/03 → Monday 25/03.
    vp, cntt = e.directives(parent_id=seal.id)
    assert [(c.workflow, c.lead_unit, c.assignee, c.due, c.assigner) for c in (vp, cntt)] == [
        ("unit_contribution", VP, None, date(2024, 3, 25), "phuong"),
        ("unit_contribution", CNTT, None, date(2024, 3, 25), "phuong"),
    ]
    assert [d.id for d in e.unit_queue(VP)] == [vp.id]
    vt = Actor.of("vt", unit=VP)
    assert [d.id for d in e.queue(vt)] == [vp.id]
    assert [d.id for d in e.queue(Actor.of("tp_cntt"))] == [cntt.id]  # heads it (directory)

    # claim by a member; refused to a member of another unit
    clock.set(at(19, 3))
    with pytest.raises(PermissionDenied):
        e.claim(cntt.id, vt)
    assert e.claim(vp.id, vt).assignee == "vt"
    with pytest.raises(InvalidTransition, match="đã giao cho"):
        e.claim(vp.id, Actor.of("chanh_vp", unit=VP))
    # the head assigns (the directory makes tp_cntt head; the actor carries no unit)
    head = Actor.of("tp_cntt")
    with pytest.raises(PayloadError) as other:
        e.assign(cntt.id, head, "vt")
    assert other.value.field == "person"
    with pytest.raises(PermissionDenied):
        e.assign(cntt.id, Actor.of("cv_cntt", unit=CNTT), "cv_cntt")
    assert e.assign(cntt.id, head, "cv_cntt").assignee == "cv_cntt"
    assert e.unit_queue(VP, CNTT) == []

    clock.set(at(20, 3))
    e.fire(vp.id, "contribute", vt, {"content": "Đã rà soát danh sách chữ ký số"})

    # CNTT is late: reminded 2 working days before 25/03 (Thu 21/03 08:00), chased at the
    # deadline (24:00 on 25/03), escalated to the lead unit 2 working days after (28/03 08:00).
    Worker(e).advance(clock, at(28, 3, 9))
    assert e.get(cntt.id).state == "overdue"
    assert _sent(e, cntt.id) == [
        ("reminder", "tp_cntt", datetime(2024, 3, 21, 8, 0)),
        ("chasing_letter", "tp_cntt", datetime(2024, 3, 26, 0, 0)),
        ("escalation", "phuong", datetime(2024, 3, 28, 8, 0)),
    ]
    _, roll = e.children(seal.id)
    assert (roll.contributions, roll.contributed, roll.missing) == (2, 1, (CNTT,))

    # the lead unit asks for an explanation (moves.explain.roles: assigner); due in 2 working
    # days: Fri 29/03, Mon 01/04
    clock.set(at(28, 3, 10))
    with pytest.raises(PermissionDenied):
        e.request_explanation(cntt.id, Actor.of("cv_cntt", unit=CNTT))
    x = e.request_explanation(cntt.id, PHUONG, note="Đề nghị giải trình việc chậm phối hợp")
    assert (x.answer_due, x.owed_by, x.requested_by) == (date(2024, 4, 1), "cv_cntt", "phuong")
    assert ("explanation_request", "cv_cntt") in [(t, r) for t, r, _ in _sent(e, cntt.id)]
    with pytest.raises(InvalidTransition, match="chưa được đánh giá"):
        e.request_explanation(cntt.id, PHUONG)
    e.answer_explanation(
        cntt.id,
        Actor.of("cv_cntt", unit=CNTT),
        reason="Chưa bố trí được nhân sự",
        cause="subjective",
    )
    x = e.assess_explanation(cntt.id, PHUONG, verdict="subjective", note="Rút kinh nghiệm")
    assert (x.status, x.verdict, x.new_due) == ("assessed", "subjective", None)
    assert e.get(cntt.id).due == date(2024, 3, 25)

    rows = {r.unit: r for r in e.unit_involvement()}
    assert (rows[TT].leads, rows[TT].cooperates) == (1, 0)
    assert (rows[VP].leads, rows[VP].cooperates, rows[VP].contributions_done) == (0, 1, 1)
    assert (rows[CNTT].cooperates, rows[CNTT].contributions_overdue) == (1, 1)
    assert e.verify_audit().ok


def test_seed_002_official_meetings_delegated_reassigned_explained(
    moves_engine: Engine, clock: FakeClock
) -> None:
    e = moves_engine
    clock.set(at(21, 5))
    chanh_tt, gd, pgd = Actor.of("chanh_tt"), Actor.of("gd", unit=LD), Actor.of("pgd", unit=LD)
    tccb = Actor.of("tp_tccb", unit=LD)
    rec = e.create_directive(
        chanh_tt,
        "inspection_review_meeting",
        NewDirective(
            title="Tổ chức họp kiểm điểm rút kinh nghiệm đối với các cá nhân có hạn chế, thiếu sót",
            lead_unit=LD,  # addressed to the department: it waits in the unit's queue
            reviewer="ttv",
            doc_number="547/KL-TT",
            doc_date=date(2024, 5, 21),
            due=date(2024, 6, 28),  # the conclusion gives no date; the test sets one
        ),
    )
    assert [d.id for d in e.queue(gd)] == [rec.id]
    with pytest.raises(PermissionDenied):
        e.claim(rec.id, Actor.of("phuong", unit=TT))
    clock.set(at(22, 5))
    assert e.claim(rec.id, gd).assignee == "gd"

    with pytest.raises(PayloadError):
        e.delegate(rec.id, gd, [SubDirective("x", "pgd", due=date(2024, 7, 1))])
    a, b = e.delegate(
        rec.id,
        gd,
        [
            SubDirective(
                "Họp kiểm điểm rút kinh nghiệm: ông Mạch Trí Dũng - Chánh Văn phòng, cán bộ đầu mối "
                "thực hiện nhiệm vụ kiểm soát thủ tục hành chính",
                "pgd",
                due=date(2024, 6, 14),
            ),
            SubDirective(
                "Họp kiểm điểm rút kinh nghiệm: bà Nguyễn Thị Thu Nguyên - Trưởng phòng Người có công",
                "pgd",
                due=date(2024, 6, 14),
            ),
        ],
    )
    assert (a.workflow, a.kind, b.kind) == ("inspection_review_meeting", "delegated", "delegated")
    assert e.get(rec.id).state == "recommended"  # no trigger declared for delegation

    # the deputy goes on mission: (b) moves to the head of personnel, with the reason
    clock.set(at(27, 5))
    e.reassign(b.id, gd, reason="Phó Giám đốc đi công tác", assignee="tp_tccb")
    got = e.get(b.id)
    assert (got.assignee, got.original_assignee) == ("tp_tccb", "pgd")
    assert e.history(b.id)[-1].payload["from_assignee"] == "pgd"

    clock.set(at(5, 6))
    e.fire(a.id, "schedule_meeting", pgd, {"meeting_date": "2024-06-10"})
    assert e.get(rec.id).progress == (30 + 0) // 2
    clock.set(at(10, 6, 15))
    e.fire(a.id, "record_meeting", pgd, {"minutes": "Biên bản", "individuals_reviewed": 1})
    assert e.get(rec.id).progress == (100 + 0) // 2
    e.fire(rec.id, "schedule_meeting", gd, {"meeting_date": "2024-06-20"})
    assert e.get(rec.id).progress == 50  # the transition's 30 % does not hide the children's
    with pytest.raises(InvalidTransition, match=rf"đang mở: #{b.id}"):
        e.fire(rec.id, "record_meeting", gd, {"minutes": "x", "individuals_reviewed": 2})

    # (b) is late: overdue at 24:00 on Friday 14/06; the scheduler asks for an explanation within
    # 5 working days (17/06 … 21/06); the director's own request is refused while it is pending.
    Worker(e).advance(clock, at(17, 6, 9))
    (x,) = e.explanations(directive_id=b.id)
    assert (x.owed_by, x.answer_due, x.status) == ("tp_tccb", date(2024, 6, 21), "requested")
    with pytest.raises(InvalidTransition):
        e.request_explanation(b.id, gd)
    clock.set(at(18, 6))
    e.answer_explanation(
        b.id,
        tccb,
        reason="Bà Nguyễn đang nghỉ ốm",
        cause="objective",
        proposed_due=date(2024, 6, 25),
    )
    e.assess_explanation(b.id, gd, verdict="objective", new_due=date(2024, 6, 25))
    e.fire(b.id, "schedule_meeting", tccb, {"meeting_date": "2024-06-24"})
    clock.set(at(24, 6, 15))
    e.fire(b.id, "record_meeting", tccb, {"minutes": "Biên bản", "individuals_reviewed": 1})
    assert e.get(rec.id).progress == 100
    e.fire(rec.id, "record_meeting", gd, {"minutes": "Biên bản chung", "individuals_reviewed": 2})
    e.fire(rec.id, "verify", Actor.of("ttv"))
    assert e.get(rec.id).state == "verified"
    assert e.get(b.id).original_due == date(2024, 6, 14)
    assert e.verify_audit().ok


def test_moves_not_declared_are_refused(moves_engine: Engine) -> None:
    d = moves_engine.create_directive(
        BOARD,
        "remediation_self_assessment",
        NewDirective(title="Báo cáo tự đánh giá", assignee="luyen", due=date(2024, 6, 30)),
    )
    for call in (
        lambda: moves_engine.delegate(d.id, BOARD, [SubDirective("x")]),
        lambda: moves_engine.reassign(d.id, BOARD, reason="r", assignee="phuong"),
        lambda: moves_engine.claim(d.id, Actor.of("luyen")),
        lambda: moves_engine.request_explanation(d.id, BOARD),
    ):
        with pytest.raises(InvalidTransition, match=r"không có bước|không có hàng chờ"):
            call()
    assert len(moves_engine.history(d.id)) == 1


MINI = """workflow: {wid}
version: 1
title: T
roles: {{assignee: {{label: A}}, assigner: {{label: B}}}}
states:
  - {{id: open, label: Mở, initial: true}}
  - {{id: done, label: Xong, final: true, outcome: completed}}
transitions:
  - {{trigger: finish, source: open, dest: done, roles: [assignee]}}
moves:
  delegate:
    roles: [assignee]
    workflow: {child}
"""


def test_moves_name_workflows_that_exist(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dondoc.core.spec import load_workflow_files
    from dondoc.errors import WorkflowError

    (tmp_path / "a.yaml").write_text(MINI.format(wid="a", child="specialst_task"), "utf-8")
    with pytest.raises(WorkflowError) as info:
        load_workflow_files([tmp_path / "a.yaml"], known_workflows=["specialist_task"])
    (p,) = info.value.problems
    assert (
        p.line == 13
        and "không có quy trình 'specialst_task' (có phải 'specialist_task'?)" in p.message
    )
    (tmp_path / "a.yaml").write_text(MINI.format(wid="a", child="b"), "utf-8")
    (tmp_path / "b.yaml").write_text(MINI.format(wid="b", child="a"), "utf-8")
    assert len(load_workflow_files([tmp_path])) == 2


def test_the_docs_example_of_moves_validates(registry) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from dondoc.core.spec import parse_workflow

    text = (Path(__file__).parent.parent / "docs" / "workflows.md").read_text("utf-8")
    section = text.split("### A complete example that `dondoc validate` accepts", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    spec = parse_workflow(example, "docs/workflows.md").spec
    assert spec.moves.delegate is not None and spec.moves.delegate.workflow == "specialist_task"
    assert spec.moves.claim is not None and spec.moves.claim.roles == ["lead_unit"]
    assert {"specialist_task", "unit_contribution"} <= {c.spec.workflow for c in registry}


def test_the_lead_grid_counts_a_unit_s_own_directives(moves_engine: Engine) -> None:
    """Per lead unit, contributions are cooperation and sub-directives part of their parent."""
    e = moves_engine
    parent = e.create_directive(
        BOARD,
        "unit_task",
        NewDirective(
            title="Bàn giao con dấu",
            due=date(2024, 3, 31),
            assignee="phuong",
            lead_unit=TT,
            cooperating_units=(VP,),
        ),
    )
    e.delegate(parent.id, PHUONG, [SubDirective("Lập danh mục hồ sơ", "an")])
    by_unit = {r.key: r.total for r in e.statistics(by="lead_unit")}
    assert by_unit == {TT: 1}
    by_person = {r.key: r.total for r in e.statistics(by="assignee")}
    assert by_person["an"] == 1 and by_person["phuong"] == 1
    rows = {r.unit: r for r in e.unit_involvement()}
    assert (rows[TT].leads, rows[VP].cooperates, rows[VP].contributions_open) == (1, 1, 1)
