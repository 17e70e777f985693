"""The directive's own commands: create, fire a trigger, import extracted drafts.

Each is one transaction on the prepared statements (:mod:`dondoc.store.statements`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from ..clock import local_date
from ..core.actors import Actor
from ..core.limits import year_problem
from ..core.machine import CompiledWorkflow, Decision
from ..core.records import Directive
from ..deadlines.phrases import parse_deadline
from ..deadlines.timers import first_fire_at, is_due_relative
from ..errors import (
    ConflictError,
    NotFound,
    PayloadError,
)
from ..store.schema import refresh_statistics
from ..store.statements import FIELDS, DirectiveState, Sql
from .base import EngineBase, NewDirective, check_new_directive, timer_row
from .queries import Queries


class Commands(EngineBase):
    """Commands on one directive."""

    def create_directive(
        self, actor: Actor, workflow: str, new: NewDirective, *, version: int | None = None
    ) -> Directive:
        """Create a directive in the workflow's initial state (latest version unless given).

        The actor is recorded as the creator and becomes the assigner when none is given.
        Raises NotFound (workflow, parent), PayloadError (empty title), DeadlineError.
        """
        now = self.clock.now()
        with self._cmd() as sql:
            compiled = (
                self.workflows.get(workflow)
                if version is None
                else self._compiled(sql, workflow, version)
            )
            d = self._insert_directive(sql, actor.id, compiled, new, now, actor=actor)
            return self._to_record(sql, d)

    def create_directives(
        self,
        actor: Actor,
        workflow: str,
        items: Iterable[NewDirective],
        *,
        version: int | None = None,
    ) -> list[Directive]:
        """Create many directives of one workflow in one transaction — all of them, or none
        (the first bad one aborts with its error) — each with its audit event and timers, as
        :meth:`create_directive` would. The events, chain heads and timers are written in
        batches, so a backlog or a conclusion's 200 tasks cost one round trip per directive.
        """
        now = self.clock.now()
        with self._cmd() as sql:
            compiled = (
                self.workflows.get(workflow)
                if version is None
                else self._compiled(sql, workflow, version)
            )
            made = self._insert_many(sql, actor, compiled, items, now)
            out = [self._to_record(sql, d) for d in made]
        if self._host is None:  # (inside a host's transaction: at the next start)
            refresh_statistics(self.db, added=len(out))  # a backlog may have doubled the table
        return out

    def _insert_many(
        self,
        sql: Sql,
        actor: Actor,
        compiled: CompiledWorkflow,
        items: Iterable[NewDirective],
        now: datetime,
    ) -> list[DirectiveState]:
        made: list[DirectiveState] = []
        events: list[dict[str, Any]] = []
        timers: list[dict[str, Any]] = []
        parents: dict[int, bool] = {}
        for new in items:
            d = self._new_state(sql, actor.id, compiled, new, now, actor=actor, parents=parents)
            d.id = sql.insert({name: getattr(d, name) for name in FIELDS if name != "id"})
            events.append(self._created_event(d, actor.id, now))
            timers += self._timer_rows(d, compiled, entered_at=now)
            made.append(d)
        sql.insert_events(events)
        sql.set_heads(made)
        sql.add_timers(timers)
        for d in made:  # once the heads are written: a hook may extend a chain
            self._after_insert(sql, d, compiled, actor.id, now)
        return made

    def _insert_directive(
        self,
        sql: Sql,
        creator: str,
        compiled: CompiledWorkflow,
        new: NewDirective,
        now: datetime,
        *,
        series_id: int | None = None,
        period_key: str | None = None,
        kind: str = "directive",
        actor: Actor | None = None,
    ) -> DirectiveState:
        d = self._new_state(
            sql,
            creator,
            compiled,
            new,
            now,
            series_id=series_id,
            period_key=period_key,
            kind=kind,
            actor=actor,
        )
        values = {name: getattr(d, name) for name in FIELDS if name != "id"}
        d.id = sql.insert(values)
        sql.insert_event(self._created_event(d, creator, now))
        sql.set_head(d)
        self._schedule_timers(sql, d, compiled, entered_at=now)
        self._after_insert(sql, d, compiled, creator, now)
        return d

    def _created_event(self, d: DirectiveState, creator: str, now: datetime) -> dict[str, Any]:
        # The chain head of a new directive is not a change of it, so it is written without a
        # version change: a directive starts at version 1.
        return self._chain(
            d,
            actor=creator,
            role=None,
            kind="created",
            trigger=None,
            from_state=None,
            to_state=d.state,
            payload=self._snapshot(d) | ({"kind": d.kind} if d.kind != "directive" else {}),
            at=now,
        )

    def _new_state(
        self,
        sql: Sql,
        creator: str,
        compiled: CompiledWorkflow,
        new: NewDirective,
        now: datetime,
        *,
        series_id: int | None = None,
        period_key: str | None = None,
        kind: str = "directive",
        actor: Actor | None = None,
        parents: dict[int, bool] | None = None,
    ) -> DirectiveState:
        """A new directive's row, checked (title, deadline, parent), not yet written.

        With ``actor``, the parent must be one the actor may see: a hidden parent is reported
        exactly like a missing one, so its existence is not revealed."""
        if not new.title.strip():
            raise PayloadError("title", "không được để trống")
        check_new_directive(new)
        due, due_text, start, recurrence = new.due, new.due_text, new.start, new.recurrence
        if new.deadline is not None:
            try:
                parsed = parse_deadline(
                    new.deadline, new.doc_date or local_date(now), calendar=self.calendar
                )
            except (OverflowError, ValueError) as exc:  # a date past the calendar's end
                raise PayloadError("deadline", f"không đọc được: {exc}") from None
            for name, day in (("deadline", parsed.due), ("deadline", parsed.start)):
                problem = None if day is None else year_problem(day.year)
                if problem is not None:
                    raise PayloadError(name, problem)
            due = due if due is not None else parsed.due
            start = start if start is not None else parsed.start
            recurrence = recurrence or (str(parsed.recurrence) if parsed.recurrence else None)
            due_text = due_text or new.deadline
        if new.parent_id is not None:
            known = None if parents is None else parents.get(new.parent_id)
            if known is None:
                parent = sql.load(new.parent_id)
                known = parent is not None and (actor is None or Queries.can_see(actor, parent))
                if parents is not None:
                    parents[new.parent_id] = known
            if not known:
                raise NotFound("directive", new.parent_id)
        return DirectiveState(
            id=0,
            workflow=compiled.spec.workflow,
            workflow_version=compiled.spec.version,
            title=new.title.strip(),
            content=new.content,
            state=compiled.spec.initial_state,
            is_open=True,
            progress=0,
            lead_unit=new.lead_unit,
            cooperating_units=list(new.cooperating_units),
            assignee=new.assignee,
            assigner=new.assigner or creator,
            reviewer=new.reviewer,
            due=due,
            due_text=due_text,
            original_due=due,
            start=start,
            recurrence=recurrence,
            doc_number=new.doc_number,
            doc_date=new.doc_date,
            doc_issuer=new.doc_issuer,
            parent_id=new.parent_id,
            series_id=series_id,
            period_key=period_key,
            data=dict(new.data or {}),
            created_at=now,
            updated_at=now,
            closed_at=None,
            done_at=None,
            event_seq=0,
            event_hash="",
            version=1,
            kind=kind,
            original_assignee=new.assignee,
            original_lead_unit=new.lead_unit,
        )

    # --- hooks for the moves (see service/moves.py); no-ops for a directive on its own -------
    def _after_insert(
        self, sql: Sql, d: DirectiveState, compiled: CompiledWorkflow, creator: str, now: datetime
    ) -> None:
        """Called in the creating transaction once a directive and its timers are written."""

    def _check_move_rules(
        self, sql: Sql, row: DirectiveState, compiled: CompiledWorkflow, decision: Decision
    ) -> None:
        """Called before a decided transition changes anything; raises to refuse it."""

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
        """Called in the transition's transaction after it is written (event, timers)."""

    def _rolled_up_progress(self, sql: Sql, row: DirectiveState) -> int | None:
        """The progress a directive's sub-directives impose on it, or None (its own)."""
        return None

    def fire(
        self,
        directive_id: int,
        trigger: str,
        actor: Actor,
        payload: Mapping[str, Any] | None = None,
        *,
        expected_version: int | None = None,
    ) -> Directive:
        """Fire ``trigger`` on a directive as ``actor``. Returns the directive after the change.

        Raises NotFound, InvalidTransition (naming the allowed triggers), PermissionDenied,
        PayloadError (naming the field), or ConflictError (another command got there first, or
        ``expected_version`` is not the current version). Nothing is written on error.
        """
        try:
            with self._cmd() as sql:
                d = sql.load(directive_id)
                if d is None:
                    raise NotFound("directive", directive_id)
                if expected_version is not None and d.version != expected_version:
                    raise ConflictError(
                        directive_id, f"phiên bản mong đợi {expected_version}, hiện là {d.version}"
                    )
                self._apply(sql, d, trigger, actor, payload, self.clock.now())
                return self._to_record(sql, d)
        except IntegrityError as exc:
            if "uq_events_directive_seq" in str(exc.orig) or "events.directive_id" in str(exc.orig):
                raise ConflictError(directive_id, "audit sequence taken") from None
            raise

    def _apply(
        self,
        sql: Sql,
        row: DirectiveState,
        trigger: str,
        actor: Actor,
        payload: Mapping[str, Any] | None,
        now: datetime,
        *,
        entered_at: datetime | None = None,
    ) -> None:
        """Decide and apply one transition inside the caller's transaction: state, progress,
        due date, data, the audit event, and the timers of the state left and entered.

        ``entered_at`` (default ``now``) is when the new state counts as entered for its
        timers: a transition fired by a late timer counts from when it was due, so a worker
        that was down catches up the whole escalation chain."""
        entered_at = entered_at or now
        compiled = self._compiled(sql, row.workflow, row.workflow_version)
        held = self._roles_on(actor, row, compiled)
        decision = compiled.decide(
            row.state,
            trigger,
            held,
            payload,
            data=row.data or {},
            directive=self._snapshot(row) | {"progress": row.progress},
            actor=actor.id,
        )
        self._check_duties(sql, row, compiled, trigger, actor, held)
        self._check_move_rules(sql, row, compiled, decision)
        t = decision.transition
        old_due = row.due
        row.state = decision.dest
        dest = compiled.spec.state(decision.dest)
        row.is_open = not dest.final
        row.closed_at = now if dest.final else None
        if dest.done or (dest.final and dest.outcome == "completed"):
            row.done_at = row.done_at or now  # the first time the work was done counts
        else:
            row.done_at = None  # sent back for rework, reopened or cancelled: not done
        if t.progress is not None:
            row.progress = t.progress
        if "progress" in decision.payload and isinstance(decision.payload["progress"], int):
            row.progress = decision.payload["progress"]
        if t.extend_due:
            if row.original_due is None:
                row.original_due = row.due
            row.due = date.fromisoformat(decision.payload["new_due"])
        rolled_up = self._rolled_up_progress(sql, row)
        event_payload: dict[str, Any] = dict(decision.payload)
        if rolled_up is not None:
            row.progress = rolled_up
            event_payload["_set"] = {"progress": rolled_up}  # for the audit's replay
        row.data = {**(row.data or {}), **decision.payload}
        row.updated_at = now
        self._write(
            sql,
            row,
            self._chain(
                row,
                actor=actor.id,
                role=decision.role,
                kind="transition",
                trigger=trigger,
                from_state=decision.source,
                to_state=decision.dest,
                payload=event_payload,
                at=now,
            ),
        )
        if decision.source != decision.dest:
            sql.cancel_timers(row.id)
            self._schedule_timers(sql, row, compiled, entered_at=entered_at)
        elif row.due != old_due:
            sql.cancel_timers(
                row.id, only=[tm.id for tm in compiled.spec.timers if is_due_relative(tm)]
            )
            self._schedule_timers(sql, row, compiled, entered_at=entered_at, due_relative_only=True)
        self._after_apply(sql, row, compiled, decision, old_due, actor, now)

    def _schedule_timers(
        self,
        sql: Sql,
        row: DirectiveState,
        compiled: CompiledWorkflow,
        *,
        entered_at: datetime,
        due_relative_only: bool = False,
    ) -> None:
        """Create the pending timers of the directive's current state."""
        sql.add_timers(
            self._timer_rows(
                row, compiled, entered_at=entered_at, due_relative_only=due_relative_only
            )
        )

    def _timer_rows(
        self,
        row: DirectiveState,
        compiled: CompiledWorkflow,
        *,
        entered_at: datetime,
        due_relative_only: bool = False,
    ) -> list[dict[str, Any]]:
        rows = []
        for tm in compiled.spec.timers:
            if row.state not in tm.states or (due_relative_only and not is_due_relative(tm)):
                continue
            at = first_fire_at(tm, due=row.due, entered_at=entered_at, calendar=self.calendar)
            if at is not None:
                rows.append(timer_row(row.id, tm.id, row.state, at, 1, entered_at))
        return rows

    def import_drafts(
        self, actor: Actor, extraction: Any, workflow: str, *, accept: Iterable[int] | None = None
    ) -> tuple[Directive, list[Directive]]:
        """Create the accepted drafts of an extraction under one parent for the conclusion.

        ``accept`` are indices of drafts to keep (all when None). One transaction: all of
        them, or none (a bad draft aborts the import with its error).
        """
        from ..extraction.document import Extraction

        assert isinstance(extraction, Extraction)
        chosen = list(range(len(extraction.drafts))) if accept is None else list(accept)
        if len(set(chosen)) != len(chosen):
            raise PayloadError(
                "accept", "mỗi đề xuất chỉ được chấp nhận một lần (có số thứ tự bị lặp)"
            )
        if any(not 0 <= i < len(extraction.drafts) for i in chosen):
            raise PayloadError("accept", f"số thứ tự phải từ 0 đến {len(extraction.drafts) - 1}")
        h = extraction.header
        now = self.clock.now()
        symbol = f"{h.number or ''}/{h.symbol}" if h.symbol else None
        with self._cmd() as sql:  # the children in one batch (see create_directives)
            parent = self._insert_directive(
                sql,
                actor.id,
                self.workflows.get("conclusion"),
                NewDirective(
                    title=h.title or f"Văn bản {symbol or ''}".strip(),
                    doc_number=symbol,
                    doc_date=h.date,
                    doc_issuer=h.issuer,
                ),
                now,
            )
            compiled = self.workflows.get(workflow)
            drafts = [extraction.drafts[i] for i in chosen]
            children = self._insert_many(
                sql,
                actor,
                compiled,
                (
                    NewDirective(
                        title=d.text if len(d.text) <= 200 else d.text[:197] + "…",
                        content=d.text,
                        lead_unit=d.unit,
                        cooperating_units=tuple(d.cooperating),
                        assignee=d.assignee,
                        due=d.due,
                        due_text=d.deadline_text,
                        start=d.start,
                        recurrence=d.recurrence,
                        doc_number=symbol,
                        doc_date=h.date,
                        doc_issuer=h.issuer,
                        parent_id=parent.id,
                        data={
                            "extracted": {
                                "confidence": d.confidence,
                                "source_span": list(d.source_span),
                                "flags": d.flags,
                                "concerns": d.concerns,
                            }
                        },
                    )
                    for d in drafts
                ),
                now,
            )
            return self._to_record(sql, parent), [self._to_record(sql, c) for c in children]
