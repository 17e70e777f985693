"""Finding 1 of issue 14 (separation of duties): global roles are not roles on a directive,
a workflow grants them explicitly, and nobody decides their own request.

Each test first replays the attack the security review ran, then checks the safe outcome."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

from dondoc import Actor, Engine, FakeClock, NewDirective, errors  # noqa: E402
from dondoc.core.permissions import (  # noqa: E402
    Permission,
    SeparationOfDuties,
    can,
    require,
    roles_on,
)
from dondoc.core.spec import parse_workflow  # noqa: E402
from dondoc.web.api import create_app  # noqa: E402

WF = "remediation_self_assessment"
BOARD = Actor.of("thang", "reviewer", "assigner")  # Ban Giám đốc: creates and reviews
# The attacker of the review: a leader assigned a directive who also holds the global
# "assigner" role (so that they may create directives for their own staff).
LUYEN = Actor.of("luyen", "assigner", unit="Thanh tra Sở")
PHUONG = Actor.of("phuong", unit="Thanh tra Sở")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    clock = FakeClock(datetime(2027, 3, 1, 2, tzinfo=UTC))
    return Engine(f"sqlite:///{tmp_path / 'p.db'}", clock=clock)


def _directive(engine: Engine, assignee: str, creator: Actor = BOARD) -> int:
    return engine.create_directive(
        creator,
        WF,
        NewDirective(title="Khắc phục", assignee=assignee, due=date(2027, 6, 30)),
    ).id


def test_global_assigner_is_not_the_assigner_of_a_colleagues_directive(engine: Engine) -> None:
    mine, colleague = _directive(engine, "luyen"), _directive(engine, "phuong")
    engine.fire(mine, "request_extension", LUYEN, {"reason": "bận", "proposed_due": "2030-12-31"})
    # the attack: approve one's own extension, cancel a colleague's directive
    with pytest.raises(errors.PermissionDenied):
        engine.fire(mine, "approve_extension", LUYEN, {"new_due": "2030-12-31"})
    with pytest.raises(errors.PermissionDenied):
        engine.fire(colleague, "cancel", LUYEN, {"reason": "không cần"})
    assert engine.get(mine).due == date(2027, 6, 30)
    assert engine.get(colleague).state == "assigned"
    # the safe outcome: the board decides; the directive's own assigner may cancel
    assert engine.fire(mine, "approve_extension", BOARD, {"new_due": "2027-09-30"}).due == date(
        2027, 9, 30
    )
    assert engine.fire(colleague, "cancel", BOARD, {"reason": "trùng"}).state == "cancelled"


def test_nobody_approves_their_own_request_even_holding_the_deciding_role(
    engine: Engine,
) -> None:
    # A board member (global reviewer, granted the workflow's reviewer) is also the assignee.
    member = Actor.of("thang", "reviewer", "assigner")
    d = _directive(engine, "thang")
    engine.fire(d, "request_extension", member, {"reason": "x", "proposed_due": "2030-01-01"})
    assert "approve_extension" not in engine.allowed_triggers(d, member)
    with pytest.raises(SeparationOfDuties) as caught:
        engine.fire(d, "approve_extension", member, {"new_due": "2030-01-01"})
    assert caught.value.excluded == "requester" and "tự quyết định yêu cầu của chính mình" in str(caught.value)
    assert engine.get(d).state == "extension_requested"
    # … nor rejects it (a decision too), nor accepts their own self-assessment
    with pytest.raises(SeparationOfDuties):
        engine.fire(d, "reject_extension", member, {"reason": "x"})
    other = Actor.of("hung", "reviewer")
    engine.fire(d, "reject_extension", other, {"reason": "không đủ căn cứ"})
    engine.fire(d, "submit_self_assessment", member, {"report": "…", "shortcomings_fixed": True})
    with pytest.raises(SeparationOfDuties):
        engine.fire(d, "accept", member, {"conclusion": "Đạt"})
    assert engine.fire(d, "accept", other, {"conclusion": "Đạt"}).state == "reviewed"


def test_self_assigned_directive_still_needs_someone_else_to_decide(engine: Engine) -> None:
    # the assigner is bound by the directive (its creator), and requests for themselves
    d = _directive(engine, "luyen", creator=LUYEN)
    assert engine.get(d).assigner == "luyen"
    engine.fire(d, "request_extension", LUYEN, {"reason": "x", "proposed_due": "2030-01-01"})
    with pytest.raises(SeparationOfDuties):
        engine.fire(d, "approve_extension", LUYEN, {"new_due": "2030-01-01"})


def test_roles_on_a_directive_come_from_its_fields_and_the_workflows_grants() -> None:
    fields = dict(assignee="phuong", assigner="thang", reviewer=None, lead_unit="Thanh tra Sở")
    admin = Actor.of("root", "admin", "assigner")
    assert roles_on(admin, **fields) == frozenset()  # global roles alone hold nothing
    assert roles_on(admin, **fields, grants={"reviewer": ["admin"]}) == {"reviewer"}
    assert roles_on(PHUONG, **fields) == {"assignee", "lead_unit"}
    assert roles_on(Actor.of("s", "system"), **fields) == {"system"}
    assert can(admin, Permission.ADMIN) and can(LUYEN, Permission.CREATE)
    assert not can(LUYEN, Permission.REVIEW) and not can(PHUONG, Permission.CREATE)
    with pytest.raises(errors.PermissionDenied, match="admin"):
        require(LUYEN, Permission.ADMIN, "validate")


_BASE = """workflow: w
version: 1
title: T
roles:
  assignee: {label: A}
  reviewer: {label: R}
states:
  - {id: s, label: S, initial: true}
  - {id: e, label: E, final: true, outcome: completed}
transitions:
  - {trigger: go, source: s, dest: e, roles: [reviewer], not_by: [requester]}
"""


def test_grants_and_not_by_are_validated_with_file_and_line() -> None:
    ok = parse_workflow(_BASE + "grants:\n  reviewer: [reviewer, board]\n", "w.yaml")
    assert ok.spec.grants == {"reviewer": ["reviewer", "board"]}
    assert ok.spec.transitions[0].not_by == ["requester"]
    bad = _BASE.replace("not_by: [requester]", "not_by: [boss]") + (
        "grants:\n  reviwer: [reviewer]\n  system: [admin]\n"
    )
    with pytest.raises(errors.WorkflowError) as caught:
        parse_workflow(bad, "w.yaml")
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "w.yaml:11:" in text and "not_by" in text  # shape errors come first
    fixed = bad.replace("not_by: [boss]", "not_by: [requester]")
    with pytest.raises(errors.WorkflowError) as caught:
        parse_workflow(fixed, "w.yaml")
    lines = sorted(str(p) for p in caught.value.problems)
    assert lines[0].startswith("w.yaml:13:") and "có phải 'reviewer'" in lines[0]
    assert lines[1].startswith("w.yaml:14:") and "bộ lập lịch" in lines[1]


# --- end to end through the app of `dondoc serve` ---------------------------------------------


def test_attack_through_the_api_approving_ones_own_extension(tmp_path: Path) -> None:
    engine = Engine(
        f"sqlite:///{tmp_path / 'api.db'}", clock=FakeClock(datetime(2027, 3, 1, 2, tzinfo=UTC))
    )
    attacker = engine.create_token("luyen", roles=("assigner",), unit="Thanh tra Sở")
    board = engine.create_token("thang", roles=("assigner", "reviewer"))
    client = TestClient(create_app(engine))

    def call(path: str, token: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        r = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        return r.status_code, r.json()

    status, d = call(
        "/api/directives",
        board,
        {"workflow": WF, "title": "Khắc phục", "assignee": "luyen", "due": "2027-06-30"},
    )
    assert status == 201
    status, colleague = call(
        "/api/directives",
        board,
        {
            "workflow": WF,
            "title": "Khác",
            "assignee": "phuong",
            "lead_unit": "Thanh tra Sở",  # so the attacker sees it
        },
    )
    did = d["id"]
    status, _ = call(
        f"/api/directives/{did}/extension",
        attacker,
        {"reason": "bận", "proposed_due": "2030-12-31"},
    )
    assert status == 200
    status, body = call(
        f"/api/directives/{did}/extension/approve", attacker, {"new_due": "2030-12-31"}
    )
    assert status == 403 and body["code"] == "permission_denied"
    status, body = call(
        f"/api/directives/{colleague['id']}/fire",
        attacker,
        {"trigger": "cancel", "payload": {"reason": "x"}},
    )
    assert status == 403 and body["code"] == "permission_denied"
    assert engine.get(did).due == date(2027, 6, 30)
    assert engine.get(colleague["id"]).state == "assigned"
    status, body = call(
        f"/api/directives/{did}/extension/approve", board, {"new_due": "2027-09-30"}
    )
    assert status == 200 and body["due"] == "2027-09-30"
    # creating needs the global permission: a person without it gets 403
    nobody = engine.create_token("vp", unit="Văn phòng")
    assert call("/api/directives", nobody, {"workflow": WF, "title": "x"})[0] == 403
    engine.db.dispose()
