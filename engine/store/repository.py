"""The ORM repository: the queries behind the Engine's reads (commands use :mod:`.statements`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .statements import Sql, Statements
from .tables import (
    DirectiveRow,
    EventRow,
    OutboxRow,
    SeriesRow,
    TimerRow,
    WorkflowVersionRow,
    possible_id,
)


class Repository:
    """The queries the service needs, on one session. No commits here: the service owns them.

    ``sql`` gives the commands' prepared statements (:mod:`dondoc.store.statements`) on the same
    connection and transaction."""

    def __init__(self, session: Session, statements: Statements) -> None:
        self.s = session
        self._statements = statements
        self._sql: Sql | None = None

    @property
    def sql(self) -> Sql:
        if self._sql is None:
            from .statements import Sql

            self._sql = Sql(self.s.connection(), self._statements)
        return self._sql

    def load_directive(self, directive_id: int) -> DirectiveRow | None:
        return self.s.get(DirectiveRow, directive_id) if possible_id(directive_id) else None

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
        """The earliest instant with work: a pending timer, a series period, and (with
        ``outbox``) a message to deliver, retry, or reclaim after its lease."""
        queries: list[Any] = [
            sa.select(sa.func.min(TimerRow.due_at)).where(TimerRow.status == "pending"),
            sa.select(sa.func.min(SeriesRow.next_run_at)).where(SeriesRow.active.is_(True)),
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

    def query_directives(
        self,
        *,
        workflow: str | None = None,
        state: str | None = None,
        unit: str | None = None,
        assignee: str | None = None,
        parent_id: int | None = None,
        open_only: bool = False,
        due_from: date | None = None,
        due_to: date | None = None,
        doc_number: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[DirectiveRow]:
        stmt = sa.select(DirectiveRow)
        if workflow is not None:
            stmt = stmt.where(DirectiveRow.workflow == workflow)
        if state is not None:
            stmt = stmt.where(DirectiveRow.state == state)
        if unit is not None:
            stmt = stmt.where(DirectiveRow.lead_unit == unit)
        if assignee is not None:
            stmt = stmt.where(DirectiveRow.assignee == assignee)
        if parent_id is not None:
            stmt = stmt.where(DirectiveRow.parent_id == parent_id)
        if open_only:
            stmt = stmt.where(DirectiveRow.is_open.is_(True))
        if due_from is not None:
            stmt = stmt.where(DirectiveRow.due >= due_from)
        if due_to is not None:
            stmt = stmt.where(DirectiveRow.due <= due_to)
        if doc_number is not None:
            stmt = stmt.where(DirectiveRow.doc_number == doc_number)
        stmt = stmt.order_by(DirectiveRow.id).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(self.s.scalars(stmt))
