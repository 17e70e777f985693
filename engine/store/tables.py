"""Persistence: SQLAlchemy 2.x tables and the small repository the service uses.

SQLite (a file, WAL mode) is the embedded default; PostgreSQL (``postgresql+psycopg://``) the
scale-out engine. All instants are stored as UTC and come back timezone-aware. ``directives``
carries a version counter checked by every command's UPDATE (optimistic locking): a concurrent
writer finds no row at its version and gets ``ConflictError``. The commands themselves run on
prepared statements (:mod:`dondoc.store.statements`); the queries and the rest use this repository.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from ..errors import SchemaError

MAX_ID = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL)


def possible_id(value: int) -> bool:
    """False for ids no row can have (and that would overflow the column in a query)."""
    return 1 <= value <= MAX_ID


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    # JSON columns name their type explicitly (JSONType): SQLAlchemy 2.0.30 (our lower bound) cannot
    # resolve list["str"] through the annotation map under postponed annotations.
    type_annotation_map = {datetime: UTCDateTime()}


class WorkflowVersionRow(Base):
    """Every workflow version ever used, with its source: old directives stay decidable."""

    __tablename__ = "workflow_versions"

    workflow: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    digest: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.Text)
    path: Mapped[str] = mapped_column(sa.String(1000))
    registered_at: Mapped[datetime]
    # Set when an administrator published the version (not from a file): loaded at start-up.
    published_by: Mapped[str | None] = mapped_column(sa.String(200))
    published_at: Mapped[datetime | None]


class DirectiveRow(Base):
    __tablename__ = "directives"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["workflow", "workflow_version"],
            ["workflow_versions.workflow", "workflow_versions.version"],
        ),
        # The read side (store/listing.py): every column of the status grid (and of the
        # lead/cooperate table: kind, is_open), so statistics per unit and a unit's page
        # filtered by status read an index, not the wide rows; by due
        # date for status filters (overdue, due soon) across units.
        sa.Index(
            "ix_directives_unit_grid",
            "lead_unit",
            "state",
            "workflow",
            "workflow_version",
            "due",
            "done_at",
            "original_due",
            "kind",
            "is_open",
        ),
        sa.Index(
            "ix_directives_due_status", "due", "done_at", "workflow", "workflow_version", "state"
        ),
        sa.Index("ix_directives_open_due", "is_open", "due"),
        # a unit's directives in creation order: a unit's page (with any other filter) walks
        # it and stops at the page's end, where the grid index above would read the whole
        # unit and sort it (0.4 s for a unit's overdue page at a million directives)
        sa.Index("ix_directives_lead_unit", "lead_unit", "id"),
        # a person's work by due date ("Việc của tôi": to do, due soon): read in order, and a
        # date range of one person's work is a range of it (by the open-by-due index, due
        # soon read every open directive due this week at a million: 26 ms → 1 ms)
        sa.Index("ix_directives_assignee", "assignee", "due"),
        # one instance per period of a recurring series, whatever restarts happen
        sa.UniqueConstraint("series_id", "period_key", name="uq_directives_series_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    workflow: Mapped[str] = mapped_column(sa.String(64))
    workflow_version: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(500))
    content: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[str] = mapped_column(sa.String(64), index=True)
    is_open: Mapped[bool] = mapped_column(default=True)
    progress: Mapped[int] = mapped_column(default=0)
    lead_unit: Mapped[str | None] = mapped_column(sa.String(200))
    cooperating_units: Mapped[list[str]] = mapped_column(JSONType, default=list)
    assignee: Mapped[str | None] = mapped_column(sa.String(200))
    assigner: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    reviewer: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    due: Mapped[date | None]
    due_text: Mapped[str | None] = mapped_column(sa.Text)
    original_due: Mapped[date | None]
    start: Mapped[date | None]
    recurrence: Mapped[str | None] = mapped_column(sa.String(64))
    doc_number: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    doc_date: Mapped[date | None]
    doc_issuer: Mapped[str | None] = mapped_column(sa.String(300))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("directives.id"), index=True)
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("series.id"))
    period_key: Mapped[str | None] = mapped_column(sa.String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    event_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    event_hash: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    version: Mapped[int] = mapped_column(nullable=False)
    # How the directive came to be: 'directive' (issued), 'delegated' (a sub-directive of its
    # parent), 'contribution' (a cooperating unit's share of its parent).
    kind: Mapped[str] = mapped_column(
        sa.String(16), default="directive", server_default="directive"
    )
    # Whom it was first addressed to; reassignment and claiming change assignee/lead_unit only.
    original_assignee: Mapped[str | None] = mapped_column(sa.String(200))
    original_lead_unit: Mapped[str | None] = mapped_column(sa.String(200))

    __mapper_args__ = {"version_id_col": version}


#: PostgreSQL's planner takes workflow, version and state as independent columns, and so
#: misjudged "in one of these (workflow, version, state) places" (the decision section of
#: "Việc của tôi") by a factor of ten — read 5,000 rows and sorted them for a page of 50 at
#: 100,000 directives. Statistics over the three together (most common combinations) make it
#: read the open directives in due order and stop at 50 (migration 0013 for older databases).
PLACE_STATISTICS = (
    "CREATE STATISTICS IF NOT EXISTS st_directives_place (mcv) "
    "ON workflow, workflow_version, state FROM directives"
)
#: A unit's cooperating directives on PostgreSQL: a GIN index over the JSON array, so the
#: visibility rule for a unit's member (named, or their unit leads or cooperates) is an OR of
#: indexed terms and a member's count reads indexes, not the table (SQLite has no such index:
#: there the cooperating units are tested row by row).
COOPERATING_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_directives_cooperating ON directives "
    "USING gin (cooperating_units jsonb_path_ops)"
)
#: On SQLite, which cannot index inside a JSON array: each directive's cooperating units as
#: rows (directive, unit), kept in step with ``directives.cooperating_units`` by triggers —
#: whatever writes the column (a command, a bulk import, a migration, a hand-made row) — so
#: "directives my unit cooperates on" is an index read (see ``listing.cooperates``).
UNITS_TABLE = sa.Table(
    "directive_units",
    sa.MetaData(),  # not the models': SQLite only, made by the statements below
    sa.Column("unit", sa.String(200), primary_key=True),
    sa.Column("directive_id", sa.Integer, primary_key=True),
)
SQLITE_UNITS = (
    "CREATE TABLE IF NOT EXISTS directive_units (unit VARCHAR(200) NOT NULL, "
    "directive_id INTEGER NOT NULL, PRIMARY KEY (unit, directive_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS ix_directive_units_directive ON directive_units (directive_id)",
    "CREATE TRIGGER IF NOT EXISTS directive_units_insert AFTER INSERT ON directives "
    "WHEN NEW.cooperating_units != '[]' BEGIN "
    "INSERT OR IGNORE INTO directive_units (unit, directive_id) "
    "SELECT value, NEW.id FROM json_each(NEW.cooperating_units); END",
    "CREATE TRIGGER IF NOT EXISTS directive_units_update "
    "AFTER UPDATE OF cooperating_units, id ON directives BEGIN "
    "DELETE FROM directive_units WHERE directive_id = OLD.id; "
    "INSERT OR IGNORE INTO directive_units (unit, directive_id) "
    "SELECT value, NEW.id FROM json_each(NEW.cooperating_units); END",
    "CREATE TRIGGER IF NOT EXISTS directive_units_delete AFTER DELETE ON directives BEGIN "
    "DELETE FROM directive_units WHERE directive_id = OLD.id; END",
)
#: Objects made by these statements rather than the models (the migration-drift test skips
#: them): PostgreSQL's own kinds of index and statistics, SQLite's table of units.
DIALECT_ONLY = {
    "ix_directives_cooperating",
    "st_directives_place",
    "directive_units",
    "ix_directive_units_directive",
}
for _ddl, _dialect in (
    (PLACE_STATISTICS, "postgresql"),
    (COOPERATING_INDEX, "postgresql"),
    *((statement, "sqlite") for statement in SQLITE_UNITS),
):
    event.listen(
        DirectiveRow.__table__,
        "after_create",
        sa.DDL(_ddl).execute_if(dialect=_dialect),  # type: ignore[no-untyped-call]
    )


class EventRow(Base):
    """Append-only audit trail, hash-chained per directive."""

    __tablename__ = "events"
    __table_args__ = (sa.UniqueConstraint("directive_id", "seq", name="uq_events_directive_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    directive_id: Mapped[int] = mapped_column(sa.ForeignKey("directives.id"), index=True)
    seq: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str | None] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(32))
    trigger: Mapped[str | None] = mapped_column(sa.String(64))
    from_state: Mapped[str | None] = mapped_column(sa.String(64))
    to_state: Mapped[str | None] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    # The id of the HTTP request (or other unit of work) that wrote the event, to find its log
    # lines. Correlation only: outside the hash, so it is not evidence (docs/operations.md).
    request_id: Mapped[str | None] = mapped_column(sa.String(64))


class ExplanationRow(Base):
    """A request for an explanation (yêu cầu giải trình) of an overdue directive, its answer
    and its assessment. ``status``: requested → answered → assessed, or requested → lapsed
    (no answer in time; an answer may still come)."""

    __tablename__ = "explanations"
    __table_args__ = (sa.Index("ix_explanations_status", "status", "verdict"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    directive_id: Mapped[int] = mapped_column(sa.ForeignKey("directives.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    requested_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(sa.String(200))
    request_note: Mapped[str | None] = mapped_column(sa.Text)
    answer_due: Mapped[date]
    # who owed the answer when it was asked (the assignee, or the lead unit's head)
    owed_by: Mapped[str | None] = mapped_column(sa.String(200))
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(sa.String(200))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    cause: Mapped[str | None] = mapped_column(sa.String(16))  # objective | subjective (claimed)
    proposed_due: Mapped[date | None]
    assessed_at: Mapped[datetime | None]
    assessed_by: Mapped[str | None] = mapped_column(sa.String(200))
    verdict: Mapped[str | None] = mapped_column(sa.String(16))  # objective | subjective (found)
    new_due: Mapped[date | None]  # the extension granted with the assessment, if any
    assessment_note: Mapped[str | None] = mapped_column(sa.Text)


class TimerRow(Base):
    """A scheduled firing of a workflow timer for one directive.

    ``status``: pending → fired | cancelled. A worker fires a timer by changing its status with a
    conditional UPDATE in the same transaction as the timer's effects, so a timer's effect
    happens once even with many workers or a crash in the middle.
    """

    __tablename__ = "timers"
    __table_args__ = (sa.Index("ix_timers_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    directive_id: Mapped[int] = mapped_column(sa.ForeignKey("directives.id"), index=True)
    timer: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(64))
    due_at: Mapped[datetime]
    repeat_index: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    fired_by: Mapped[str | None] = mapped_column(sa.String(200))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


class OutboxRow(Base):
    """A notification to deliver, written in the same transaction as what caused it."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    directive_id: Mapped[int | None] = mapped_column(sa.ForeignKey("directives.id"), index=True)
    template: Mapped[str] = mapped_column(sa.String(64))
    recipient: Mapped[str] = mapped_column(sa.String(200))
    recipient_role: Mapped[str | None] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(200))
    claimed_until: Mapped[datetime | None]
    sink: Mapped[str | None] = mapped_column(sa.String(32))


class SeriesRow(Base):
    """A recurring directive: each period creates the next instance."""

    __tablename__ = "series"
    __table_args__ = (sa.Index("ix_series_next", "active", "next_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    workflow: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(500))
    recurrence: Mapped[str] = mapped_column(sa.String(64))
    template: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    next_run_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class ApiTokenRow(Base):
    """A bearer token of the HTTP API, stored only as its SHA-256 hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    person: Mapped[str] = mapped_column(sa.String(200), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(300))
    unit: Mapped[str | None] = mapped_column(sa.String(200))
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class AuditCheckpointRow(Base):
    """A signed checkpoint of the audit ledger: the digest of every event up to ``cutoff``
    (in directive, seq order), HMAC-signed with a key kept outside the database; each
    checkpoint's signature covers the previous one's, so they form a chain too."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    made_at: Mapped[datetime]
    cutoff: Mapped[datetime]
    directives: Mapped[int]
    events: Mapped[int]
    digest: Mapped[str] = mapped_column(sa.String(64))
    prev_mac: Mapped[str] = mapped_column(sa.String(64))
    key_id: Mapped[str] = mapped_column(sa.String(16))
    mac: Mapped[str] = mapped_column(sa.String(64))


class AdminEventRow(Base):
    """What administrators did outside any directive (publishing a workflow version…),
    hash-chained like a directive's events (``seq`` counts the chain; ``directive_id`` 0)."""

    __tablename__ = "admin_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class LetterRow(Base):
    """A letter sent on a directive (a chasing letter…): the documents as sent (Word, and PDF
    when it could be made), kept so the page offers exactly what went out; its digest is in
    the directive's audit event (``event_seq``)."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    directive_id: Mapped[int] = mapped_column(sa.ForeignKey("directives.id"), index=True)
    event_seq: Mapped[int]
    template: Mapped[str] = mapped_column(sa.String(64))
    sent_by: Mapped[str] = mapped_column(sa.String(200))
    sent_at: Mapped[datetime]
    recipient: Mapped[str | None] = mapped_column(sa.String(200))
    docx: Mapped[bytes] = mapped_column(sa.LargeBinary)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))


class ReportScheduleRow(Base):
    """A periodic report (Decree 09/2019): rendered for each period at its report date
    (``send_after_days`` working days after the data cut-off, at ``hour`` Vietnam time) and
    sent to ``recipients`` through the outbox. ``next_period`` is the next one to produce."""

    __tablename__ = "report_schedules"
    __table_args__ = (sa.Index("ix_report_schedules_next", "active", "next_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    template: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    cutoff_day: Mapped[int]
    send_after_days: Mapped[int]
    hour: Mapped[int]
    formats: Mapped[list[str]] = mapped_column(JSONType, default=list)
    recipients: Mapped[list[str]] = mapped_column(JSONType, default=list)
    against: Mapped[str] = mapped_column(sa.String(16))
    report_to: Mapped[str | None] = mapped_column(sa.String(300))
    next_period: Mapped[str] = mapped_column(sa.String(16))
    next_run_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]


class ReportRunRow(Base):
    """One period's report as produced: its numbers (``totals``) and files, once per period."""

    __tablename__ = "report_runs"
    __table_args__ = (sa.UniqueConstraint("schedule_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(sa.ForeignKey("report_schedules.id"))
    period: Mapped[str] = mapped_column(sa.String(16))
    produced_at: Mapped[datetime]
    totals: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    docx: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    xlsx: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    notified: Mapped[list[str]] = mapped_column(JSONType, default=list)


class SettingRow(Base):
    """What a deployment keeps with its data: the people directory, the office profile, a demo's
    frozen clock. One JSON document per key; ``revision`` grows on every change so long-running
    processes notice it."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime]


class WorkerRow(Base):
    """A scheduler process's heartbeat (``dondoc worker``, or the one inside ``dondoc serve``):
    written at every sweep, so ``dondoc status`` and the dashboard can tell when none runs."""

    __tablename__ = "workers"

    name: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
    version: Mapped[str] = mapped_column(sa.String(64))
    interval: Mapped[float] = mapped_column(sa.Float)  # seconds between sweeps; silent 2x = down
    started_at: Mapped[datetime]
    last_seen: Mapped[datetime]  # the last heartbeat (each sweep, and during a long one)
    last_sweep_at: Mapped[datetime | None]  # the end of the last complete sweep
    timers_fired: Mapped[int] = mapped_column(default=0)  # since started_at
    series_created: Mapped[int] = mapped_column(default=0)
    messages_sent: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    stopped_at: Mapped[datetime | None]  # a clean stop (SIGTERM), not a crash


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> sa.Engine:
    """An SQLAlchemy engine for ``url`` with dondoc's settings (WAL and a busy timeout on SQLite)."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql"):
        # JIT compilation pays off for long analytical queries, not for dondoc's short ones:
        # its estimate of a JSON array expansion crossed jit_above_cost and compiling took
        # 0.4 s of a 0.65 s statistics query at 100,000 directives.
        return sa.create_engine(url, pool_pre_ping=True, connect_args={"options": "-c jit=off"})
    return sa.create_engine(url, pool_pre_ping=True)


def check_schema(engine: sa.Engine) -> None:
    """Refuse a database whose tables lack columns this version of dondoc uses."""
    inspector = sa.inspect(engine)
    missing: list[str] = []
    for table in Base.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            missing.append(f"table {table.name}")
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        missing.extend(f"{table.name}.{c.name}" for c in table.columns if c.name not in present)
    if missing:
        raise SchemaError(
            f"the database schema is older than this dondoc expects (missing: {', '.join(missing)}); "
            "upgrade it, or start from a new database"
        )


def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
