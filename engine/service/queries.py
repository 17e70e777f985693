"""Reads: directives, statistics, history, allowed triggers, and the visibility rule."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..clock import local_date
from ..core.actors import Actor
from ..core.records import AuditEvent, Directive
from ..deadlines.status import (
    GridRow,
    Status,
    grid,
    progress_status,
)
from ..errors import (
    NotFound,
    PayloadError,
    PermissionDenied,
)
from .base import EngineBase, completed_on, event_record


class Queries(EngineBase):
    """Queries; every one a caller faces goes through :meth:`can_see`."""

    @staticmethod
    def can_see(actor: Actor, d: Directive) -> bool:
        """Visibility: admins see everything; people see what they are assigned, assigned,
        or review; a unit sees the directives it leads or cooperates on; a reviewer by role
        sees what awaits review (a done state)."""
        if "admin" in actor.roles:
            return True
        if actor.id in (d.assignee, d.assigner, d.reviewer):
            return True
        if actor.unit is not None and (
            actor.unit == d.lead_unit or actor.unit in d.cooperating_units
        ):
            return True
        return "reviewer" in actor.roles and d.done_at is not None and d.is_open

    def visible_directives(
        self, actor: Actor, *, limit: int | None = None, offset: int = 0, **filters: Any
    ) -> list[Directive]:
        """What :meth:`directives` returns for ``filters``, restricted to what ``actor`` may
        see, then paged (``offset``, ``limit``)."""
        items = [d for d in self.directives(**filters) if self.can_see(actor, d)]
        return items[offset : None if limit is None else offset + limit]

    def get_visible(self, directive_id: int, actor: Actor) -> Directive:
        """A directive ``actor`` may see; NotFound otherwise (its existence is not revealed)."""
        d = self.get(directive_id)
        if not self.can_see(actor, d):
            raise NotFound("directive", directive_id)
        return d

    def get(self, directive_id: int) -> Directive:
        with self._tx() as repo:
            row = repo.load_directive(directive_id)
            if row is None:
                raise NotFound("directive", directive_id)
            return self._to_record(repo, row)

    def directives(
        self,
        *,
        workflow: str | None = None,
        state: str | None = None,
        unit: str | None = None,
        assignee: str | None = None,
        parent_id: int | None = None,
        open_only: bool = False,
        doc_number: str | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Directive]:
        """Directives matching every filter given, in creation order.

        ``due_from``/``due_to`` bound the (current) due date, inclusive; ``status`` is a value
        of the grid (computed as of the clock's today, so it filters after loading).
        """
        with self._tx() as repo:
            rows = repo.query_directives(
                workflow=workflow,
                state=state,
                unit=unit,
                assignee=assignee,
                parent_id=parent_id,
                open_only=open_only,
                doc_number=doc_number,
                due_from=due_from,
                due_to=due_to,
                limit=None if status is not None else limit,
                offset=0 if status is not None else offset,
            )
            records = [self._to_record(repo, r) for r in rows]
        if status is not None:
            records = [d for d in records if d.status == status]
            records = records[offset : None if limit is None else offset + limit]
        return records

    def statistics(
        self,
        *,
        by: str = "lead_unit",
        against: str = "current",
        workflow: str | None = None,
        parent_id: int | None = None,
    ) -> list[GridRow]:
        """The status grid per ``by`` (lead_unit, assignee or workflow), as of the clock's today.

        ``against="original"`` judges items by their original due date, ignoring extensions.
        Per lead unit, only the unit's own directives count: a cooperating unit's contribution is
        cooperation, not lead (see ``unit_involvement``), and a sub-directive delegated inside the
        unit is part of its parent (per assignee and workflow, they count).
        """
        if by not in ("lead_unit", "assignee", "workflow"):
            raise PayloadError("by", "expected lead_unit, assignee or workflow")
        if against not in ("current", "original"):
            raise PayloadError("against", "expected current or original")
        today = local_date(self.clock.now())
        pairs: list[tuple[str, Status]] = []
        for d in self.directives(workflow=workflow, parent_id=parent_id):
            if by == "lead_unit" and d.kind != "directive":
                continue
            due = d.original_due if against == "original" else d.due
            done_on = completed_on(d.done_at, cancelled=d.outcome == "cancelled")
            st = progress_status(
                due,
                today,
                completed_on=done_on,
                cancelled=d.outcome == "cancelled",
                due_soon_days=self.due_soon_days,
                calendar=self.calendar,
            )
            pairs.append((str(getattr(d, by) or "(chưa xác định)"), st))
        return grid(pairs)

    def history(self, directive_id: int) -> list[AuditEvent]:
        """The directive's audit trail, oldest first."""
        with self._tx() as repo:
            if repo.load_directive(directive_id) is None:
                raise NotFound("directive", directive_id)
            return [event_record(e) for e in repo.events(directive_id)]

    def allowed_triggers(self, directive_id: int, actor: Actor) -> list[str]:
        """Triggers ``actor`` could fire on the directive now (roles and state; not guards)."""
        with self._tx() as repo:
            row = repo.load_directive(directive_id)
            if row is None:
                raise NotFound("directive", directive_id)
            compiled = self._compiled(repo, row.workflow, row.workflow_version)
            held = self._roles_on(actor, row, compiled)
            out = []
            for trigger in compiled.allowed_triggers(row.state, held):
                try:
                    self._check_duties(repo.sql, row, compiled, trigger, actor, held)
                except PermissionDenied:
                    continue
                out.append(trigger)
            return out
