"""How work moves between people, as a workflow declares it (the ``moves:`` section).

A directive rarely stays with whoever it was addressed to. A workflow says which of these moves
its directives allow, who may make them, and with what deadlines:

- ``delegate`` (giao việc tiếp): split a directive into sub-directives for specialists, each due
  no later than the parent; the parent's progress rolls up from them, and the parent cannot be
  reported done while they are open (unless ``close_with_open_children``);
- ``cooperate`` (đơn vị phối hợp): each cooperating unit owes the lead unit a contribution,
  tracked as a child directive of its own workflow, due ``before_due`` ahead of the parent;
- ``reassign`` (chuyển xử lý): the directive moves to another person or unit, with a reason;
- ``claim``: a directive addressed to a unit is claimed by a member (or assigned by the head);
- ``explain`` (yêu cầu giải trình): an overdue directive's assignee is asked to explain within
  a number of working days; the answer is assessed by the assigner.

Pure: the models and their checks; the Engine's ``moves`` part carries them out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from ..deadlines.durations import parse_offset

MoveIdent = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

#: Bound by the people directory, not by the directive's fields: the actor heads the
#: directive's lead unit. Usable in ``moves`` without declaring it under ``roles``.
UNIT_HEAD = "unit_head"
#: The moves a workflow can declare, in the order the docs list them.
MOVES = ("delegate", "cooperate", "reassign", "claim", "explain")
#: Timers the moves schedule themselves (not declared under ``timers``) carry this prefix.
MOVE_TIMER_PREFIX = "move:"
EXPLANATION_TIMER = MOVE_TIMER_PREFIX + "explanation_due"


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


RoleList = Annotated[list[str], BeforeValidator(_as_list, json_schema_input_type=str | list[str])]


class _Move(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DelegateMove(_Move):
    """Giao việc tiếp: sub-directives for specialists under this one."""

    roles: RoleList = Field(description="roles on the parent that may delegate, e.g. [assignee]")
    workflow: MoveIdent | None = Field(
        default=None, description="workflow of the sub-directives (default: this workflow)"
    )
    states: RoleList | None = Field(
        default=None, description="parent states delegation is allowed from (default: any open)"
    )
    trigger: MoveIdent | None = Field(
        default=None,
        description="a transition fired on the parent in the same transaction when it is "
        "delegated (e.g. assigned → in_progress), if it can be fired from the parent's state",
    )
    close_with_open_children: bool = Field(
        default=False,
        description="allow the parent to reach a done or completed state while sub-directives "
        "are open (default: refused)",
    )
    roll_up: bool = Field(
        default=True, description="the parent's progress is the mean of its sub-directives'"
    )


class CooperateMove(_Move):
    """Đơn vị phối hợp: each cooperating unit's contribution is a tracked child directive."""

    roles: RoleList = Field(description="roles on the parent that may request contributions")
    workflow: MoveIdent = Field(description="workflow of each contribution (its own timers)")
    before_due: str | None = Field(
        default=None,
        description="contributions are due this long before the parent, e.g. '5 ngày làm việc'",
    )
    auto: bool = Field(
        default=False,
        description="request them from every cooperating unit when the directive is created",
    )


class ReassignMove(_Move):
    """Chuyển xử lý: to another person or unit, with a reason; history and original kept."""

    roles: RoleList = Field(description="roles that may reassign, e.g. [assigner, unit_head]")


class ClaimMove(_Move):
    """A directive addressed to a unit (no assignee yet) waits in the unit's queue."""

    roles: RoleList = Field(
        default_factory=lambda: ["lead_unit"],
        description="roles that may claim it for themselves (default: members of the lead unit)",
    )
    assign_roles: RoleList = Field(
        default_factory=lambda: [UNIT_HEAD],
        description="roles that may give it to a member (default: the head of the lead unit)",
    )


class ExplainMove(_Move):
    """Yêu cầu giải trình on an overdue directive."""

    within: str = Field(description="the answer is due this long after the request")
    roles: RoleList = Field(
        default_factory=list, description="roles that may request an explanation"
    )
    auto_states: RoleList = Field(
        default_factory=list,
        description="the scheduler requests one when the directive enters these states",
    )
    answer_roles: RoleList = Field(
        default_factory=lambda: ["assignee", "lead_unit"],
        description="roles that may answer (default: the assignee, members of the lead unit)",
    )
    decide_roles: RoleList = Field(description="roles that assess the answer")
    template: MoveIdent = Field(
        default="explanation_request", description="notification sent to whoever must answer"
    )
    escalate_to: str = Field(
        default="assigner", description="role told when the answer is not given in time"
    )
    escalate_template: MoveIdent = Field(default="escalation")


class MovesSpec(_Move):
    delegate: DelegateMove | None = None
    cooperate: CooperateMove | None = None
    reassign: ReassignMove | None = None
    claim: ClaimMove | None = None
    explain: ExplainMove | None = None


Add = Callable[[tuple[str | int, ...], str], None]


def check_moves(
    moves: MovesSpec,
    *,
    roles: Collection[str],
    states: Collection[str],
    final_states: Collection[str],
    triggers: Collection[str],
    templates: Collection[str] | None,
    add: Add,
    hint: Callable[[str, Iterable[str]], str],
) -> None:
    """Report every problem of the ``moves:`` section through ``add(path, message)``."""
    known_roles = {*roles, UNIT_HEAD}

    def check_roles(at: tuple[str | int, ...], names: list[str], *, empty_ok: bool = False) -> None:
        if not names and not empty_ok:
            add(at, "cần ít nhất một vai trò")
        for j, role in enumerate(names):
            if role not in known_roles:
                add((*at, j), f"không có vai trò {role!r}{hint(role, known_roles)}")

    def check_states(at: tuple[str | int, ...], names: list[str]) -> None:
        for j, st in enumerate(names):
            if st not in states:
                add((*at, j), f"không có trạng thái {st!r}{hint(st, states)}")
            elif st in final_states:
                add((*at, j), f"trạng thái {st!r} là trạng thái cuối; không gì chuyển đi từ đó")

    def check_offset(at: tuple[str | int, ...], text: str) -> None:
        try:
            off = parse_offset(text)
        except ValueError as exc:
            add(at, str(exc))
            return
        if off.unit == "hour":
            add(at, "ghi số ngày hoặc ngày làm việc (vd. '3 ngày làm việc'), không ghi giờ")

    def check_template(at: tuple[str | int, ...], name: str) -> None:
        if templates is not None and name not in templates:
            add(at, f"không có mẫu văn bản {name!r}{hint(name, templates)}")

    base = ("moves",)
    if (d := moves.delegate) is not None:
        at = (*base, "delegate")
        check_roles((*at, "roles"), d.roles)
        if d.states is not None:
            check_states((*at, "states"), d.states)
        if d.trigger is not None and d.trigger not in triggers:
            add((*at, "trigger"), f"không có lệnh {d.trigger!r}{hint(d.trigger, triggers)}")
    if (c := moves.cooperate) is not None:
        at = (*base, "cooperate")
        check_roles((*at, "roles"), c.roles)
        if c.before_due is not None:
            check_offset((*at, "before_due"), c.before_due)
    if (r := moves.reassign) is not None:
        at = (*base, "reassign")
        check_roles((*at, "roles"), r.roles)
        if "assignee" in r.roles:
            add(
                (*at, "roles"),
                "người được giao không được tự chuyển nhiệm vụ của mình; ghi ai quyết định việc "
                "chuyển (vd. assigner, unit_head)",
            )
    if (k := moves.claim) is not None:
        at = (*base, "claim")
        # the defaults name bound roles (lead_unit, unit_head): checked only when written
        if "roles" in k.model_fields_set:
            check_roles((*at, "roles"), k.roles, empty_ok=True)
        if "assign_roles" in k.model_fields_set:
            check_roles((*at, "assign_roles"), k.assign_roles, empty_ok=True)
        if not k.roles and not k.assign_roles:
            add(
                at,
                "cần roles (ai được nhận việc) hoặc assign_roles (ai được phân công), hoặc cả hai",
            )
    if (e := moves.explain) is not None:
        at = (*base, "explain")
        check_offset((*at, "within"), e.within)
        check_roles((*at, "roles"), e.roles, empty_ok=bool(e.auto_states))
        if "answer_roles" in e.model_fields_set:
            check_roles((*at, "answer_roles"), e.answer_roles)
        check_roles((*at, "decide_roles"), e.decide_roles)
        check_states((*at, "auto_states"), e.auto_states)
        if "assignee" in e.decide_roles:
            add(
                (*at, "decide_roles"),
                "người được giao không được tự đánh giá giải trình của mình (không ai tự quyết định việc của chính mình)",
            )
        if "escalate_to" in e.model_fields_set and e.escalate_to not in known_roles:
            add(
                (*at, "escalate_to"),
                f"không có vai trò {e.escalate_to!r}{hint(e.escalate_to, known_roles)}",
            )
        check_template((*at, "template"), e.template)
        check_template((*at, "escalate_template"), e.escalate_template)


def referenced_workflows(moves: MovesSpec) -> list[tuple[tuple[str, ...], str]]:
    """The other workflows ``moves`` names, with where (for cross-file checks)."""
    out: list[tuple[tuple[str, ...], str]] = []
    if moves.delegate is not None and moves.delegate.workflow is not None:
        out.append((("moves", "delegate", "workflow"), moves.delegate.workflow))
    if moves.cooperate is not None:
        out.append((("moves", "cooperate", "workflow"), moves.cooperate.workflow))
    return out
