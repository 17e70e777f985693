"""Explanation requests (yêu cầu giải trình): asked on an overdue directive, answered, assessed.

A workflow declares the step under ``moves.explain``: who may ask, in which states the scheduler
asks by itself, how many working days the answer may take, who answers and who assesses. The
request, the answer (reason, objective or subjective, a proposed new date) and the assessment
(the cause found, and an extension if granted) are one row of ``explanations`` — what the
evaluation of people and units queries — and each step is an audit event on the directive.
The answer's deadline is a timer: unanswered in time, the request lapses and ``escalate_to`` is
told.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ..clock import local_date
from ..core.actors import SCHEDULER, Actor
from ..core.directory import Recipient
from ..core.machine import CompiledWorkflow
from ..core.movespec import EXPLANATION_TIMER, UNIT_HEAD, ExplainMove
from ..core.permissions import SeparationOfDuties
from ..core.records import Explanation
from ..deadlines.durations import parse_offset
from ..deadlines.phrases import apply_offset, due_instant
from ..deadlines.timers import is_due_relative
from ..errors import InvalidTransition, NotFound, PayloadError, PermissionDenied
from ..store import movestore
from ..store.statements import DirectiveState, DueTimer, Sql
from .base import FiredTimer, person_context, timer_row
from .chain import changed_fields
from .scheduling import Scheduling

CAUSES = ("objective", "subjective")
CAUSE_LABELS = {"objective": "khách quan", "subjective": "chủ quan"}
MAX_TEXT = 20_000


class Explanations(Scheduling):
    """Request, answer and assess explanations; the shared helpers of every move."""

    # --- shared helpers of the moves ----------------------------------------------------------
    def _head_of(self, unit: str | None) -> str | None:
        """The person heading ``unit`` per the people directory, if known."""
        if not unit:
            return None
        finder = getattr(self.directory, "unit_head", None)
        if callable(finder):
            head = finder(unit)
            return getattr(head, "id", head) if head is not None else None
        heads: Mapping[str, str] = getattr(self.directory, "unit_heads", {}) or {}
        return heads.get(unit)

    def _unit_of(self, person: str) -> str | None:
        """The unit the people directory puts ``person`` in, if it knows."""
        unit = getattr(self.directory.person(person), "unit", None)
        if unit is None:
            people: Mapping[str, Mapping[str, Any]] = getattr(self.directory, "people", {}) or {}
            unit = (people.get(person) or {}).get("unit")
        return str(unit) if unit else None

    def _move_roles(
        self, actor: Actor, row: DirectiveState, compiled: CompiledWorkflow
    ) -> frozenset[str]:
        """The roles ``actor`` holds on ``row`` for a move: those of its workflow, with the
        actor's unit taken from the people directory when the actor does not carry one, and
        ``unit_head`` when the directory makes the actor the head of the lead unit."""
        if actor.unit is None:
            unit = self._unit_of(actor.id)
            if unit is not None:
                actor = Actor(actor.id, actor.roles, unit, actor.name)
        held = set(self._roles_on(actor, row, compiled))
        if row.lead_unit and self._head_of(row.lead_unit) == actor.id:
            held.add(UNIT_HEAD)
        return frozenset(held)

    def _need(
        self,
        move: str,
        allowed: list[str],
        actor: Actor,
        row: DirectiveState,
        compiled: CompiledWorkflow,
    ) -> str:
        """The role ``actor`` makes ``move`` with; PermissionDenied when none of ``allowed``."""
        held = self._move_roles(actor, row, compiled)
        role = next((r for r in allowed if r in held), None)
        if role is None:
            raise PermissionDenied(actor.id, move, allowed, sorted(held))
        return role

    def _load_for_move(self, sql: Sql, directive_id: int, move: str) -> DirectiveState:
        row = sql.load(directive_id, for_update=True)
        if row is None:
            raise NotFound("directive", directive_id)
        if not row.is_open:
            raise InvalidTransition(move, row.state, (), "nhiệm vụ đã đóng")
        return row

    def _move_event(
        self,
        sql: Sql,
        row: DirectiveState,
        *,
        actor: str,
        role: str | None,
        move: str,
        payload: Mapping[str, Any],
        now: datetime,
        kind: str = "move",
    ) -> None:
        """Append a move's audit event to ``row`` and write the row (one new version).

        The event's payload also carries ``"_set"``: the directive's fields the move changed,
        with their new values, so the row stays a function of its chain (the audit replays
        it, :class:`~dondoc.service.chain.Replay`)."""
        row.updated_at = now
        before = sql.load(row.id)
        changed = changed_fields(before, row) if before is not None else {}
        if changed:
            payload = {**payload, "_set": changed}
        self._write(
            sql,
            row,
            self._chain(
                row,
                actor=actor,
                role=role,
                kind=kind,
                trigger=move,
                from_state=row.state,
                to_state=row.state,
                payload=payload,
                at=now,
            ),
        )

    def _notify(
        self,
        sql: Sql,
        row: DirectiveState,
        people: list[Recipient],
        template: str,
        key: str,
        now: datetime,
        *,
        role: str | None,
        extra: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """Queue ``template`` to ``people`` in this transaction; returns their ids."""
        record = self._to_record(sql, row)
        context = {**self._directive_context(record, now), **(extra or {})}
        messages = []
        for person in people:
            msg = self.renderer.render_text(
                template, {**context, "recipient": person_context(person)}
            )
            messages.append(
                {
                    "idempotency_key": f"{key}:{template}:{person.id}",
                    "directive_id": row.id,
                    "template": template,
                    "recipient": person.id,
                    "recipient_role": role,
                    "subject": msg.subject,
                    "body": msg.body,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
        sql.add_outbox(messages)
        return [p.id for p in people]

    def _set_due(
        self,
        sql: Sql,
        row: DirectiveState,
        compiled: CompiledWorkflow,
        new_due: date,
        field: str,
        now: datetime,
    ) -> None:
        """Move ``row``'s due date (the original is kept) and its due-relative timers; refuses a
        date after the parent's or before an open sub-directive's."""
        self._check_due_bounds(sql, row, new_due, field)
        if row.original_due is None:
            row.original_due = row.due
        row.due = new_due
        sql.cancel_timers(
            row.id, only=[tm.id for tm in compiled.spec.timers if is_due_relative(tm)]
        )
        self._schedule_timers(sql, row, compiled, entered_at=now, due_relative_only=True)

    def _check_due_bounds(
        self, sql: Sql, row: DirectiveState, due: date | None, field: str
    ) -> None:
        if due is None:
            return
        if row.parent_id is not None and row.kind != "directive":
            parent = sql.load(row.parent_id)
            if parent is not None and parent.due is not None and due > parent.due:
                raise PayloadError(
                    field,
                    f"{due:%d/%m/%Y} sau hạn của nhiệm vụ cha #{parent.id} ({parent.due:%d/%m/%Y})",
                )
        latest = movestore.latest_due(sql.conn, row.id)
        if latest is not None and due < latest:
            raise PayloadError(
                field,
                f"{due:%d/%m/%Y} trước hạn của một nhiệm vụ con đang mở "
                f"({latest:%d/%m/%Y}); hãy dời hạn các nhiệm vụ con trước",
            )

    # --- explanations ---------------------------------------------------------------------------
    def _explain_move(
        self, compiled: CompiledWorkflow, row: DirectiveState, move: str
    ) -> ExplainMove:
        spec = compiled.spec.moves.explain
        if spec is None:
            raise InvalidTransition(
                move,
                row.state,
                (),
                f"quy trình {compiled.spec.workflow!r} không có bước giải trình",
            )
        return spec

    def request_explanation(
        self, directive_id: int, actor: Actor, note: str | None = None
    ) -> Explanation:
        """Ask the people responsible for an overdue directive to explain (yêu cầu giải trình).

        Raises NotFound, PermissionDenied (``moves.explain.roles``), InvalidTransition (not
        overdue, no explanation step, one already pending), PayloadError (note too long).
        """
        if note is not None and len(note) > MAX_TEXT:
            raise PayloadError("note", f"dài quá {MAX_TEXT} ký tự")
        now = self.clock.now()
        with self._cmd() as sql:
            row = self._load_for_move(sql, directive_id, "request_explanation")
            compiled = self._compiled(sql, row.workflow, row.workflow_version)
            move = self._explain_move(compiled, row, "request_explanation")
            role = self._need("request_explanation", move.roles, actor, row, compiled)
            xid = self._request_explanation(sql, row, compiled, move, actor.id, role, note, now)
            return _explanation(movestore.explanation(sql.conn, xid))

    def _request_explanation(
        self,
        sql: Sql,
        row: DirectiveState,
        compiled: CompiledWorkflow,
        move: ExplainMove,
        actor: str,
        role: str,
        note: str | None,
        now: datetime,
    ) -> int:
        today = local_date(now)
        if row.due is None or row.done_at is not None or today <= row.due:
            raise InvalidTransition("request_explanation", row.state, (), "nhiệm vụ chưa quá hạn")
        pending = movestore.open_explanation(sql.conn, row.id)
        if pending is not None:
            raise InvalidTransition(
                "request_explanation",
                row.state,
                (),
                f"yêu cầu giải trình ngày {local_date(pending['requested_at']):%d/%m/%Y} "
                "chưa được đánh giá",
            )
        answer_due = apply_offset(self.calendar, today, parse_offset(move.within), before=False)
        head = self._head_of(row.lead_unit)
        owed_by = row.assignee or head or (f"unit:{row.lead_unit}" if row.lead_unit else None)
        xid = movestore.insert_explanation(
            sql.conn,
            {
                "directive_id": row.id,
                "status": "requested",
                "requested_at": now,
                "requested_by": actor,
                "request_note": note,
                "answer_due": answer_due,
                "owed_by": owed_by,
            },
        )
        people = [self.directory.person(owed_by)] if owed_by and owed_by == row.assignee else []
        if not people and row.lead_unit:
            people = self.directory.resolve("lead_unit", self._to_record(sql, row))
        notified = self._notify(
            sql,
            row,
            people,
            move.template,
            f"explanation:{xid}:request",
            now,
            role="assignee" if row.assignee else "lead_unit",
            extra={"explanation": {"answer_due": answer_due, "note": note or ""}},
        )
        sql.add_timers(
            [timer_row(row.id, EXPLANATION_TIMER, row.state, due_instant(answer_due), 1, now)]
        )
        self._move_event(
            sql,
            row,
            actor=actor,
            role=role,
            move="request_explanation",
            payload={
                "explanation": xid,
                "answer_due": answer_due.isoformat(),
                "owed_by": owed_by,
                "note": note,
                "notified": notified,
            },
            now=now,
        )
        return xid

    def answer_explanation(
        self,
        directive_id: int,
        actor: Actor,
        *,
        reason: str,
        cause: str,
        proposed_due: date | None = None,
    ) -> Explanation:
        """Answer the pending explanation: the reason, whether the cause was objective or
        subjective, and a proposed new date. Late answers (after the request lapsed) count.
        """
        if not reason.strip():
            raise PayloadError("reason", "không được để trống")
        if len(reason) > MAX_TEXT:
            raise PayloadError("reason", f"dài quá {MAX_TEXT} ký tự")
        if cause not in CAUSES:
            raise PayloadError("cause", "cần objective (khách quan) hoặc subjective (chủ quan)")
        now = self.clock.now()
        if proposed_due is not None and proposed_due < local_date(now):
            raise PayloadError("proposed_due", "không được là ngày đã qua")
        with self._cmd() as sql:
            row = self._load_for_move(sql, directive_id, "answer_explanation")
            compiled = self._compiled(sql, row.workflow, row.workflow_version)
            move = self._explain_move(compiled, row, "answer_explanation")
            pending = movestore.open_explanation(sql.conn, row.id)
            if pending is None or pending["status"] not in ("requested", "lapsed"):
                reason_ = "đã được giải trình" if pending else "chưa có yêu cầu giải trình"
                raise InvalidTransition("answer_explanation", row.state, (), reason_)
            role = self._need("answer_explanation", move.answer_roles, actor, row, compiled)
            movestore.update_explanation(
                sql.conn,
                pending["id"],
                {
                    "status": "answered",
                    "answered_at": now,
                    "answered_by": actor.id,
                    "reason": reason.strip(),
                    "cause": cause,
                    "proposed_due": proposed_due,
                },
            )
            for tid in movestore.pending_timers(sql.conn, row.id, EXPLANATION_TIMER):
                sql.set_timer_status(tid, "cancelled")
            self._move_event(
                sql,
                row,
                actor=actor.id,
                role=role,
                move="answer_explanation",
                payload={
                    "explanation": pending["id"],
                    "reason": reason.strip(),
                    "cause": cause,
                    "proposed_due": proposed_due.isoformat() if proposed_due else None,
                    "late": pending["status"] == "lapsed",
                },
                now=now,
            )
            return _explanation(movestore.explanation(sql.conn, pending["id"]))

    def assess_explanation(
        self,
        directive_id: int,
        actor: Actor,
        *,
        verdict: str,
        note: str | None = None,
        new_due: date | None = None,
    ) -> Explanation:
        """Assess the answer: the cause found (objective or subjective), and, with ``new_due``,
        an extension granted on it (the original due date is kept; timers move). Nobody
        assesses their own explanation."""
        if verdict not in CAUSES:
            raise PayloadError("verdict", "cần objective (khách quan) hoặc subjective (chủ quan)")
        if note is not None and len(note) > MAX_TEXT:
            raise PayloadError("note", f"dài quá {MAX_TEXT} ký tự")
        now = self.clock.now()
        if new_due is not None and new_due < local_date(now):
            raise PayloadError("new_due", "không được là ngày đã qua")
        with self._cmd() as sql:
            row = sql.load(directive_id, for_update=True)
            if row is None:
                raise NotFound("directive", directive_id)
            compiled = self._compiled(sql, row.workflow, row.workflow_version)
            move = self._explain_move(compiled, row, "assess_explanation")
            pending = movestore.open_explanation(sql.conn, row.id)
            if pending is None or pending["status"] != "answered":
                why = "chưa có giải trình để đánh giá" if pending else "chưa có yêu cầu giải trình"
                raise InvalidTransition("assess_explanation", row.state, (), why)
            role = self._need("assess_explanation", move.decide_roles, actor, row, compiled)
            if actor.id in (pending["answered_by"], row.assignee, pending["owed_by"]):
                who = "requester" if actor.id == pending["answered_by"] else "assignee"
                raise SeparationOfDuties(actor.id, "assess_explanation", who, [role])
            if new_due is not None:
                if not row.is_open:
                    raise PayloadError("new_due", "nhiệm vụ đã đóng")
                self._set_due(sql, row, compiled, new_due, "new_due", now)
            movestore.update_explanation(
                sql.conn,
                pending["id"],
                {
                    "status": "assessed",
                    "assessed_at": now,
                    "assessed_by": actor.id,
                    "verdict": verdict,
                    "new_due": new_due,
                    "assessment_note": note,
                },
            )
            self._move_event(
                sql,
                row,
                actor=actor.id,
                role=role,
                move="assess_explanation",
                payload={
                    "explanation": pending["id"],
                    "verdict": verdict,
                    "note": note,
                    "new_due": new_due.isoformat() if new_due else None,
                },
                now=now,
            )
            return _explanation(movestore.explanation(sql.conn, pending["id"]))

    def explanations(
        self,
        *,
        directive_id: int | None = None,
        status: str | None = None,
        verdict: str | None = None,
    ) -> list[Explanation]:
        """Explanations, oldest first: of one directive, or by status (requested, lapsed,
        answered, assessed) and verdict (objective, subjective) — e.g. every delay accepted as
        objective, for evaluation."""
        with self.db.connect() as conn:
            return [
                _explanation(x)
                for x in movestore.explanations(
                    conn, directive_id=directive_id, status=status, verdict=verdict
                )
            ]

    def _fire_move_timer(
        self, sql: Sql, timer: DueTimer, row: DirectiveState, now: datetime
    ) -> FiredTimer:
        pending = movestore.open_explanation(sql.conn, row.id)
        if timer.timer != EXPLANATION_TIMER or pending is None or pending["status"] != "requested":
            return super()._fire_move_timer(sql, timer, row, now)
        compiled = self._compiled(sql, row.workflow, row.workflow_version)
        move = compiled.spec.moves.explain
        if move is None:
            return super()._fire_move_timer(sql, timer, row, now)
        movestore.update_explanation(sql.conn, pending["id"], {"status": "lapsed"})
        record = self._to_record(sql, row)
        people = (
            self.directory.resolve(move.escalate_to, record)
            if move.escalate_to != UNIT_HEAD
            else [self.directory.person(h)]
            if (h := self._head_of(row.lead_unit))
            else []
        )
        notified = self._notify(
            sql,
            row,
            people,
            move.escalate_template,
            f"timer:{timer.id}",
            now,
            role=move.escalate_to,
        )
        self._move_event(
            sql,
            row,
            actor=SCHEDULER.id,
            role="system",
            move="explanation_lapsed",
            payload={
                "timer": timer.timer,
                "timer_row": timer.id,
                "explanation": pending["id"],
                "scheduled_for": timer.due_at.isoformat(),
                "notified": notified,
            },
            now=now,
            kind="timer",
        )
        return FiredTimer(
            timer.id,
            row.id,
            timer.timer,
            notified=tuple(notified),
            due_at=timer.due_at,
            state_after=row.state,
        )

    def _keep_explanation_timer(self, sql: Sql, row: DirectiveState, now: datetime) -> None:
        """A state change cancels every pending timer of a directive; the deadline of a pending
        explanation does not depend on the state, so it is scheduled again."""
        pending = movestore.open_explanation(sql.conn, row.id)
        if pending is None or pending["status"] != "requested":
            return
        if movestore.pending_timers(sql.conn, row.id, EXPLANATION_TIMER):
            return
        at = due_instant(pending["answer_due"])
        sql.add_timers([timer_row(row.id, EXPLANATION_TIMER, row.state, at, 1, now)])


def _explanation(values: Mapping[str, Any] | None) -> Explanation:
    assert values is not None
    return Explanation(**dict(values))
