"""Instance migration: move running directives to another version of their workflow.

``Engine.migrate(actor, plan)`` takes the directives still on ``plan.from_version`` in batches
(one transaction per batch, in id order). For each: its new state (the plan's map, the same id,
or the default), its data with fields renamed, its pending timers cancelled and the new
version's timers of its state planned from when it entered that state, and one ``migration``
audit event whose payload's ``_set`` carries the fields of the row that changed
(``workflow_version``, ``state``, ``data``, ``is_open``…), which ``dondoc audit verify``'s
replay of the chain applies. A directive that cannot migrate stays as it is, with the reason.

Resumable: a directive is selected only while it is on ``from_version`` and is re-checked under
its row lock before it changes, so a crash (the batch in progress rolls back) and a rerun move
each directive exactly once. A dry run does everything but write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..core.actors import SCHEDULER, Actor
from ..core.migration import (
    MigrationItem,
    MigrationPlan,
    MigrationReport,
    Unmigratable,
    check_plan,
    rename_fields,
    replan_timers,
    target_state,
)
from ..core.permissions import Permission, require
from ..core.spec import WorkflowSpec
from ..errors import ConflictError, MigrationPlanError
from ..store.statements import DirectiveState, Sql
from ..store.tables import DirectiveRow, EventRow, TimerRow
from .base import EngineBase, timer_row
from .chain import changed_fields

_D: sa.Table = DirectiveRow.__table__  # type: ignore[assignment]
_E: sa.Table = EventRow.__table__  # type: ignore[assignment]
_T: sa.Table = TimerRow.__table__  # type: ignore[assignment]

MAX_BATCH = 10_000


class Migration(EngineBase):
    """Moving directives between workflow versions."""

    def migrate(
        self,
        actor: Actor,
        plan: MigrationPlan,
        *,
        dry_run: bool = False,
        batch_size: int = 100,
        progress: Callable[[MigrationItem], None] | None = None,
    ) -> MigrationReport:
        """Migrate (or, with ``dry_run``, show what would migrate) the directives of
        ``plan.workflow`` on ``plan.from_version`` to ``plan.to_version``.

        ``progress(item)`` is called for each directive as it is decided, inside its batch's
        transaction (before the commit). Needs the admin permission. Raises NotFound (a version
        not loaded nor stored), MigrationPlanError (the plan does not fit the versions),
        PermissionDenied. Directives that cannot migrate are in the report's ``refused``.
        """
        require(actor, Permission.ADMIN, "migrate")
        if not 1 <= batch_size <= MAX_BATCH:
            raise MigrationPlanError([f"kích thước lô phải từ 1 đến {MAX_BATCH}"])
        with self._cmd() as sql:
            old = self._compiled(sql, plan.workflow, plan.from_version).spec
            new = self._compiled(sql, plan.workflow, plan.to_version).spec
        problems = check_plan(plan, old, new)
        if problems:
            raise MigrationPlanError(problems)
        items: list[MigrationItem] = []
        after, batches = 0, 0
        while True:
            with self._cmd() as sql:
                ids = _candidates(sql, plan, after, batch_size)
                if not ids:
                    break
                now = self.clock.now()
                for did in ids:
                    item = self._migrate_one(sql, actor, plan, old, new, did, now, dry_run)
                    if item is not None:
                        items.append(item)
                        if progress is not None:
                            progress(item)
                after = ids[-1]
            batches += 1
        return MigrationReport(plan, dry_run, tuple(items), batches)

    def _migrate_one(
        self,
        sql: Sql,
        actor: Actor,
        plan: MigrationPlan,
        old: WorkflowSpec,
        new: WorkflowSpec,
        directive_id: int,
        now: datetime,
        dry_run: bool,
    ) -> MigrationItem | None:
        d = sql.load(directive_id, for_update=True)
        if d is None or d.workflow != plan.workflow or d.workflow_version != plan.from_version:
            return None  # moved meanwhile (another run): each directive migrates once
        from_label = old.state(d.state).label if _has(old, d.state) else d.state
        try:
            target = target_state(plan, old, new, d.state)
            data, renamed = rename_fields(plan, d.data or {})
        except Unmigratable as exc:
            return MigrationItem(d.id, d.title, d.state, from_label, reason=exc.reason)
        dest = new.state(target)
        entered_at = _entered_at(sql, d)
        planned = replan_timers(
            new,
            target,
            due=d.due,
            entered_at=entered_at,
            fired=_fired_since(sql, d.id, entered_at),
            calendar=self.calendar,
        )
        cancelled = _pending_timers(sql, d.id)
        item = MigrationItem(
            d.id,
            d.title,
            d.state,
            from_label,
            to_state=target,
            to_label=dest.label,
            renamed=renamed,
            timers_cancelled=cancelled,
            timers=tuple(planned),
            entered_at=entered_at,
        )
        if dry_run:
            return item
        old_state, before = d.state, replace(d)
        d.workflow_version = plan.to_version
        d.state = target
        d.data = data
        d.is_open = not dest.final
        d.closed_at = (d.closed_at or now) if dest.final else None
        if dest.done or (dest.final and dest.outcome == "completed"):
            d.done_at = d.done_at or now
        else:
            d.done_at = None
        d.updated_at = now
        payload: dict[str, Any] = {
            "workflow": plan.workflow,
            "from_version": plan.from_version,
            "to_version": plan.to_version,
            # what the row becomes (workflow_version, state, data…, those that changed): a
            # replay of the chain applies "_set", as for every command outside the workflow
            "_set": changed_fields(before, d),
            "renamed": renamed,
            "timers_cancelled": cancelled,
            "timers": [
                {"timer": t.timer, "due_at": t.due_at.isoformat(), "repeat": t.repeat_index}
                for t in planned
            ],
        }
        event = self._chain(
            d,
            actor=actor.id,
            role="admin",
            kind="migration",
            trigger=None,
            from_state=old_state,
            to_state=target,
            payload=payload,
            at=now,
        )
        old_version = d.version
        d.version = old_version + 1
        if not sql.migrate(d, old_version):
            raise ConflictError(d.id)
        sql.insert_event(event)
        sql.cancel_timers(d.id)
        sql.add_timers(
            [timer_row(d.id, t.timer, target, t.due_at, t.repeat_index, now) for t in planned]
        )
        return item


def _has(spec: WorkflowSpec, state: str) -> bool:
    return any(s.id == state for s in spec.states)


def _candidates(sql: Sql, plan: MigrationPlan, after: int, limit: int) -> list[int]:
    """The next ``limit`` directive ids on the plan's old version, after id ``after``."""
    stmt = sa.select(_D.c.id).where(
        _D.c.workflow == plan.workflow,
        _D.c.workflow_version == plan.from_version,
        _D.c.id > after,
    )
    if not plan.include_closed:
        stmt = stmt.where(_D.c.is_open.is_(True))
    for key, value in plan.where.items():
        stmt = stmt.where(_D.c.id == int(value) if key == "id" else _D.c[key] == value)
    return [int(r[0]) for r in sql.conn.execute(stmt.order_by(_D.c.id).limit(limit))]


def _entered_at(sql: Sql, d: DirectiveState) -> datetime:
    """When the directive entered its current state: its last change of state by a command
    (a migration renames a state, it does not enter it). A transition fired by a timer counts
    from when that timer was due, as the worker itself plans it."""
    rows = sql.conn.execute(
        sa.select(_E.c.seq, _E.c.kind, _E.c.actor, _E.c.from_state, _E.c.to_state, _E.c.at)
        .where(_E.c.directive_id == d.id, _E.c.kind.not_in(["migration", "timer"]))
        .order_by(_E.c.seq.desc())
    )
    for seq, _kind, actor, from_state, to_state, at in rows:
        if to_state is None or from_state == to_state:
            continue
        if actor == SCHEDULER.id:
            prev = sql.conn.execute(
                sa.select(_E.c.kind, _E.c.payload).where(
                    _E.c.directive_id == d.id, _E.c.seq == seq - 1
                )
            ).first()
            if prev is not None and prev[0] == "timer" and prev[1].get("scheduled_for"):
                return datetime.fromisoformat(prev[1]["scheduled_for"])
        return at  # type: ignore[no-any-return]
    return d.created_at


def _fired_since(sql: Sql, directive_id: int, since: datetime) -> dict[str, tuple[datetime, int]]:
    """Per timer id, the schedule and repetition of its last firing planned since ``since``."""
    out: dict[str, tuple[datetime, int]] = {}
    rows = sql.conn.execute(
        sa.select(_T.c.timer, _T.c.due_at, _T.c.repeat_index)
        .where(
            _T.c.directive_id == directive_id,
            _T.c.status == "fired",
            _T.c.created_at >= since,
        )
        .order_by(_T.c.repeat_index)
    )
    for timer, due_at, repeat in rows:
        out[timer] = (due_at, int(repeat))
    return out


def _pending_timers(sql: Sql, directive_id: int) -> int:
    stmt = sa.select(sa.func.count()).where(
        _T.c.directive_id == directive_id, _T.c.status == "pending"
    )
    return int(sql.conn.execute(stmt).scalar() or 0)
