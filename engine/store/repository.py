"""The ORM repository: the queries behind the Engine's reads (commands use :mod:`.statements`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .listing import (
    PERSON_COLUMNS,
    StatusBasis,
    count_query,
    grid_query,
    page_query,
    register_sqlite_functions,
)
from .statements import DirectiveState, Sql, Statements
from .tables import (
    DirectiveRow,
    EventRow,
    OutboxRow,
    ReportScheduleRow,
    SeriesRow,
    SettingRow,
    TimerRow,
    WorkflowVersionRow,
    possible_id,
)


class Repository:
    """The queries the service needs, on one session. No commits here: the service owns them.

    ``sql`` gives the commands' prepared statements (:mod:`dondoc.store.statements`) on the same
    connection and transaction."""

    def __init__(
        self, session: Session, statements: Statements, sql_class: type[Sql] = Sql
    ) -> None:
        self.s = session
        self._statements = statements
        self._sql_class = sql_class
        self._sql: Sql | None = None

    @property
    def sql(self) -> Sql:
        if self._sql is None:
            self._sql = self._sql_class(self.s.connection(), self._statements)
        return self._sql

    def recorded(self) -> list[tuple[list[str], Any]]:
        """The audit events written through :attr:`sql` when it records them (for the hooks)."""
        return list(getattr(self._sql, "recorded", ()))

    def load_directive(self, directive_id: int) -> DirectiveRow | None:
        return self.s.get(DirectiveRow, directive_id) if possible_id(directive_id) else None

    # --- settings (directory, office profile, demo clock) -----------------------------------
    def settings(self) -> dict[str, tuple[int, dict[str, Any]]]:
        """Every stored setting: key → (revision, value)."""
        rows = self.s.execute(sa.select(SettingRow.key, SettingRow.revision, SettingRow.value))
        return {k: (r, dict(v or {})) for k, r, v in rows}

    def settings_revision(self) -> int:
        """A number that changes whenever any setting changes (cheap to poll)."""
        total = self.s.execute(
            sa.select(sa.func.coalesce(sa.func.sum(SettingRow.revision), 0))
        ).scalar_one()
        return int(total)

    def put_setting(self, key: str, value: dict[str, Any], now: datetime) -> None:
        row = self.s.get(SettingRow, key, with_for_update=True)
        if row is None:
            self.s.add(SettingRow(key=key, value=value, revision=1, updated_at=now))
        else:
            row.value = value
            row.revision += 1
            row.updated_at = now

    # --- timers ---------------------------------------------------------------------------
    def defer_timer(self, timer_id: int, now: datetime, error: str) -> None:
        """Keep a failed timer pending and retry it later, backing off with each attempt."""
        timer = self.s.get(TimerRow, timer_id)
        if timer is None or timer.status != "pending":
            return
        timer.attempts += 1
        timer.last_error = error[:2000]
        timer.due_at = now + timedelta(minutes=min(60 * 24, 5 * 2 ** min(timer.attempts, 10)))

    def timers(self, directive_id: int) -> list[TimerRow]:
        stmt = (
            sa.select(TimerRow)
            .where(TimerRow.directive_id == directive_id)
            .order_by(TimerRow.due_at, TimerRow.id)
        )
        return list(self.s.scalars(stmt))

    def next_due_series(self, now: datetime) -> SeriesRow | None:
        stmt = (
            sa.select(SeriesRow)
            .where(SeriesRow.active.is_(True), SeriesRow.next_run_at <= now)
            .order_by(SeriesRow.next_run_at, SeriesRow.id)
            .limit(1)
        )
        if self.s.bind is not None and self.s.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return self.s.scalars(stmt).first()

    def series_has_period(self, series_id: int, period_key: str) -> bool:
        stmt = sa.select(DirectiveRow.id).where(
            DirectiveRow.series_id == series_id, DirectiveRow.period_key == period_key
        )
        return self.s.scalar(stmt) is not None

    # --- outbox ---------------------------------------------------------------------------
    def next_deliverable(self, now: datetime) -> OutboxRow | None:
        stmt = (
            sa.select(OutboxRow)
            .where(
                sa.or_(
                    sa.and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now),
                    sa.and_(OutboxRow.status == "sending", OutboxRow.claimed_until < now),
                )
            )
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(1)
        )
        if self.s.bind is not None and self.s.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return self.s.scalars(stmt).first()

    def finish_message(
        self, message_id: int, worker: str, *, status: str, sent_at: datetime, sink: str
    ) -> bool:
        result = self.s.execute(
            sa.update(OutboxRow)
            .where(
                OutboxRow.id == message_id,
                OutboxRow.status == "sending",
                OutboxRow.claimed_by == worker,
            )
            .values(
                status=status,
                sent_at=sent_at,
                sink=sink,
                claimed_by=None,
                claimed_until=None,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    def next_wakeup(self, *, outbox: bool = False) -> datetime | None:
        """The earliest instant with work: a pending timer, a series period, a periodic
        report, and (with
        ``outbox``) a message to deliver, retry, or reclaim after its lease."""
        queries: list[Any] = [
            sa.select(sa.func.min(TimerRow.due_at)).where(TimerRow.status == "pending"),
            sa.select(sa.func.min(SeriesRow.next_run_at)).where(SeriesRow.active.is_(True)),
            sa.select(sa.func.min(ReportScheduleRow.next_run_at)).where(
                ReportScheduleRow.active.is_(True)
            ),
        ]
        if outbox:
            queries.append(
                sa.select(sa.func.min(OutboxRow.next_attempt_at)).where(
                    OutboxRow.status == "pending"
                )
            )
            queries.append(
                sa.select(sa.func.min(OutboxRow.claimed_until)).where(OutboxRow.status == "sending")
            )
        present = [v for v in (self.s.scalar(q) for q in queries) if v is not None]
        return min(present) if present else None

    def events(self, directive_id: int) -> list[EventRow]:
        stmt = (
            sa.select(EventRow).where(EventRow.directive_id == directive_id).order_by(EventRow.seq)
        )
        return list(self.s.scalars(stmt))

    def directive_ids_with_events(self) -> list[int]:
        """Every directive, and any id events point at (even if its directive row is gone)."""
        ids = set(self.s.scalars(sa.select(DirectiveRow.id)))
        ids.update(self.s.scalars(sa.select(EventRow.directive_id).distinct()))
        return sorted(ids)

    def workflow_version(self, workflow: str, version: int) -> WorkflowVersionRow | None:
        return self.s.get(WorkflowVersionRow, (workflow, version))

    def workflow_usage(self) -> list[tuple[str, int, int, int]]:
        """(workflow, version, directives, open directives) for every registered version."""
        d = DirectiveRow
        counts = (
            sa.select(
                d.workflow,
                d.workflow_version,
                sa.func.count().label("n"),
                sa.func.sum(sa.case((d.is_open, 1), else_=0)).label("open"),
            )
            .group_by(d.workflow, d.workflow_version)
            .subquery()
        )
        w = WorkflowVersionRow
        stmt = (
            sa.select(w.workflow, w.version, counts.c.n, counts.c.open)
            .outerjoin(
                counts,
                sa.and_(counts.c.workflow == w.workflow, counts.c.workflow_version == w.version),
            )
            .order_by(w.workflow, w.version)
        )
        return [(r[0], int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in self.s.execute(stmt)]

    # --- the read side (see :mod:`.listing`) ----------------------------------------------------
    @property
    def dialect(self) -> str:
        bind = self.s.get_bind()
        return bind.dialect.name

    def _sqlite_functions(self) -> None:
        if self.dialect == "sqlite":
            register_sqlite_functions(self.s.connection().connection.dbapi_connection)

    def page(
        self,
        where: Sequence[sa.ColumnElement[bool]],
        *,
        after: int | None = None,
        limit: int | None = None,
        offset: int = 0,
        order_by: Sequence[sa.ColumnElement[Any]] = (),
        order: str = "created",
        dated_only: bool = False,
    ) -> list[DirectiveState]:
        """Directives matching ``where`` in ``order`` (see :func:`.listing.page_query`), or by
        ``order_by`` then id."""
        self._sqlite_functions()
        after_row_due = None
        if order == "due" and after is not None:
            after_row_due = self.s.scalar(
                sa.select(DirectiveRow.due).where(DirectiveRow.id == after)
            )
        if (
            order == "due"
            and not order_by
            and not dated_only
            and limit is not None
            and offset == 0
            and (after is None or after_row_due is not None)
        ):
            # A page in due order that starts among the dated directives: those first; the
            # undated ones (last in the order) are read only when the page is not full —
            # rarely, and never by a query that must skip every dated match to find them.
            rows = self._states(
                page_query(
                    where,
                    after=after,
                    limit=limit,
                    order="due",
                    after_row_due=after_row_due,
                    dialect=self.dialect,
                    part="dated",
                )
            )
            if len(rows) < limit:
                rows += self._states(
                    page_query(
                        where,
                        limit=limit - len(rows),
                        order="due",
                        dialect=self.dialect,
                        part="undated",
                    )
                )
            return rows
        stmt = page_query(
            where,
            after=after,
            limit=limit,
            offset=offset,
            order=order,
            after_row_due=after_row_due,
            dialect=self.dialect,
            dated_only=dated_only,
        )
        if order_by:
            stmt = stmt.order_by(None).order_by(*order_by, DirectiveRow.id)
        return self._states(stmt)

    def ids_by_due(self, where: Sequence[sa.ColumnElement[bool]], limit: int) -> list[int]:
        """The ids of the first ``limit`` directives matching ``where`` in due order (none
        last, then id), sorted here rather than by the database.

        For a few rows bound to one person (named assigner or reviewer): asked for them in due
        order, a database walked every open directive by due date looking for that person's
        (SQLite, whose statistics are averages per column: 90 ms for a unit member's page at
        100,000 directives); asked in no order, it reads the person's indexes (11 ms)."""
        stmt = sa.select(DirectiveRow.id, DirectiveRow.due).where(*where)
        keys = sorted(self.s.execute(stmt), key=lambda k: (k.due is None, k.due or date.min, k.id))
        return [int(k.id) for k in keys[:limit]]

    def in_order(self, ids: Sequence[int]) -> list[DirectiveState]:
        """The directives ``ids``, in that order."""
        rank = {i: n for n, i in enumerate(ids)}
        rows = self.page([DirectiveRow.id.in_(ids)]) if ids else []
        return sorted(rows, key=lambda r: rank[r.id])

    def names(self, column: str, person: str) -> bool:
        """Some directive names ``person`` in ``column`` (one of :data:`PERSON_COLUMNS`; an
        index probe)."""
        if column not in PERSON_COLUMNS:
            raise ValueError(column)
        probe = sa.select(DirectiveRow.id).where(DirectiveRow.__table__.c[column] == person)
        return self.s.execute(probe.limit(1)).first() is not None

    def _states(self, stmt: sa.Select[Any]) -> list[DirectiveState]:
        return [DirectiveState(*row) for row in self.s.execute(stmt)]

    def count(self, where: Sequence[sa.ColumnElement[bool]], cap: int | None = None) -> int:
        self._sqlite_functions()
        return int(self.s.scalar(count_query(where, cap)) or 0)

    def grid(
        self, by: str, where: Sequence[sa.ColumnElement[bool]], basis: StatusBasis
    ) -> list[tuple[str, str, int]]:
        """(key, status, count) per group and status (see :func:`.listing.grid_query`)."""
        self._sqlite_functions()
        rows = self.s.execute(grid_query(by, where, basis, self.dialect))
        return [(str(k), str(st), int(n)) for k, st, n in rows]

    def workflow_versions(self) -> list[tuple[str, int]]:
        rows = self.s.execute(sa.select(WorkflowVersionRow.workflow, WorkflowVersionRow.version))
        return [(w, v) for w, v in rows]
