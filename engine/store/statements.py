"""The commands' statements: compiled once by SQLAlchemy, run on the driver's cursor.

Every command (create a directive, fire a trigger, fire a timer) issues the same handful of
statements: read the directive, a version-checked UPDATE of it, INSERT its audit event,
cancel and schedule timers. Through the ORM unit of work a command cost ~8× the same
statements issued by hand with sqlite3 (cProfile: ~70 % in flush bookkeeping), and even
SQLAlchemy Core's per-execution work (execution context, result object, cache-key lookup) was
~100 µs a statement — more than SQLite's own work on it.

So each statement here is built with SQLAlchemy Core and compiled once per dialect: the SQL
text and the type conversions (UTC datetimes, dates on SQLite, JSON/JSONB, booleans) are
SQLAlchemy's own — the same values the ORM reads and writes elsewhere — and the statement is
executed with the DB-API cursor of the SQLAlchemy connection the transaction runs on. A
driver error is re-raised as SQLAlchemy's exception class (``IntegrityError``,
``OperationalError``…) and a lost connection is invalidated, as SQLAlchemy itself does, so
callers handle one family of errors.

The rest of dondoc (queries, outbox delivery, tokens, series) stays on the ORM: it is not hot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from .tables import DirectiveRow, EventRow, OutboxRow, TimerRow, WorkflowVersionRow, possible_id

_D: sa.Table = DirectiveRow.__table__  # type: ignore[assignment]
_E: sa.Table = EventRow.__table__  # type: ignore[assignment]
_T: sa.Table = TimerRow.__table__  # type: ignore[assignment]
_O: sa.Table = OutboxRow.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class DirectiveState:
    """A directive's row as a plain object: what a command reads, changes and writes back.

    The fields are the columns of ``directives`` (a test keeps them in step)."""

    id: int
    workflow: str
    workflow_version: int
    title: str
    content: str
    state: str
    is_open: bool
    progress: int
    lead_unit: str | None
    cooperating_units: list[str]
    assignee: str | None
    assigner: str | None
    reviewer: str | None
    due: date | None
    due_text: str | None
    original_due: date | None
    start: date | None
    recurrence: str | None
    doc_number: str | None
    doc_date: date | None
    doc_issuer: str | None
    parent_id: int | None
    series_id: int | None
    period_key: str | None
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    done_at: datetime | None
    event_seq: int
    event_hash: str
    version: int
    kind: str = "directive"
    original_assignee: str | None = None
    original_lead_unit: str | None = None


FIELDS = tuple(f.name for f in fields(DirectiveState))

# What a command may change on a directive (everything else is fixed at creation).
MUTABLE = (
    "state",
    "is_open",
    "progress",
    "due",
    "original_due",
    "data",
    "updated_at",
    "closed_at",
    "done_at",
    "event_seq",
    "event_hash",
    "assignee",
    "lead_unit",
)

EVENT_COLUMNS = tuple(c.name for c in _E.columns if c.name != "id")  # an event is all given

TIMER_COLUMNS = (
    "directive_id",
    "timer",
    "state",
    "due_at",
    "repeat_index",
    "status",
    "created_at",
    "attempts",
)


OUTBOX_COLUMNS = (
    "idempotency_key",
    "directive_id",
    "template",
    "recipient",
    "recipient_role",
    "subject",
    "body",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class DueTimer:
    """A timer a worker has just claimed (its status is already 'fired' in this transaction)."""

    id: int
    directive_id: int
    timer: str
    state: str
    due_at: datetime
    repeat_index: int


def _param(col: sa.Column[Any]) -> sa.BindParameter[Any]:
    # "v_" because SQLAlchemy reserves a column's own name for its implicit parameters;
    # Prepared.params takes the column's name.
    return sa.bindparam(f"v_{col.name}", type_=col.type)


class Prepared:
    """One statement compiled once for a dialect; binds its parameters like SQLAlchemy would."""

    def __init__(self, stmt: sa.Executable, dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)  # type: ignore[attr-defined]
        self.sql: str = compiled.string
        # the statement's parameters by the name they have in the SQL text
        binds: dict[str, sa.BindParameter[Any]] = {
            name: bp for bp, name in compiled.bind_names.items()
        }
        self.positional: bool = bool(dialect.positional)
        names = list(compiled.positiontup or ()) if self.positional else list(binds)
        # One step per driver parameter, in the driver's order: (parameter, the caller's key
        # or None for a value fixed in the statement (status = 'pending'), that value, the
        # type's conversion). Callers name values by column ("state"); the statement's
        # parameters carry a "v_" prefix (see _param).
        self.plan: list[tuple[str, str | None, Any, Callable[[Any], Any] | None]] = []
        for name in names:
            bp = binds[name]
            proc = bp.type.dialect_impl(dialect).bind_processor(dialect)
            if bp.required:
                self.plan.append((name, name.removeprefix("v_"), None, proc))
            else:
                value = bp.effective_value
                self.plan.append((name, None, value if proc is None else proc(value), None))
        self.results: list[Callable[[Any], Any] | None] = []
        columns: Sequence[Any] = ()
        if isinstance(stmt, sa.Select):
            columns = list(stmt.selected_columns)
        elif isinstance(stmt, sa.Insert | sa.Update):
            columns = list(stmt.exported_columns)  # its RETURNING columns
        for col in columns:
            impl = col.type.dialect_impl(dialect)
            self.results.append(impl.result_processor(dialect, None))

    def params(self, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters for ``given`` values (keyed by column name)."""
        out = [
            fixed if key is None else given[key] if proc is None else proc(given[key])
            for _, key, fixed, proc in self.plan
        ]
        if self.positional:
            return out
        return {step[0]: value for step, value in zip(self.plan, out, strict=True)}

    def row(self, raw: Sequence[Any]) -> list[Any]:
        return [v if p is None else p(v) for v, p in zip(raw, self.results, strict=True)]


class Statements:
    """The commands' statements for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        id_ = sa.bindparam("v_id", type_=sa.Integer())  # (the "v_" names: see _param)
        select = sa.select(*(_D.c[name] for name in FIELDS)).where(_D.c.id == id_)
        self.load = Prepared(select, dialect)
        self.load_for_update = Prepared(select.with_for_update(), dialect)
        insert = sa.insert(_D).values({_D.c[n]: _param(_D.c[n]) for n in FIELDS if n != "id"})
        self.returning = bool(dialect.insert_returning)
        self.insert = Prepared(insert.returning(_D.c.id) if self.returning else insert, dialect)
        self.update = Prepared(
            sa.update(_D)
            .where(_D.c.id == id_, _D.c.version == sa.bindparam("v_old", type_=sa.Integer()))
            .values({_D.c[n]: _param(_D.c[n]) for n in (*MUTABLE, "version")}),
            dialect,
        )
        self.set_head = Prepared(
            sa.update(_D)
            .where(_D.c.id == id_)
            .values({_D.c[n]: _param(_D.c[n]) for n in ("event_seq", "event_hash")}),
            dialect,
        )
        self.insert_event = Prepared(
            sa.insert(_E).values({_E.c[n]: _param(_E.c[n]) for n in EVENT_COLUMNS}), dialect
        )
        self.insert_timer = Prepared(
            sa.insert(_T).values({_T.c[n]: _param(_T.c[n]) for n in TIMER_COLUMNS}), dialect
        )
        # pending → fired for the earliest due timer, in one statement: the claim. It is in the
        # transaction of the firing's effects, so a rollback (or a killed worker) undoes it; on
        # PostgreSQL the candidate is locked and others skipped, so workers do not queue.
        candidate = (
            sa.select(_T.c.id)
            .where(_T.c.status == "pending", _T.c.due_at <= _param(_T.c.fired_at))
            .order_by(_T.c.due_at, _T.c.id)
            .limit(1)
        )
        if dialect.name == "postgresql":
            candidate = candidate.with_for_update(skip_locked=True)
        self.claim_timer = Prepared(
            sa.update(_T)
            .where(_T.c.id == candidate.scalar_subquery(), _T.c.status == "pending")
            .values(
                status="fired",
                fired_at=_param(_T.c.fired_at),
                fired_by=_param(_T.c.fired_by),
                attempts=_T.c.attempts + 1,
            )
            .returning(*(_T.c[f.name] for f in fields(DueTimer))),
            dialect,
        )
        self.set_timer_status = Prepared(
            sa.update(_T).where(_T.c.id == id_).values(status=_param(_T.c.status)), dialect
        )
        self.insert_outbox = Prepared(
            sa.insert(_O).values({_O.c[n]: _param(_O.c[n]) for n in OUTBOX_COLUMNS}), dialect
        )
        self.cancel_timers = Prepared(
            sa.update(_T)
            .where(
                _T.c.directive_id == sa.bindparam("v_directive_id", type_=sa.Integer()),
                _T.c.status == "pending",
            )
            .values(status="cancelled"),
            dialect,
        )


def _entered_state() -> sa.ColumnElement[bool]:
    """Events that entered a state (a requester's): not a migration, which renames a state,
    and not a self-transition."""
    return sa.and_(
        _E.c.kind != "migration",
        sa.or_(_E.c.from_state.is_(None), _E.c.from_state != _E.c.to_state),
    )


class Sql:
    """The statements bound to one transaction's connection."""

    def __init__(self, conn: sa.Connection, statements: Statements) -> None:
        self.conn = conn
        self.st = statements
        self._dbapi_conn = conn.connection.dbapi_connection
        assert self._dbapi_conn is not None
        self._cur = self._dbapi_conn.cursor()

    def _execute(self, p: Prepared, given: Mapping[str, Any]) -> Any:
        params = p.params(given)
        try:
            self._cur.execute(p.sql, params)
        except self.st.dbapi_error as exc:
            raise self._wrap(exc, p, params) from exc
        return self._cur

    def _wrap(self, exc: Exception, p: Prepared, params: Any) -> BaseException:
        gone = self.st.dialect.is_disconnect(exc, self._dbapi_conn, self._cur)  # type: ignore[arg-type]
        if gone:
            self.conn.invalidate(exc)
        return sa.exc.DBAPIError.instance(
            p.sql,
            params,
            exc,
            self.st.dbapi_error,
            connection_invalidated=gone,
            dialect=self.st.dialect,
        )

    # --- directives -------------------------------------------------------------------------
    def load(self, directive_id: int, *, for_update: bool = False) -> DirectiveState | None:
        """The directive (locked until the end of the transaction with ``for_update``, on
        databases that lock rows), or None."""
        if not possible_id(directive_id):
            return None
        p = self.st.load_for_update if for_update else self.st.load
        raw = self._execute(p, {"id": directive_id}).fetchone()
        return None if raw is None else DirectiveState(*p.row(raw))

    def insert(self, values: Mapping[str, Any]) -> int:
        """Insert a directive (every column but ``id``); returns its id."""
        p = self.st.insert
        cur = self._execute(p, values)
        return int(cur.fetchone()[0] if self.st.returning else cur.lastrowid)

    def update(self, d: DirectiveState, old_version: int) -> bool:
        """Write back what a command may change, if the directive is still at ``old_version``
        (optimistic locking); ``d.version`` is the new version. False when someone else
        changed it first."""
        given = {k: getattr(d, k) for k in MUTABLE}
        given.update(version=d.version, id=d.id, old=old_version)
        return int(self._execute(self.st.update, given).rowcount) == 1

    def set_head(self, d: DirectiveState) -> None:
        """Record a new directive's chain head (no version change: it is not a change of it)."""
        given = {"id": d.id, "event_seq": d.event_seq, "event_hash": d.event_hash}
        self._execute(self.st.set_head, given)

    def set_heads(self, ds: Iterable[DirectiveState]) -> None:
        """:meth:`set_head` for many new directives, one batch."""
        rows = [{"id": d.id, "event_seq": d.event_seq, "event_hash": d.event_hash} for d in ds]
        self._many(self.st.set_head, rows)

    # --- events and timers ------------------------------------------------------------------
    def insert_event(self, values: Mapping[str, Any]) -> None:
        if "request_id" not in values:  # optional: the service's chain always sets it
            values = {**values, "request_id": None}
        self._execute(self.st.insert_event, values)

    def insert_events(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert audit events (made by the service's chain), one batch."""
        self._many(self.st.insert_event, [{"request_id": None, **r} for r in rows])

    def add_timers(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Schedule pending firings (``directive_id, timer, state, due_at, repeat_index,
        created_at``), one batch."""
        self._many(self.st.insert_timer, [{**r, "status": "pending", "attempts": 0} for r in rows])

    def _many(self, p: Prepared, rows: list[dict[str, Any]]) -> None:
        batch: list[Any] = [p.params(r) for r in rows]
        if not batch:
            return
        try:
            self._cur.executemany(p.sql, batch)
        except self.st.dbapi_error as exc:
            raise self._wrap(exc, p, batch) from exc

    def claim_timer(self, now: datetime, worker: str) -> DueTimer | None:
        """Claim the earliest pending timer due at ``now`` (pending → fired), or None."""
        p = self.st.claim_timer
        raw = self._execute(p, {"fired_at": now, "fired_by": worker}).fetchone()
        return None if raw is None else DueTimer(*p.row(raw))

    def set_timer_status(self, timer_id: int, status: str) -> None:
        self._execute(self.st.set_timer_status, {"id": timer_id, "status": status})

    def add_outbox(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Queue notifications (every column of OUTBOX_COLUMNS but status and attempts)."""
        self._many(self.st.insert_outbox, [{**r, "status": "pending", "attempts": 0} for r in rows])

    def cancel_timers(self, directive_id: int, only: Sequence[str] | None = None) -> None:
        """Cancel the directive's pending timers (only those named, if given)."""
        if only is None:
            self._execute(self.st.cancel_timers, {"directive_id": directive_id})
            return
        if only:  # rare (an extension moves due-relative timers): plain Core is fine
            self.conn.execute(
                sa.update(_T)
                .where(
                    _T.c.directive_id == directive_id,
                    _T.c.status == "pending",
                    _T.c.timer.in_(list(only)),
                )
                .values(status="cancelled")
            )

    def requester(self, directive_id: int, up_to_seq: int) -> str | None:
        """The actor of the event that entered the directive's current state (who made the
        request a decision is about), among its events up to ``up_to_seq`` — the chain head of
        the row the command read, so a change committed since by someone else is not taken
        for it. None without events. Rare (separation of duties). A migration to another
        workflow version renames a state, it does not enter it."""
        row = self.conn.execute(
            sa.select(_E.c.actor)
            .where(
                _E.c.directive_id == directive_id,
                _E.c.seq <= up_to_seq,
                _entered_state(),
            )
            .order_by(_E.c.seq.desc())
            .limit(1)
        ).first()
        return None if row is None else str(row[0])

    def requesters(self, heads: Mapping[int, int]) -> dict[int, str]:
        """:meth:`requester` for many directives at once (``heads``: directive id → chain head
        seq), in one query; a directive without such an event is left out."""
        if not heads:
            return {}
        rows = self.conn.execute(
            sa.select(_E.c.directive_id, _E.c.seq, _E.c.actor)
            .where(
                _E.c.directive_id.in_(sorted(heads)),
                _entered_state(),
            )
            .order_by(_E.c.directive_id, _E.c.seq)
        )
        out: dict[int, str] = {}
        for did, seq, actor in rows:
            if seq <= heads[did]:
                out[did] = str(actor)
        return out

    def migrate(self, d: DirectiveState, old_version: int) -> bool:
        """Write a directive moved to another workflow version (``d.workflow_version``) with
        what a command may change, if still at ``old_version``. Rare (an admin's migration):
        plain Core."""
        values = {k: getattr(d, k) for k in (*MUTABLE, "workflow_version", "version")}
        result = self.conn.execute(
            sa.update(_D).where(_D.c.id == d.id, _D.c.version == old_version).values(values)
        )
        return int(result.rowcount) == 1

    def also(self, kind: str) -> None:
        """Mark the last event written as also a ``kind`` event for the after-commit hooks
        (see :class:`RecordingSql`); nothing to do when no hook listens."""

    def workflow_source(self, workflow: str, version: int) -> tuple[str, str] | None:
        """The stored source and path of a workflow version (rare: not among the files)."""
        w: sa.Table = WorkflowVersionRow.__table__  # type: ignore[assignment]
        row = self.conn.execute(
            sa.select(w.c.source, w.c.path).where(w.c.workflow == workflow, w.c.version == version)
        ).first()
        return None if row is None else (row[0], row[1])


class RecordingSql(Sql):
    """:class:`Sql` that also keeps the audit events it wrote, in order, for the after-commit
    hooks (used only while hooks are registered or in a host's transaction, so the plain
    command path pays nothing for it). ``recorded`` holds ``(kinds, event row)`` pairs."""

    def __init__(self, conn: sa.Connection, statements: Statements) -> None:
        super().__init__(conn, statements)
        self.recorded: list[tuple[list[str], Mapping[str, Any]]] = []

    def insert_event(self, values: Mapping[str, Any]) -> None:
        super().insert_event(values)
        self.recorded.append(([str(values["kind"])], values))

    def also(self, kind: str) -> None:
        """The last event written is also a ``kind`` event for the hooks (e.g. ``overdue``)."""
        if self.recorded:
            self.recorded[-1][0].append(kind)
