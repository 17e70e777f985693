"""How work moves between people: delegation, cooperating units, reassignment, claim.

Each move is one transaction with its audit event(s) and timers, allowed by the directive's
workflow (``moves:``, see :mod:`dondoc.core.movespec`) to the roles it names:

- :meth:`Moves.delegate` — sub-directives (kind ``delegated``) for specialists, each due no later
  than the parent; the parent's progress rolls up from them (an event ``rollup`` on the parent
  whenever it changes) and the parent cannot be reported done while one is open;
- :meth:`Moves.request_contributions` — one child (kind ``contribution``) per cooperating unit,
  in the unit's queue, due ``before_due`` ahead of the parent; reminded and escalated by its own
  workflow's timers like any directive;
- :meth:`Moves.reassign` — to another person or unit with a reason; the original assignee and
  unit stay on the directive, the history in its trail; pending timers follow the new assignee
  (recipients are resolved when a timer fires), due-relative ones move with a new due date;
- :meth:`Moves.claim` / :meth:`Moves.assign` — a directive addressed to a unit waits in the
  unit's queue (:meth:`Moves.queue`) until a member claims it or the head gives it to one.

Deadlines keep one invariant everywhere (moves, extensions, explanations): a sub-directive is
never due after its parent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..clock import local_date
from ..core.actors import SCHEDULER, Actor
from ..core.machine import CompiledWorkflow, Decision
from ..core.movespec import CooperateMove
from ..core.records import Directive, RollUp, UnitInvolvement
from ..deadlines.durations import parse_offset
from ..deadlines.phrases import apply_offset, parse_deadline
from ..errors import InvalidTransition, NotFound, PayloadError
from ..store import movestore
from ..store.statements import DirectiveState, Sql
from .base import NewDirective
from .explanations import Explanations

MAX_CHILDREN = 200
MAX_REASON = 2000


@dataclass(frozen=True)
class SubDirective:
    """One sub-directive to delegate. ``due`` (or ``deadline``, a phrase) defaults to the
    parent's due date and may not be after it; ``lead_unit`` to the parent's; ``reviewer`` to
    whoever delegates."""

    title: str
    assignee: str | None = None
    due: date | None = None
    deadline: str | None = None
    content: str = ""
    lead_unit: str | None = None
    reviewer: str | None = None
    data: Mapping[str, Any] | None = None


def roll_up(kids: Sequence[DirectiveState], today: date) -> RollUp:
    """The roll-up of a parent's children (pure; see :class:`RollUp`)."""
    delegated = [k for k in kids if k.kind == "delegated"]
    counted = [k for k in delegated if k.is_open or k.done_at is not None]
    progress = (
        sum(100 if k.done_at is not None else k.progress for k in counted) // len(counted)
        if counted
        else None
    )
    contributions = [k for k in kids if k.kind == "contribution"]
    return RollUp(
        delegated=len(delegated),
        open=sum(1 for k in delegated if k.is_open and k.done_at is None),
        done=sum(1 for k in delegated if k.done_at is not None),
        cancelled=len(delegated) - len(counted),
        overdue=sum(1 for k in delegated if _overdue(k, today)),
        progress=progress,
        contributions=len(contributions),
        contributed=sum(1 for k in contributions if k.done_at is not None),
        missing=tuple(k.lead_unit or "—" for k in contributions if k.is_open and k.done_at is None),
    )


def _overdue(k: DirectiveState, today: date) -> bool:
    return k.is_open and k.done_at is None and k.due is not None and today > k.due


class Moves(Explanations):
    """Delegation, cooperation, reassignment and claim; the moves' rules on every transition."""

    # --- delegation ---------------------------------------------------------------------------
    def delegate(
        self, parent_id: int, actor: Actor, children: Sequence[SubDirective]
    ) -> list[Directive]:
        """Split a directive into sub-directives (giao việc tiếp). One transaction: the children
        (created in the workflow ``moves.delegate.workflow``, assigned by ``actor``), the
        parent's ``delegate`` event, its declared ``trigger`` when it can be fired, its roll-up.

        Raises NotFound, PermissionDenied, InvalidTransition (no delegation in this workflow,
        parent closed, done, or in a state delegation is not allowed from), PayloadError (a
        child due after the parent — the field is ``children[i].due`` — or no children).
        """
        if not children:
            raise PayloadError("children", "cần ít nhất một nhiệm vụ con")
        if len(children) > MAX_CHILDREN:
            raise PayloadError("children", f"tối đa {MAX_CHILDREN} nhiệm vụ mỗi lần")
        now = self.clock.now()
        with self._cmd() as sql:
            parent = self._load_for_move(sql, parent_id, "delegate")
            compiled = self._compiled(sql, parent.workflow, parent.workflow_version)
            move = compiled.spec.moves.delegate
            if move is None:
                raise InvalidTransition(
                    "delegate",
                    parent.state,
                    (),
                    f"quy trình {parent.workflow!r} không có bước giao việc tiếp",
                )
            role = self._need("delegate", move.roles, actor, parent, compiled)
            if move.states is not None and parent.state not in move.states:
                raise InvalidTransition(
                    "delegate", parent.state, (), f"không được phép ở trạng thái '{parent.state}'"
                )
            if parent.done_at is not None:
                raise InvalidTransition("delegate", parent.state, (), "công việc đã xong")
            child_wf = self.workflows.get(move.workflow) if move.workflow else compiled
            created = [
                self._insert_directive(
                    sql,
                    actor.id,
                    child_wf,
                    self._child(parent, actor, sub, f"children[{i}]", now),
                    now,
                    kind="delegated",
                )
                for i, sub in enumerate(children)
            ]
            self._move_event(
                sql,
                parent,
                actor=actor.id,
                role=role,
                move="delegate",
                payload={
                    "children": [c.id for c in created],
                    "assignees": [c.assignee for c in created],
                    "dues": [c.due.isoformat() if c.due else None for c in created],
                },
                now=now,
            )
            trigger = move.trigger
            if trigger is not None and trigger in compiled.allowed_triggers(
                parent.state, self._roles_on(actor, parent, compiled)
            ):
                self._apply(sql, parent, trigger, actor, {}, now)
            else:
                self._roll_up(sql, parent, actor.id, now, created[-1].id)
            return [self._to_record(sql, c) for c in created]

    def _child(
        self, parent: DirectiveState, actor: Actor, sub: SubDirective, field: str, now: datetime
    ) -> NewDirective:
        due, due_text = sub.due, None
        if sub.deadline is not None:
            parsed = parse_deadline(
                sub.deadline, parent.doc_date or local_date(now), calendar=self.calendar
            )
            due, due_text = due or parsed.due, sub.deadline
        if due is None:
            due, due_text = parent.due, parent.due_text
        if parent.due is not None and (due is None or due > parent.due):
            shown = f"{due:%d/%m/%Y}" if due else "không có hạn"
            raise PayloadError(
                f"{field}.due",
                f"{shown} sau hạn của nhiệm vụ cha {parent.due:%d/%m/%Y}",
            )
        return NewDirective(
            title=sub.title,
            content=sub.content,
            lead_unit=sub.lead_unit or parent.lead_unit,
            assignee=sub.assignee,
            assigner=actor.id,
            reviewer=sub.reviewer or actor.id,
            due=due,
            due_text=due_text,
            doc_number=parent.doc_number,
            doc_date=parent.doc_date,
            doc_issuer=parent.doc_issuer,
            parent_id=parent.id,
            data=sub.data,
        )

    def _rolled_up_progress(self, sql: Sql, row: DirectiveState) -> int | None:
        compiled = self._compiled(sql, row.workflow, row.workflow_version)
        move = compiled.spec.moves.delegate
        if move is None or not move.roll_up:
            return None
        counted = [
            (p, done)
            for p, is_open, done in movestore.children_progress(sql.conn, row.id)
            if is_open or done
        ]  # cancelled children do not count
        if not counted:
            return None
        return sum(100 if done else p for p, done in counted) // len(counted)

    def _roll_up(
        self, sql: Sql, parent: DirectiveState, actor: str, now: datetime, child: int
    ) -> None:
        """Bring the parent's progress to its children's (an event when it changes)."""
        value = self._rolled_up_progress(sql, parent)
        if value is None or value == parent.progress:
            return
        parent.progress = value
        self._move_event(
            sql,
            parent,
            actor=actor,
            role=None,
            move="roll_up",
            payload={"progress": value, "child": child},
            now=now,
            kind="rollup",
        )

    def children(self, parent_id: int) -> tuple[list[Directive], RollUp]:
        """The directive's children (delegated, contributions, and others), with the roll-up."""
        with self._cmd() as sql:
            if sql.load(parent_id) is None:
                raise NotFound("directive", parent_id)
            kids = movestore.children(sql.conn, parent_id)
            return [self._to_record(sql, k) for k in kids], roll_up(
                kids, local_date(self.clock.now())
            )

    # --- the rules on every transition --------------------------------------------------------
    def _check_move_rules(
        self, sql: Sql, row: DirectiveState, compiled: CompiledWorkflow, decision: Decision
    ) -> None:
        move = compiled.spec.moves.delegate
        if move is None or move.close_with_open_children:
            return
        dest = compiled.spec.state(decision.dest)
        if not (dest.done or (dest.final and dest.outcome == "completed")):
            return
        still = [
            k.id
            for k in movestore.children(sql.conn, row.id, ["delegated"])
            if k.is_open and k.done_at is None
        ]
        if still:
            raise InvalidTransition(
                decision.trigger,
                row.state,
                compiled.allowed_triggers(row.state),
                f"còn {len(still)} nhiệm vụ con đang mở: " + ", ".join(f"#{i}" for i in still[:10]),
            )

    def _after_apply(
        self,
        sql: Sql,
        row: DirectiveState,
        compiled: CompiledWorkflow,
        decision: Decision,
        old_due: date | None,
        actor: Actor,
        now: datetime,
    ) -> None:
        if row.due != old_due:
            self._check_due_bounds(sql, row, row.due, "new_due")
        explain = compiled.spec.moves.explain  # None: no explanation can be pending
        if decision.source != decision.dest and explain is not None:
            self._keep_explanation_timer(sql, row, now)
            if (
                decision.dest in explain.auto_states
                and movestore.open_explanation(sql.conn, row.id) is None
                and row.due is not None
                and local_date(now) > row.due
                and row.done_at is None
            ):
                self._request_explanation(
                    sql, row, compiled, explain, SCHEDULER.id, "system", None, now
                )
        if row.parent_id is not None and row.kind == "delegated":
            parent = sql.load(row.parent_id, for_update=True)
            if parent is not None and parent.is_open:
                self._roll_up(sql, parent, actor.id, now, row.id)

    # --- cooperating units --------------------------------------------------------------------
    def request_contributions(
        self,
        parent_id: int,
        actor: Actor,
        *,
        units: Sequence[str] | None = None,
        due: date | None = None,
    ) -> list[Directive]:
        """Ask cooperating units for their contribution (one child each, in the unit's queue).

        ``units`` default to the parent's cooperating units that have not been asked yet;
        ``due`` to ``moves.cooperate.before_due`` ahead of the parent's due date.
        """
        now = self.clock.now()
        with self._cmd() as sql:
            parent = self._load_for_move(sql, parent_id, "cooperate")
            compiled = self._compiled(sql, parent.workflow, parent.workflow_version)
            move = compiled.spec.moves.cooperate
            if move is None:
                raise InvalidTransition(
                    "cooperate",
                    parent.state,
                    (),
                    f"quy trình {parent.workflow!r} không có bước phối hợp",
                )
            role = self._need("cooperate", move.roles, actor, parent, compiled)
            listed = list(parent.cooperating_units or ())
            for u in units or ():
                if u not in listed:
                    raise PayloadError(
                        "units", f"{u!r} không phải đơn vị phối hợp của #{parent.id}"
                    )
            asked = {k.lead_unit for k in movestore.children(sql.conn, parent.id, ["contribution"])}
            wanted = [u for u in (units or listed) if u not in asked]
            if not wanted:
                raise InvalidTransition(
                    "cooperate", parent.state, (), "đã đề nghị tất cả các đơn vị phối hợp"
                )
            created = self._add_contributions(sql, parent, move, actor.id, wanted, due, now)
            self._move_event(
                sql,
                parent,
                actor=actor.id,
                role=role,
                move="cooperate",
                payload={"units": wanted, "children": [c.id for c in created]},
                now=now,
            )
            return [self._to_record(sql, c) for c in created]

    def _after_insert(
        self, sql: Sql, d: DirectiveState, compiled: CompiledWorkflow, creator: str, now: datetime
    ) -> None:
        move = compiled.spec.moves.cooperate
        if move is None or not move.auto or not d.cooperating_units:
            return
        created = self._add_contributions(
            sql, d, move, creator, list(d.cooperating_units), None, now
        )
        self._move_event(
            sql,
            d,
            actor=creator,
            role=None,
            move="cooperate",
            payload={"units": list(d.cooperating_units), "children": [c.id for c in created]},
            now=now,
        )

    def _add_contributions(
        self,
        sql: Sql,
        parent: DirectiveState,
        move: CooperateMove,
        actor: str,
        units: Sequence[str],
        due: date | None,
        now: datetime,
    ) -> list[DirectiveState]:
        due_text = None
        if due is None and parent.due is not None:
            due = parent.due
            if move.before_due is not None:
                due = apply_offset(
                    self.calendar, parent.due, parse_offset(move.before_due), before=True
                )
                due_text = f"{move.before_due} trước hạn của nhiệm vụ chủ trì"
        if due is not None and parent.due is not None and due > parent.due:
            raise PayloadError("due", f"{due:%d/%m/%Y} sau hạn của nhiệm vụ cha")
        wf = self.workflows.get(move.workflow)
        lead = parent.assignee or actor
        return [
            self._insert_directive(
                sql,
                actor,
                wf,
                NewDirective(
                    title=f"Phối hợp: {parent.title}"[:500],
                    content=parent.content,
                    lead_unit=unit,
                    assigner=lead,
                    reviewer=lead,
                    due=due,
                    due_text=due_text,
                    doc_number=parent.doc_number,
                    doc_date=parent.doc_date,
                    doc_issuer=parent.doc_issuer,
                    parent_id=parent.id,
                    data={"lead_unit_of_parent": parent.lead_unit},
                ),
                now,
                kind="contribution",
            )
            for unit in units
        ]

    # --- reassignment, claim, the unit's queue ------------------------------------------------
    def reassign(
        self,
        directive_id: int,
        actor: Actor,
        *,
        reason: str,
        assignee: str | None = None,
        lead_unit: str | None = None,
        due: date | None = None,
    ) -> Directive:
        """Move a directive to another person and/or unit (chuyển xử lý), with a reason.

        Given only a unit, the directive goes to that unit's queue (no assignee). ``due`` moves
        the deadline too (not after the parent's). The original assignee and unit are kept;
        pending timers follow the new assignee. Raises PermissionDenied
        (``moves.reassign.roles``), InvalidTransition, PayloadError (no reason, nothing changes).
        """
        if not reason.strip():
            raise PayloadError("reason", "không được để trống")
        if len(reason) > MAX_REASON:
            raise PayloadError("reason", f"dài quá {MAX_REASON} ký tự")
        if assignee is None and lead_unit is None:
            raise PayloadError("assignee", "cần người được giao mới, đơn vị mới, hoặc cả hai")
        now = self.clock.now()
        with self._cmd() as sql:
            row = self._load_for_move(sql, directive_id, "reassign")
            compiled = self._compiled(sql, row.workflow, row.workflow_version)
            move = compiled.spec.moves.reassign
            if move is None:
                raise InvalidTransition(
                    "reassign",
                    row.state,
                    (),
                    f"quy trình {row.workflow!r} không có bước chuyển xử lý",
                )
            role = self._need("reassign", move.roles, actor, row, compiled)
            new_unit = lead_unit or row.lead_unit
            new_assignee = (
                assignee
                if assignee is not None
                else (None if new_unit != row.lead_unit else row.assignee)
            )
            if (new_assignee, new_unit) == (row.assignee, row.lead_unit):
                raise PayloadError("assignee", "nhiệm vụ đã ở đó rồi")
            before = {"assignee": row.assignee, "lead_unit": row.lead_unit, "due": row.due}
            row.assignee, row.lead_unit = new_assignee, new_unit
            if due is not None and due != row.due:
                self._set_due(sql, row, compiled, due, "due", now)
            self._move_event(
                sql,
                row,
                actor=actor.id,
                role=role,
                move="reassign",
                payload={
                    "from_assignee": before["assignee"],
                    "to_assignee": row.assignee,
                    "from_unit": before["lead_unit"],
                    "to_unit": row.lead_unit,
                    "reason": reason.strip(),
                    "due": row.due.isoformat() if due is not None and row.due else None,
                },
                now=now,
            )
            return self._to_record(sql, row)

    def claim(self, directive_id: int, actor: Actor) -> Directive:
        """Take a directive from the unit's queue: ``actor`` (a member, per
        ``moves.claim.roles``) becomes its assignee."""
        return self._take(directive_id, actor, actor.id, "claim")

    def assign(self, directive_id: int, actor: Actor, person: str) -> Directive:
        """Give a directive waiting in the unit's queue to ``person`` (by the head, per
        ``moves.claim.assign_roles``); the person must belong to the unit when the people
        directory knows them."""
        return self._take(directive_id, actor, person, "assign")

    def _take(self, directive_id: int, actor: Actor, person: str, move_name: str) -> Directive:
        if not person.strip():
            raise PayloadError("person", "không được để trống")
        now = self.clock.now()
        with self._cmd() as sql:
            row = self._load_for_move(sql, directive_id, move_name)
            compiled = self._compiled(sql, row.workflow, row.workflow_version)
            move = compiled.spec.moves.claim
            if move is None:
                raise InvalidTransition(
                    move_name,
                    row.state,
                    (),
                    f"quy trình {row.workflow!r} không có hàng chờ của đơn vị",
                )
            if row.assignee is not None:
                raise InvalidTransition(
                    move_name, row.state, (), f"đã giao cho {row.assignee}; hãy chuyển xử lý"
                )
            allowed = move.roles if move_name == "claim" else move.assign_roles
            role = self._need(move_name, allowed, actor, row, compiled)
            unit = self._unit_of(person)
            if move_name == "assign" and unit is not None and unit != row.lead_unit:
                raise PayloadError("person", f"{person} thuộc {unit}, không thuộc {row.lead_unit}")
            row.assignee = person
            self._move_event(
                sql,
                row,
                actor=actor.id,
                role=role,
                move=move_name,
                payload={"assignee": person, "unit": row.lead_unit},
                now=now,
            )
            return self._to_record(sql, row)

    def queue(self, actor: Actor) -> list[Directive]:
        """What waits, unclaimed, in the queues of the actor's unit and the units they head."""
        units = [u for u in (actor.unit or self._unit_of(actor.id),) if u]
        heads: Mapping[str, str] = getattr(self.directory, "unit_heads", {}) or {}
        units += [u for u, h in heads.items() if h == actor.id and u not in units]
        return self.unit_queue(*units)

    def unit_queue(self, *units: str) -> list[Directive]:
        """Open directives addressed to these units that nobody has claimed, earliest due first."""
        with self._cmd() as sql:
            return [self._to_record(sql, r) for r in movestore.unit_queue(sql.conn, list(units))]

    # --- statistics -----------------------------------------------------------------------------
    def unit_involvement(self) -> list[UnitInvolvement]:
        """Per unit: what it leads (its own directives, not the sub-directives delegated inside
        it; how many are open, overdue) against what it cooperates on (directives naming it as
        cooperating unit, and its contributions: done, open, overdue)."""
        today = local_date(self.clock.now())
        with self.db.connect() as conn:
            per_unit = movestore.involvement(conn, today)
        zero = dict.fromkeys(
            (
                "leads",
                "leads_open",
                "leads_overdue",
                "cooperates",
                "contributions_done",
                "contributions_open",
                "contributions_overdue",
            ),
            0,
        )
        return [
            UnitInvolvement(unit=u, **{**zero, **per_unit[u]})
            for u in sorted(per_unit)
            if "leads" in per_unit[u] or "cooperates" in per_unit[u]
        ]
