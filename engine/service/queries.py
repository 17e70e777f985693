"""Reads: directives, statistics, history, allowed triggers, and the visibility rule.

Every read a caller faces goes through one visibility rule: :meth:`Queries.can_see` states it
in Python (the reference, for one directive), :meth:`Queries.viewer` reduces it to what the SQL
of :mod:`dondoc.store.listing` needs, and a test keeps both equal on random data. Lists,
counts, single directives, statistics and the progress report are filtered, paged and counted
in SQL; only the rows of a page become :class:`Directive` records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from ..clock import local_date
from ..core.actors import Actor
from ..core.permissions import Permission, can
from ..core.records import AuditEvent, Directive
from ..deadlines.periods import Period
from ..deadlines.status import GridRow, Status
from ..errors import (
    NotFound,
    PayloadError,
    PermissionDenied,
)
from ..store.listing import (
    EVERYONE,
    GROUPINGS,
    ORDERS,
    Filters,
    StatusBasis,
    Viewer,
    conditions,
    visible,
)
from ..store.repository import Repository
from ..store.statements import DirectiveState
from ..store.tables import DirectiveRow, possible_id
from .base import EngineBase, event_record


class Visible(Protocol):
    """What the visibility rule reads of a directive (a record or a command's row)."""

    @property
    def assignee(self) -> str | None: ...
    @property
    def assigner(self) -> str | None: ...
    @property
    def reviewer(self) -> str | None: ...
    @property
    def lead_unit(self) -> str | None: ...
    @property
    def cooperating_units(self) -> Iterable[str]: ...
    @property
    def done_at(self) -> Any: ...
    @property
    def is_open(self) -> bool: ...


@dataclass(frozen=True)
class PeriodScope:
    """The directives a period's grid or report covers: due (``against`` the current or
    original due) within [start, end], judged as of ``as_of`` (the window's last day, or
    today while the period runs). See :meth:`Queries.period_scope`."""

    period: Period
    start: date
    end: date
    as_of: date
    cutoff_day: int = 1
    against: str = "current"

    @property
    def label(self) -> str:
        return self.period.label

    def where(self) -> sa.ColumnElement[bool]:
        column = "original_due" if self.against == "original" else "due"
        due: sa.ColumnElement[Any] = DirectiveRow.__table__.c[column]
        return sa.and_(due >= self.start, due <= self.end)


class Queries(EngineBase):
    """Queries; every one a caller faces goes through the visibility rule."""

    @staticmethod
    def can_see(actor: Actor, d: Visible) -> bool:
        """Visibility: admins see everything; people see what they are assigned, assigned,
        or review; a unit sees the directives it leads or cooperates on; a reviewer by role
        sees what awaits review (a done state).

        The reference for :meth:`viewer` (the same rule in SQL): change both together."""
        if "admin" in actor.roles:
            return True
        if actor.id in (d.assignee, d.assigner, d.reviewer):
            return True
        if actor.unit is not None and (
            actor.unit == d.lead_unit or actor.unit in d.cooperating_units
        ):
            return True
        return "reviewer" in actor.roles and d.done_at is not None and d.is_open

    @staticmethod
    def can_report(actor: Actor, d: Visible) -> bool:
        """What statistics and reports count for ``actor``: every directive with the global
        ``review`` permission (a board member reads "reports and statistics of every unit",
        docs/security.md), otherwise what :meth:`can_see` lets them see."""
        return can(actor, Permission.REVIEW) or Queries.can_see(actor, d)

    @staticmethod
    def viewer(actor: Actor | None, *, reports: bool = False) -> Viewer:
        """:meth:`can_see` (with ``reports``, :meth:`can_report`) for SQL
        (:func:`dondoc.store.listing.visible`); None sees everything (the embedding back-end
        or the command line, which hold the database anyway)."""
        if actor is None or "admin" in actor.roles:
            return EVERYONE
        if reports and can(actor, Permission.REVIEW):
            return EVERYONE
        return Viewer(person=actor.id, unit=actor.unit, awaiting_review="reviewer" in actor.roles)

    def status_basis(
        self, repo: Repository, against: str = "current", as_of: date | None = None
    ) -> StatusBasis:
        """Today (or the past day ``as_of``), the last due date still "due soon" and the
        cancelled states, for the SQL status (see :class:`dondoc.store.listing.StatusBasis`)."""
        now = local_date(self.clock.now())
        today = now if as_of is None or as_of >= now else as_of
        # due in (today, D] holds at most N working days iff D is before the (N+1)-th one
        soon_until = self.calendar.add_working_days(today, self.due_soon_days + 1) - timedelta(1)
        cancelled = []
        for workflow, version in repo.workflow_versions():
            spec = self._compiled(repo, workflow, version).spec
            cancelled += [
                (workflow, version, st.id)
                for st in spec.states
                if st.final and st.outcome == "cancelled"
            ]
        return StatusBasis(today, soon_until, tuple(sorted(cancelled)), against, today < now)

    def period_scope(
        self, period: str | Period, *, cutoff_day: int = 1, against: str = "current"
    ) -> PeriodScope:
        """What a report or grid "for a period" covers: the directives whose due date
        (``against`` the current or original one) falls in the period's data window, judged as
        of the window's last day (or today, while the period runs). ``cutoff_day`` 1 is the
        calendar period; 15 the data window of Decree 09/2019 art. 12."""
        p = period if isinstance(period, Period) else Period.parse(period)
        if not 1 <= cutoff_day <= 28:
            raise PayloadError("cutoff_day", "cần một ngày từ 1 đến 28")
        start, end = p.report_window(cutoff_day)
        today = local_date(self.clock.now())
        return PeriodScope(p, start, end, min(end, today), cutoff_day, against)

    def visible_directives(
        self,
        actor: Actor,
        *,
        limit: int | None = None,
        offset: int = 0,
        after: int | None = None,
        order: str = "created",
        **filters: Any,
    ) -> list[Directive]:
        """What :meth:`directives` returns for ``filters``, restricted to what ``actor`` may
        see, in ``order`` ("created", or "due": earliest due first, none last): after the
        directive ``after`` (keyset paging: the last id of the previous page), ``offset``
        skipped, at most ``limit``."""
        return self._list(
            self.viewer(actor), filters, after=after, limit=limit, offset=offset, order=order
        )

    def count_visible(self, actor: Actor | None, *, cap: int | None = None, **filters: Any) -> int:
        """How many directives :meth:`visible_directives` would list without paging (no more
        than ``cap`` when given: enough for page links, and flat in the table's size)."""
        with self._tx() as repo:
            return repo.count(self._where(repo, self.viewer(actor), filters, whole=True), cap)

    def get_visible(self, directive_id: int, actor: Actor) -> Directive:
        """A directive ``actor`` may see; NotFound otherwise (its existence is not revealed)."""
        with self._tx() as repo:
            if possible_id(directive_id):
                where = [DirectiveRow.id == directive_id, visible(self.viewer(actor), repo.dialect)]
                rows = repo.page(where, limit=1)
                if rows:
                    return self._to_record(repo, rows[0])
        raise NotFound("directive", directive_id)

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
        assigner: str | None = None,
        parent_id: int | None = None,
        open_only: bool = False,
        undone_only: bool = False,
        doc_number: str | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        status: str | None = None,
        text: str | None = None,
        after: int | None = None,
        limit: int | None = None,
        offset: int = 0,
        order: str = "created",
    ) -> list[Directive]:
        """Directives matching every filter given, in creation order (all of them: no
        visibility rule; adapters use :meth:`visible_directives`).

        ``due_from``/``due_to`` bound the (current) due date, inclusive; ``status`` is a value
        of the grid as of the clock's today; ``text`` a case-insensitive part of the title or
        content; ``undone_only`` leaves out what was reported done (awaiting review). Order:
        "created" or "due" (earliest first, none last). Paging: ``after`` the last id of the
        previous page (keyset), ``offset``, ``limit``.
        """
        filters = {
            "workflow": workflow,
            "state": state,
            "unit": unit,
            "assignee": assignee,
            "assigner": assigner,
            "parent_id": parent_id,
            "open_only": open_only,
            "undone_only": undone_only,
            "doc_number": doc_number,
            "due_from": due_from,
            "due_to": due_to,
            "status": status,
            "text": text,
        }
        return self._list(EVERYONE, filters, after=after, limit=limit, offset=offset, order=order)

    def _where(
        self,
        repo: Repository,
        viewer: Viewer,
        filters: dict[str, Any],
        against: str = "current",
        *,
        whole: bool = False,
    ) -> list[sa.ColumnElement[bool]]:
        """The WHERE clause for ``filters`` as ``viewer`` sees them; ``whole`` for a count or
        an aggregate (every match is read), not a page (see ``listing.conditions``)."""
        try:
            f = Filters(**filters)
        except TypeError as exc:
            raise PayloadError("filters", str(exc)) from None
        if f.status is not None and f.status not in {s.value for s in Status}:
            raise PayloadError("status", f"cần một trong {', '.join(s.value for s in Status)}")
        if f.parent_id is not None and not possible_id(f.parent_id):
            raise PayloadError("parent_id", "không phải mã nhiệm vụ")
        basis = None if f.status is None else self.status_basis(repo, against)
        return conditions(f, viewer, basis, repo.dialect, whole)

    def _list(
        self,
        viewer: Viewer,
        filters: dict[str, Any],
        *,
        after: int | None,
        limit: int | None,
        offset: int,
        order: str = "created",
    ) -> list[Directive]:
        if offset < 0 or (limit is not None and limit < 0):
            raise PayloadError("limit", "giới hạn phân trang không được âm")
        if order not in ORDERS:
            raise PayloadError("order", f"cần một trong {', '.join(ORDERS)}")
        with self._tx() as repo:
            where = self._where(repo, viewer, filters)
            dated = filters.get("due_from") is not None or filters.get("due_to") is not None
            rows = repo.page(
                where, after=after, limit=limit, offset=offset, order=order, dated_only=dated
            )
            return [self._to_record(repo, r) for r in rows]

    def statistics(
        self,
        *,
        by: str = "lead_unit",
        against: str = "current",
        workflow: str | None = None,
        parent_id: int | None = None,
        actor: Actor | None = None,
        period: PeriodScope | str | None = None,
    ) -> list[GridRow]:
        """The status grid per ``by`` as of the clock's today, over what ``actor`` may count
        (:meth:`can_report`; everything when None): one GROUP BY in SQL.

        With ``period`` ("2024-Q2", or a :meth:`period_scope`): only the directives due in
        it, as they stood on its last day (work done after it counts as not done then).

        ``by``: lead_unit, assignee, workflow, or a period of the due date (year, quarter,
        month; keys ``2024``, ``2024-Q2``, ``2024-06``). ``against="original"`` judges items by
        their original due date, ignoring extensions.
        Per lead unit, only the unit's own directives count: a cooperating unit's contribution is
        cooperation, not lead (see ``unit_involvement``), and a sub-directive delegated inside the
        unit is part of its parent (per assignee and workflow, they count).
        """
        if by not in GROUPINGS:
            raise PayloadError("by", f"cần một trong {', '.join(GROUPINGS)}")
        if against not in ("current", "original"):
            raise PayloadError("against", "cần current (hạn hiện tại) hoặc original (hạn ban đầu)")
        scope = self._scope(period, against)
        with self._tx() as repo:
            filters = {"workflow": workflow, "parent_id": parent_id}
            viewer = self.viewer(actor, reports=True)
            where = self._where(repo, viewer, filters, against, whole=True)
            if by == "lead_unit":
                where.append(DirectiveRow.__table__.c.kind == "directive")
            if scope is not None:
                where.append(scope.where())
            basis = self.status_basis(repo, against, scope.as_of if scope else None)
            counts = repo.grid(by, where, basis)
        per: dict[str, dict[Status, int]] = {}
        for key, status, n in counts:
            per.setdefault(key, dict.fromkeys(Status, 0))[Status(status)] += n
        return [GridRow(k, c) for k, c in sorted(per.items())]

    def _scope(self, period: PeriodScope | str | None, against: str) -> PeriodScope | None:
        if period is None or isinstance(period, PeriodScope):
            return period
        return self.period_scope(period, against=against)

    def overdue(self, *, against: str = "current", actor: Actor | None = None) -> list[Directive]:
        """Open directives past their due date (``against`` the current or original one) that
        ``actor`` may report on (:meth:`can_report`), most late first: the progress report's
        list."""
        with self._tx() as repo:
            today = local_date(self.clock.now())
            viewer = self.viewer(actor, reports=True)
            where = self._where(repo, viewer, {"open_only": True}, against)
            column = "original_due" if against == "original" else "due"
            due: sa.ColumnElement[Any] = DirectiveRow.__table__.c[column]
            rows = repo.page([*where, due < today], order_by=[due])
            return [self._to_record(repo, r) for r in rows]

    def workflow_usage(self) -> list[tuple[str, int, int, int]]:
        """Every registered workflow version with how many directives hold it, and how many of
        those are open: (workflow, version, directives, open). For administrators."""
        with self._tx() as repo:
            return repo.workflow_usage()

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
            return self._allowed(repo, row, actor)

    def allowed_triggers_many(
        self, directive_ids: Iterable[int], actor: Actor
    ) -> dict[int, list[str]]:
        """:meth:`allowed_triggers` for many directives in one transaction (one read of the
        rows); a directive that does not exist is left out."""
        wanted = [i for i in dict.fromkeys(directive_ids) if possible_id(i)]
        with self._tx() as repo:
            rows = list(repo.s.scalars(sa.select(DirectiveRow).where(DirectiveRow.id.in_(wanted))))
            requesters = repo.sql.requesters({r.id: r.event_seq for r in rows})
            return {row.id: self._allowed(repo, row, actor, requesters) for row in rows}

    def _allowed(
        self,
        repo: Repository,
        row: DirectiveRow | DirectiveState,
        actor: Actor,
        requesters: dict[int, str] | None = None,
    ) -> list[str]:
        compiled = self._compiled(repo, row.workflow, row.workflow_version)
        held = self._roles_on(actor, row, compiled)
        out = []
        for trigger in compiled.allowed_triggers(row.state, held):
            try:
                self._check_duties(repo.sql, row, compiled, trigger, actor, held, requesters)
            except PermissionDenied:
                continue
            out.append(trigger)
        return out
