"""The Engine through its public API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.core.machine import load_workflows
from dondoc.errors import (
    ConflictError,
    InvalidTransition,
    NotFound,
    PayloadError,
    PermissionDenied,
    WorkflowError,
)
from dondoc.store.tables import EventRow

WF = "remediation_self_assessment"
BOARD = Actor.of("thang", "reviewer", name="Hoàng Mạnh Thắng")  # Phó Giám đốc Sở
PHUONG = Actor.of("phuong", unit="Thanh tra Sở", name="Nguyễn Phương")  # Chánh Thanh tra
LUYEN = Actor.of("luyen", unit="Thanh tra Sở", name="Hoàng Thị Luyến")  # Phó Chánh Thanh tra


def _self_assessment(engine: Engine, leader: Actor) -> int:
    d = engine.create_directive(
        BOARD,
        WF,
        NewDirective(
            title=f"Báo cáo tự đánh giá việc khắc phục - {leader.name}",
            content="Trước ngày 01/07/2024, từng đồng chí lãnh đạo phòng Thanh tra có báo cáo tự đánh giá…",
            lead_unit="Thanh tra Sở",
            assignee=leader.id,
            reviewer=BOARD.id,
            due=date(2024, 6, 30),
            due_text="Trước ngày 01/07/2024",
            doc_number="/TB-STTTT",
            doc_issuer="Sở Thông tin và Truyền thông tỉnh Đắk Nông",
        ),
    )
    return d.id


def test_seed_000_end_to_end(engine: Engine, clock: FakeClock) -> None:
    """Two leaders: one fixes the shortcomings and is accepted; one does not, self-proposes a
    disciplinary form, is sent back once, and is disciplined."""
    p = _self_assessment(engine, PHUONG)
    lu = _self_assessment(engine, LUYEN)
    assert engine.get(p).state == "assigned"
    assert engine.get(p).assigner == "thang"  # the creator became the assigner

    # A wrong role is refused, and names what was needed.
    with pytest.raises(PermissionDenied) as denied:
        engine.fire(p, "start", LUYEN)  # Luyến is not the assignee of Phương's directive
    assert denied.value.required == ("assignee",)
    # An out-of-order trigger is refused, naming what is allowed now.
    with pytest.raises(InvalidTransition) as refused:
        engine.fire(p, "accept", BOARD, {"conclusion": "Đạt"})
    assert set(refused.value.allowed) >= {"start", "submit_self_assessment", "request_extension"}

    clock.advance(days=1)
    assert engine.fire(p, "start", PHUONG).progress == 10
    clock.advance(days=30)
    d = engine.fire(
        p, "report_progress", PHUONG, {"progress": 60, "note": "Đã giải quyết vụ (1), (2)"}
    )
    assert (d.state, d.progress) == ("in_progress", 60)

    # Payload is checked field by field.
    with pytest.raises(PayloadError) as bad:
        engine.fire(p, "submit_self_assessment", PHUONG, {"report": "…"})
    assert bad.value.field == "shortcomings_fixed"
    with pytest.raises(PayloadError) as bad:
        engine.fire(
            p,
            "submit_self_assessment",
            PHUONG,
            {"report": "x", "shortcomings_fixed": True, "typo": 1},
        )
    assert bad.value.field == "typo"

    clock.advance(days=60)
    d = engine.fire(
        p,
        "submit_self_assessment",
        PHUONG,
        {"report": "Đã khắc phục toàn bộ tồn tại, hạn chế.", "shortcomings_fixed": True},
    )
    assert (d.state, d.progress) == ("self_assessment_submitted", 100)
    d = engine.fire(p, "accept", BOARD, {"conclusion": "Đạt yêu cầu"})
    assert (d.state, d.is_open, d.outcome) == ("reviewed", False, "completed")
    assert d.closed_at == clock.now()

    # Luyến: not fixed, must self-propose a form (the guard says so in Vietnamese).
    engine.fire(lu, "start", LUYEN)
    with pytest.raises(InvalidTransition) as guard:
        engine.fire(
            lu,
            "submit_self_assessment",
            LUYEN,
            {"report": "Chưa xong", "shortcomings_fixed": False},
        )
    assert "tự đề xuất hình thức" in str(guard.value)
    engine.fire(
        lu,
        "submit_self_assessment",
        LUYEN,
        {
            "report": "Chưa khắc phục hết",
            "shortcomings_fixed": False,
            "proposed_discipline": "khien_trach",
        },
    )
    engine.fire(lu, "return_for_rework", BOARD, {"comment": "Bổ sung số liệu"})
    assert engine.get(lu).state == "in_progress"
    engine.fire(
        lu,
        "submit_self_assessment",
        LUYEN,
        {"report": "Bổ sung", "shortcomings_fixed": False, "proposed_discipline": "khien_trach"},
    )
    d = engine.fire(
        lu, "discipline", BOARD, {"form": "khien_trach", "decision_number": "12/QĐ-STTTT"}
    )
    assert d.state == "disciplined"
    with pytest.raises(InvalidTransition) as closed:
        engine.fire(lu, "start", LUYEN)
    assert closed.value.allowed == ()

    hist = engine.history(p)
    assert [(e.kind, e.trigger, e.from_state, e.to_state, e.actor, e.role) for e in hist] == [
        ("created", None, None, "assigned", "thang", None),
        ("transition", "start", "assigned", "in_progress", "phuong", "assignee"),
        ("transition", "report_progress", "in_progress", "in_progress", "phuong", "assignee"),
        (
            "transition",
            "submit_self_assessment",
            "in_progress",
            "self_assessment_submitted",
            "phuong",
            "assignee",
        ),
        ("transition", "accept", "self_assessment_submitted", "reviewed", "thang", "reviewer"),
    ]
    assert hist[3].payload == {
        "report": "Đã khắc phục toàn bộ tồn tại, hạn chế.",
        "shortcomings_fixed": True,
    }
    assert [e.seq for e in hist] == [1, 2, 3, 4, 5]
    assert hist[1].prev_hash == hist[0].hash
    assert len(engine.history(lu)) == 6
    report = engine.verify_audit()
    assert report.ok and report.directives_checked == 2 and report.events_checked == 11


def test_extension_keeps_the_original_due_date(engine: Engine) -> None:
    p = _self_assessment(engine, PHUONG)
    engine.fire(p, "start", PHUONG)
    engine.fire(
        p, "request_extension", PHUONG, {"reason": "Chờ Thanh tra Bộ", "proposed_due": "2024-07-31"}
    )
    with pytest.raises(PayloadError, match="new_due"):
        engine.fire(p, "approve_extension", BOARD, {"new_due": "31/07/2024"})
    d = engine.fire(p, "approve_extension", BOARD, {"new_due": date(2024, 7, 31)})
    assert (d.due, d.original_due, d.extended, d.state) == (
        date(2024, 7, 31),
        date(2024, 6, 30),
        True,
        "in_progress",
    )


def test_unit_roles_and_granted_roles(engine: Engine) -> None:
    d = engine.create_directive(
        BOARD,
        "monthly_briefing_task",
        NewDirective(
            title="Chuẩn bị cuộc thanh tra tại Sở GD&ĐT",
            lead_unit="Phòng Nghiệp vụ 1",
            cooperating_units=("Văn phòng",),
            assignee="truong_phong_nv1",
        ),
    )
    member = Actor.of("chuyen_vien", unit="Phòng Nghiệp vụ 1")
    helper = Actor.of("van_phong", unit="Văn phòng")
    outsider = Actor.of("x", unit="Phòng Nghiệp vụ 2")
    assert engine.allowed_triggers(d.id, outsider) == []
    assert engine.allowed_triggers(d.id, member) == ["start", "report_result"]
    engine.fire(d.id, "start", member)
    ev = engine.history(d.id)[-1]
    assert ev.role == "lead_unit"
    engine.fire(d.id, "report_progress", helper, {"progress": 40})
    assert engine.history(d.id)[-1].role == "cooperating_unit"
    with pytest.raises(PermissionDenied):
        engine.fire(d.id, "report_result", helper, {"result": "x"})


def test_failed_commands_write_nothing(engine: Engine) -> None:
    p = _self_assessment(engine, PHUONG)
    before = engine.get(p)
    for attempt in (
        lambda: engine.fire(p, "accept", BOARD, {"conclusion": "x"}),
        lambda: engine.fire(p, "start", LUYEN),
        lambda: engine.fire(p, "report_progress", PHUONG, {"progress": 10}),
        lambda: engine.fire(
            p, "submit_self_assessment", PHUONG, {"report": "x", "shortcomings_fixed": False}
        ),
        lambda: engine.fire(p, "nonexistent", PHUONG),
    ):
        with pytest.raises((InvalidTransition, PermissionDenied, PayloadError)):
            attempt()
    assert engine.get(p) == before
    assert len(engine.history(p)) == 1


def test_expected_version_and_not_found(engine: Engine) -> None:
    p = _self_assessment(engine, PHUONG)
    with pytest.raises(ConflictError):
        engine.fire(p, "start", PHUONG, expected_version=7)
    assert engine.fire(p, "start", PHUONG, expected_version=1).version == 2
    with pytest.raises(NotFound):
        engine.get(9999)
    with pytest.raises(NotFound):
        engine.fire(9999, "start", PHUONG)
    with pytest.raises(NotFound):
        engine.create_directive(BOARD, "no_such_workflow", NewDirective(title="x"))
    with pytest.raises(PayloadError):
        engine.create_directive(BOARD, WF, NewDirective(title="   "))


def test_queries(engine: Engine) -> None:
    parent = engine.create_directive(
        BOARD,
        "monthly_briefing_task",
        NewDirective(title="Kết luận giao ban tháng 8/2022", doc_number="/KL-TTr"),
    )
    for unit in ("Phòng 1", "Phòng 2", "Phòng 2"):
        engine.create_directive(
            BOARD,
            "monthly_briefing_task",
            NewDirective(
                title=f"Nhiệm vụ {unit}", lead_unit=unit, assignee=f"tp_{unit}", parent_id=parent.id
            ),
        )
    assert len(engine.directives(parent_id=parent.id)) == 3
    assert [d.title for d in engine.directives(unit="Phòng 2")] == ["Nhiệm vụ Phòng 2"] * 2
    assert len(engine.directives(assignee="tp_Phòng 1")) == 1
    assert len(engine.directives(doc_number="/KL-TTr")) == 1
    assert len(engine.directives(limit=2)) == 2
    assert len(engine.directives(state="assigned", open_only=True)) == 4
    with pytest.raises(NotFound):
        engine.create_directive(
            BOARD, "monthly_briefing_task", NewDirective(title="x", parent_id=424242)
        )


def test_tampering_is_detected(engine: Engine) -> None:
    p = _self_assessment(engine, PHUONG)
    engine.fire(p, "start", PHUONG)
    engine.fire(p, "report_progress", PHUONG, {"progress": 50})
    assert engine.verify_audit().ok
    with engine.db.begin() as conn:
        conn.execute(
            sa.update(EventRow)
            .where(EventRow.directive_id == p, EventRow.seq == 2)
            .values(actor="luyen")
        )
    report = engine.verify_audit()
    assert not report.ok
    assert any("sự kiện #2" in b and "mã băm" in b for b in report.breaks)
    with engine.db.begin() as conn:
        conn.execute(sa.delete(EventRow).where(EventRow.directive_id == p, EventRow.seq == 2))
    assert any("lẽ ra phải là sự kiện #2" in b for b in engine.verify_audit().breaks)


def test_changed_workflow_needs_a_new_version(db_url: str, clock: FakeClock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dondoc.core.spec import bundled_workflow_files

    Engine(db_url, clock=clock).db.dispose()
    src = next(p for p in bundled_workflow_files() if p.stem == WF).read_text(encoding="utf-8")
    folder = tmp_path / "admin"
    folder.mkdir()
    # Comments do not count as a change …
    (folder / "same.yaml").write_text("# admin copy\n" + src, encoding="utf-8")
    Engine(db_url, workflows=load_workflows(str(folder), bundled=False), clock=clock).db.dispose()
    # … a changed label under the same version does.
    (folder / "same.yaml").write_text(src.replace("Đang khắc phục", "Đang sửa"), encoding="utf-8")
    with pytest.raises(WorkflowError, match="đặt số phiên bản mới cho định nghĩa đã sửa"):
        Engine(db_url, workflows=load_workflows(str(folder), bundled=False), clock=clock)
    # Bumping the version is fine, and directives of the old one still work from the stored source.
    v = load_workflows().get(WF).spec.version
    (folder / "same.yaml").write_text(
        src.replace("Đang khắc phục", "Đang sửa").replace(f"version: {v}", f"version: {v + 1}"),
        encoding="utf-8",
    )
    eng = Engine(db_url, workflows=load_workflows(str(folder), bundled=False), clock=clock)
    d = eng.create_directive(BOARD, WF, NewDirective(title="new", assignee="phuong"))
    assert d.workflow_version == v + 1 and d.state_label == "Đã giao"
    assert eng.fire(d.id, "start", PHUONG).state_label == "Đang sửa"
    old = eng.create_directive(
        BOARD, WF, NewDirective(title="old still", assignee="phuong"), version=v
    )
    assert old.workflow_version == v
    assert eng.fire(old.id, "start", PHUONG).state_label == "Đang khắc phục"
    eng.db.dispose()


def test_old_versions_are_decided_from_the_stored_source(db_url: str, clock: FakeClock) -> None:
    eng = Engine(db_url, clock=clock)
    d = eng.create_directive(BOARD, WF, NewDirective(title="x", assignee="phuong"))
    eng.db.dispose()
    # A later process that no longer has the file still decides v1 directives.
    other = Engine(db_url, workflows=load_workflows(bundled=False), clock=clock)
    assert len(other.workflows) == 0
    assert other.fire(d.id, "start", PHUONG).state_label == "Đang khắc phục"
    other.db.dispose()


def test_every_accepted_command_bumps_the_version_even_when_nothing_changes(engine: Engine) -> None:
    """Regression: an identical repeat (same progress, clock not moving) must still go through
    the version-checked UPDATE, or two such commands could race unseen."""
    p = _self_assessment(engine, PHUONG)
    engine.fire(p, "start", PHUONG)
    v1 = engine.fire(p, "report_progress", PHUONG, {"progress": 50}).version
    v2 = engine.fire(p, "report_progress", PHUONG, {"progress": 50}).version
    assert v2 == v1 + 1
    with pytest.raises(ConflictError):
        engine.fire(p, "report_progress", PHUONG, {"progress": 50}, expected_version=v1)
