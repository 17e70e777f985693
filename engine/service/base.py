"""Shared plumbing of the Engine's parts: transactions, workflow lookup, the audit chain, record building.

Every part of :class:`~dondoc.service.engine.Engine` derives from :class:`EngineBase`; nothing
here is public API except :class:`NewDirective`, :class:`FiredTimer` and ``DEFAULT_DB``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ..clock import Clock, FakeClock, SystemClock, local_date
from ..core.actors import Actor
from ..core.correlation import current_request_id
from ..core.directory import Directory, Recipient, SimpleDirectory
from ..core.limits import (
    MAX_NAME_CHARS,
    MAX_PHRASE_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    text_problem,
    year_problem,
)
from ..core.machine import CompiledWorkflow, WorkflowRegistry, load_workflows
from ..core.permissions import check_separation, roles_on
from ..core.records import AuditEvent, Directive
from ..core.spec import excluded_parties, parse_workflow
from ..deadlines.calendar import DEFAULT_CALENDAR, WorkingCalendar
from ..deadlines.status import (
    DEFAULT_DUE_SOON,
    Status,
    days_late,
    progress_status,
)
from ..documents.office import Office
from ..documents.render import Renderer
from ..errors import (
    ConflictError,
    NotFound,
    PayloadError,
    Problem,
    WorkflowError,
)
from ..store.repository import Repository
from ..store.schema import ensure_schema, refresh_statistics
from ..store.statements import DirectiveState, RecordingSql, Sql, Statements
from ..store.tables import (
    DirectiveRow,
    EventRow,
    WorkflowVersionRow,
    make_engine,
    possible_id,
    session_factory,
)
from .chain import GENESIS, event_hash
from .hooks import HookBus
from .host import HostTransaction

DEFAULT_DB = "sqlite:///dondoc.db"
#: How long a process trusts its copy of the stored settings before asking for their revision.
SETTINGS_TTL = 10.0


@dataclass(frozen=True)
class FiredTimer:
    """What one timer firing did (for logs and the demo's timeline)."""

    timer_row: int
    directive_id: int
    timer: str
    notified: tuple[str, ...] = ()
    trigger: str | None = None
    skipped: bool = False
    error: str | None = None
    due_at: datetime | None = None
    state_after: str | None = None


@dataclass(frozen=True)
class NewDirective:
    """What is needed to create a directive. Only ``title`` is required besides the workflow.

    ``deadline`` is the deadline as written ("trước ngày 01/07/2024"); it is parsed against
    ``doc_date`` (or today) and fills ``due``, ``start`` and ``recurrence`` unless they are
    given explicitly. The phrase is kept as ``due_text``.
    """

    title: str
    deadline: str | None = None
    content: str = ""
    lead_unit: str | None = None
    cooperating_units: tuple[str, ...] = ()
    assignee: str | None = None
    assigner: str | None = None
    reviewer: str | None = None
    due: date | None = None
    due_text: str | None = None
    start: date | None = None
    recurrence: str | None = None
    doc_number: str | None = None
    doc_date: date | None = None
    doc_issuer: str | None = None
    parent_id: int | None = None
    data: Mapping[str, Any] | None = None


def _spec_digest(compiled: CompiledWorkflow) -> str:
    """Digest of the meaning of a workflow (comments and layout do not count)."""
    dumped = compiled.spec.model_dump(mode="json", by_alias=True)
    # Keys added after databases already recorded digests count only when used, so a
    # definition that does not use them keeps the digest it was registered with.
    if not dumped.get("grants"):
        dumped.pop("grants", None)
    for t in dumped.get("transitions", ()):
        if not t.get("not_by"):
            t.pop("not_by", None)
    if not compiled.spec.moves.model_fields_set:
        dumped.pop("moves", None)  # a workflow without moves means what it meant before them
    text = json.dumps(dumped, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class EngineBase:
    """Construction and the plumbing every part uses."""

    def __init__(
        self,
        db: str | sa.Engine = DEFAULT_DB,
        *,
        workflows: WorkflowRegistry | None = None,
        clock: Clock | None = None,
        calendar: WorkingCalendar | None = None,
        due_soon_days: int = DEFAULT_DUE_SOON,
        directory: Directory | None = None,
        renderer: Renderer | None = None,
        create: bool = True,
    ) -> None:
        self.db = make_engine(db) if isinstance(db, str) else db
        self.workflows = workflows if workflows is not None else load_workflows()
        self.calendar = calendar or DEFAULT_CALENDAR
        self.due_soon_days = due_soon_days
        self.renderer = renderer or Renderer()
        self._sessions: sessionmaker[Session] = session_factory(self.db)
        if create:
            ensure_schema(self.db)
        else:
            ensure_schema(self.db, create=False)
        refresh_statistics(self.db)
        self._statements = Statements(self.db.dialect)
        self._bus = HookBus()
        self._host: HostTransaction | None = None  # set on the engines Engine.within makes
        # The deployment's settings: the people directory and office profile kept in the
        # database (unless given here), and a demo database's frozen clock.
        self._fixed_directory: Directory | None = directory
        self._stored = StoredSettings()
        self._load_settings()
        frozen = self._stored.frozen_at
        self.clock: Clock = clock or (FakeClock(frozen) if frozen else SystemClock())
        self._load_published()
        self._register_workflows()

    # --- the deployment's settings ----------------------------------------------------------

    @property
    def directory(self) -> Directory:
        """The people directory: the one given to the constructor (or assigned), else the one
        stored in the database (re-read when it changes, within ``SETTINGS_TTL`` seconds)."""
        if self._fixed_directory is not None:
            return self._fixed_directory
        return self._settings().directory

    @directory.setter
    def directory(self, value: Directory) -> None:
        self._fixed_directory = value

    @property
    def office(self) -> Office:
        """The office profile stored with the deployment (an empty one when none is)."""
        return self._settings().office

    def display(self, person_id: str | None) -> str:
        """A person as people read them: 'Hoàng Thị Luyến – Phó Chánh Thanh tra' (the id
        itself, flagged in the log, when the directory does not know them)."""
        method = getattr(self.directory, "display", None)
        if callable(method):
            return str(method(person_id))
        return self.directory.person(person_id).name if person_id else "—"

    def reload_settings(self) -> None:
        """Read the stored directory and office profile again now."""
        self._load_settings()

    def _settings(self) -> StoredSettings:
        stored = self._stored
        if time.monotonic() - stored.checked > SETTINGS_TTL:
            with self._tx() as repo:
                revision = repo.settings_revision()
            if revision != stored.revision:
                self._load_settings()
            else:
                stored.checked = time.monotonic()
        return self._stored

    def _load_settings(self) -> None:
        with self._tx() as repo:
            revision = repo.settings_revision()
            values = repo.settings()
        self._stored = StoredSettings.of(revision, {k: v for k, (_, v) in values.items()})

    # Two ways out of the plain path, both off unless used: a host's transaction (the engine
    # Engine.within returns) and after-commit hooks (Engine.on). The plain path is one test of
    # two attributes more than a bare transaction.

    @contextmanager
    def _tx(self) -> Iterator[Repository]:
        """One transaction; any exception rolls everything back."""
        if self._host is None and not self._bus.active:
            with self._sessions() as session, session.begin():
                yield Repository(session, self._statements)
        elif self._host is not None:
            with self._host.session() as repo:
                yield repo
        else:
            with self._sessions() as session:
                session.begin()
                repo = Repository(session, self._statements, RecordingSql)
                try:
                    yield repo
                except BaseException:
                    session.rollback()
                    raise
                self._bus.commit(session.commit, repo.recorded())

    @contextmanager
    def _cmd(self) -> Iterator[Sql]:
        """One command's transaction, on the prepared statements only (no ORM session)."""
        if self._host is None and not self._bus.active:
            with self.db.begin() as conn:
                yield Sql(conn, self._statements)
        elif self._host is not None:
            with self._host.command() as sql:
                yield sql
        else:
            with self.db.connect() as conn:
                trans = conn.begin()
                recording = RecordingSql(conn, self._statements)
                try:
                    yield recording
                except BaseException:
                    trans.rollback()
                    raise
                self._bus.commit(trans.commit, recording.recorded)

    def _load_published(self) -> None:
        """Add the versions administrators published (stored in the database) to the loaded
        ones; a version also loaded from a file is left to :meth:`_register_workflows`."""
        w = WorkflowVersionRow
        with self._tx() as repo:
            rows = repo.s.execute(
                sa.select(w.workflow, w.version, w.source, w.path).where(
                    w.published_by.is_not(None)
                )
            ).all()
        for workflow, version, source, path in rows:
            try:
                self.workflows.get(workflow, version)
            except NotFound:
                self.workflows.add(parse_workflow(source, path))

    def _register_workflows(self) -> None:
        """Record every loaded workflow version; refuse a changed definition under an old number."""
        problems: list[Problem] = []
        with self._tx() as repo:
            for compiled in self.workflows:
                wf, ver = compiled.key
                digest = _spec_digest(compiled)
                row = repo.workflow_version(wf, ver)
                if row is None:
                    repo.s.add(
                        WorkflowVersionRow(
                            workflow=wf,
                            version=ver,
                            title=compiled.spec.title,
                            digest=digest,
                            source=compiled.loaded.text,
                            path=compiled.loaded.path,
                            registered_at=self.clock.now(),
                        )
                    )
                elif row.digest != digest:
                    problems.append(
                        Problem(
                            compiled.loaded.path,
                            1,
                            1,
                            f"quy trình {wf!r} phiên bản {ver} khác với bản cơ sở dữ liệu này "
                            f"đang dùng (đăng ký từ {row.path}); đã có nhiệm vụ theo nó, nên hãy "
                            "đặt số phiên bản mới cho định nghĩa đã sửa",
                        )
                    )
            if problems:
                raise WorkflowError(problems)

    def _compiled(self, db: Repository | Sql, workflow: str, version: int) -> CompiledWorkflow:
        try:
            return self.workflows.get(workflow, version)
        except NotFound:
            # A version no longer among the files: the database keeps its source.
            stored = (db.sql if isinstance(db, Repository) else db).workflow_source(
                workflow, version
            )
            if stored is None:
                raise
            source, path = stored
            return self.workflows.add(parse_workflow(source, f"{path} (stored)"))

    @staticmethod
    def _chain(
        d: DirectiveState,
        *,
        actor: str,
        role: str | None,
        kind: str,
        trigger: str | None,
        from_state: str | None,
        to_state: str | None,
        payload: Mapping[str, Any],
        at: datetime,
    ) -> dict[str, Any]:
        """The next audit event of ``d`` (hash-chained to its head); moves the head onto it.
        Returns the event's row, to insert."""
        prev = d.event_hash or GENESIS
        fields: dict[str, Any] = {
            "seq": d.event_seq + 1,
            "at": at,
            "actor": actor,
            "role": role,
            "kind": kind,
            "trigger": trigger,
            "from_state": from_state,
            "to_state": to_state,
            "payload": dict(payload),
        }
        d.event_seq = fields["seq"]
        d.event_hash = event_hash(prev_hash=prev, directive_id=d.id, **fields)
        return {
            "directive_id": d.id,
            "prev_hash": prev,
            "hash": d.event_hash,
            **fields,
            "request_id": current_request_id(),  # correlation, outside the hash
        }

    @staticmethod
    def _write(sql: Sql, d: DirectiveState, event: Mapping[str, Any]) -> None:
        """Write a change of the directive and its audit event (made by ``_chain``): the
        version-checked UPDATE (ConflictError when another command changed it first), then
        the event.

        The chain head lives on the directive, so the version check also guards it: two
        commands cannot both extend the chain from the same head."""
        old_version = d.version
        d.version = old_version + 1
        if not sql.update(d, old_version):
            raise ConflictError(d.id)
        sql.insert_event(event)

    def _to_record(self, db: Repository | Sql, row: DirectiveRow | DirectiveState) -> Directive:
        compiled = self._compiled(db, row.workflow, row.workflow_version)
        st = compiled.spec.state(row.state)
        today = local_date(self.clock.now())
        done_on = completed_on(row.done_at, cancelled=st.final and st.outcome == "cancelled")
        status = progress_status(
            row.due,
            today,
            completed_on=done_on,
            cancelled=st.final and st.outcome == "cancelled",
            due_soon_days=self.due_soon_days,
            calendar=self.calendar,
        )
        return Directive(
            id=row.id,
            workflow=row.workflow,
            workflow_version=row.workflow_version,
            title=row.title,
            content=row.content,
            state=row.state,
            state_label=st.label,
            is_open=row.is_open,
            outcome=st.outcome if st.final else None,
            progress=row.progress,
            lead_unit=row.lead_unit,
            cooperating_units=tuple(row.cooperating_units or ()),
            assignee=row.assignee,
            assigner=row.assigner,
            reviewer=row.reviewer,
            due=row.due,
            due_text=row.due_text,
            original_due=row.original_due,
            start=row.start,
            recurrence=row.recurrence,
            doc_number=row.doc_number,
            doc_date=row.doc_date,
            doc_issuer=row.doc_issuer,
            parent_id=row.parent_id,
            data=dict(row.data or {}),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            closed_at=row.closed_at,
            done_at=row.done_at,
            status=status.value,
            status_label=status.label,
            days_late=days_late(row.due, today, done_on),
            kind=row.kind,
            original_assignee=row.original_assignee,
            original_lead_unit=row.original_lead_unit,
        )

    @staticmethod
    def _roles_on(
        actor: Actor, row: DirectiveRow | DirectiveState, compiled: CompiledWorkflow
    ) -> frozenset[str]:
        """The workflow roles ``actor`` holds on the directive (bound, or granted by the
        workflow's ``grants:``)."""
        return roles_on(
            actor,
            assignee=row.assignee,
            assigner=row.assigner,
            reviewer=row.reviewer,
            lead_unit=row.lead_unit,
            cooperating_units=row.cooperating_units or (),
            grants=compiled.spec.grants,
        )

    @staticmethod
    def _check_duties(
        sql: Sql,
        row: DirectiveRow | DirectiveState,
        compiled: CompiledWorkflow,
        trigger: str,
        actor: Actor,
        held: frozenset[str],
        requesters: Mapping[int, str] | None = None,
    ) -> None:
        """Raise :class:`~dondoc.core.permissions.SeparationOfDuties` when ``actor`` may not
        fire ``trigger`` now: it would decide their own request (see ``not_by``).
        ``requesters``: already read (:meth:`Sql.requesters`), for a batch of rows."""
        t = compiled.spec.transition(trigger, row.state)
        if t is None or not excluded_parties(t):
            return
        check_separation(
            t,
            actor,
            requester=requesters.get(row.id)
            if requesters is not None
            else sql.requester(row.id, row.event_seq),
            people={"assignee": row.assignee, "assigner": row.assigner, "reviewer": row.reviewer},
            held=held,
        )

    @staticmethod
    def _snapshot(row: DirectiveRow | DirectiveState) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d is not None else None

        return {
            "workflow": row.workflow,
            "workflow_version": row.workflow_version,
            "title": row.title,
            "content": row.content,
            "lead_unit": row.lead_unit,
            "cooperating_units": list(row.cooperating_units or ()),
            "assignee": row.assignee,
            "assigner": row.assigner,
            "reviewer": row.reviewer,
            "due": iso(row.due),
            "due_text": row.due_text,
            "start": iso(row.start),
            "recurrence": row.recurrence,
            "doc_number": row.doc_number,
            "doc_date": iso(row.doc_date),
            "doc_issuer": row.doc_issuer,
            "parent_id": row.parent_id,
            "data": dict(row.data or {}),
        }

    def _directive_context(self, record: Directive, now: datetime) -> dict[str, Any]:
        """What templates see of a directive: its fields, people by name and position
        (``assignee_name``, ``assignee_position``, ``assignee_display``…), days left/late,
        choice values by their labels (``data_labels``), the office profile."""
        today = local_date(now)
        directory = self.directory
        names: dict[str, Any] = {}
        for role, who in (
            ("assignee", record.assignee),
            ("assigner", record.assigner),
            ("reviewer", record.reviewer),
        ):
            person = directory.person(who) if who else None
            names[f"{role}_name"] = person.name if person else None
            names[f"{role}_position"] = getattr(person, "position", None)
            names[f"{role}_display"] = self.display(who) if who else None
        directive = {
            # one level: the values are what the record holds (asdict's deep copy of every
            # nested value was most of the time of a dashboard page)
            **{f.name: getattr(record, f.name) for f in fields(record)},
            **names,
            "extended": record.extended,
            "data_labels": self._data_labels(record),
        }
        assignee = person_context(directory.person(record.assignee or "—"))
        return {
            "directive": directive,
            "directive_issuer": record.doc_issuer or "",
            "office": asdict(self.office),
            "case": letter_case(record),
            "choices": self._choices(record),
            "assignee": assignee,
            "recipient": assignee,
            "days_late": record.days_late,
            "working_days_left": (
                self.calendar.working_days_between(today, record.due)
                if record.due and record.due > today
                else (0 if record.due else None)
            ),
            "repeat_index": 1,
            "today": today,
            "now": now,
        }

    def _choices(self, record: Directive) -> dict[str, list[tuple[str, str]]]:
        """Every choice field of the directive's workflow: [(value, label), …]."""
        try:
            spec = self.workflows.get(record.workflow, record.workflow_version).spec
        except NotFound:
            return {}
        out: dict[str, list[tuple[str, str]]] = {}
        for t in spec.transitions:
            for name, f in t.payload.items():
                if f.type == "choice" and f.choices and name not in out:
                    out[name] = [(str(c), f.choice_label(str(c))) for c in f.choices]
        return out

    def _data_labels(self, record: Directive) -> dict[str, Any]:
        """The directive's data as people read it: a choice by its label ('Khiển trách', not
        khien_trach), yes/no for booleans; other values as they are."""
        try:
            spec = self.workflows.get(record.workflow, record.workflow_version).spec
        except NotFound:
            return dict(record.data)
        fields = {n: f for t in spec.transitions for n, f in t.payload.items()}
        shown: dict[str, Any] = {}
        for key, value in record.data.items():
            f = fields.get(key)
            if f is not None and f.type == "choice" and isinstance(value, str):
                shown[key] = f.choice_label(value)
            elif isinstance(value, bool):
                shown[key] = "Có" if value else "Không"
            elif f is not None and f.type == "person" and isinstance(value, str):
                shown[key] = self.display(value)
            else:
                shown[key] = value
        return shown


class StoredSettings:
    """A process's copy of the settings stored with the deployment."""

    def __init__(
        self,
        revision: int = -1,
        directory: SimpleDirectory | None = None,
        office: Office | None = None,
        frozen_at: datetime | None = None,
    ) -> None:
        self.revision = revision
        self.directory = directory or SimpleDirectory()
        self.office = office or Office()
        self.frozen_at = frozen_at
        self.checked = time.monotonic()

    @classmethod
    def of(cls, revision: int, values: Mapping[str, Mapping[str, Any]]) -> StoredSettings:
        directory = office = frozen = None
        if "directory" in values:
            directory = SimpleDirectory.from_mapping(values["directory"], "stored directory")
        if "office" in values:
            office = Office.from_mapping(dict(values["office"]), "stored office profile")
        at = values.get("clock", {}).get("frozen_at")
        if at:
            frozen = datetime.fromisoformat(str(at))
        return cls(revision, directory, office, frozen)


def letter_case(d: Directive) -> str:
    """Which wording a letter takes: standing (no deadline), overdue, due_soon, on_time."""
    if d.due is None:
        return "standing"
    if d.days_late > 0 and d.done_at is None:
        return "overdue"
    if d.status == Status.DUE_SOON.value:
        return "due_soon"
    return "on_time"


def person_context(person: Recipient) -> dict[str, Any]:
    as_context = getattr(person, "as_context", None)
    return dict(as_context()) if callable(as_context) else asdict(person)


_TEXT_LIMITS = {
    "title": MAX_TITLE_CHARS,
    "deadline": MAX_PHRASE_CHARS,
    "content": MAX_TEXT_CHARS,
    "lead_unit": MAX_NAME_CHARS,
    "assignee": MAX_NAME_CHARS,
    "assigner": MAX_NAME_CHARS,
    "reviewer": MAX_NAME_CHARS,
    "due_text": MAX_PHRASE_CHARS,
    "recurrence": 64,
    "doc_number": 100,
    "doc_issuer": 300,
}


def check_new_directive(new: NewDirective) -> None:
    """Refuse, naming the field, what the database could not store or the calendar not
    handle: text too long for its column or holding NUL, dates outside MIN_YEAR..MAX_YEAR, an
    impossible parent id. (An embedding back-end gets the same checks as the HTTP API.)"""
    for name, limit in _TEXT_LIMITS.items():
        value = getattr(new, name)
        problem = text_problem(value, limit) if isinstance(value, str) else None
        if problem is not None:
            raise PayloadError(name, problem)
    for unit in new.cooperating_units:
        problem = text_problem(unit, MAX_NAME_CHARS)
        if problem is not None:
            raise PayloadError("cooperating_units", problem)
    for name in ("due", "start", "doc_date"):
        day = getattr(new, name)
        problem = year_problem(day.year) if day is not None else None
        if problem is not None:
            raise PayloadError(name, problem)
    if new.parent_id is not None and not possible_id(new.parent_id):
        raise PayloadError("parent_id", "không phải mã nhiệm vụ")


def timer_row(
    directive_id: int, timer: str, state: str, due_at: datetime, repeat: int, created: datetime
) -> dict[str, Any]:
    """A pending firing to schedule (see :meth:`Sql.add_timers`)."""
    return {
        "directive_id": directive_id,
        "timer": timer,
        "state": state,
        "due_at": due_at,
        "repeat_index": repeat,
        "created_at": created,
    }


def completed_on(done_at: datetime | None, *, cancelled: bool) -> date | None:
    """The local day the work was done (None when not done, or cancelled)."""
    return None if done_at is None or cancelled else local_date(done_at)


def event_record(e: EventRow) -> AuditEvent:
    return AuditEvent(
        directive_id=e.directive_id,
        seq=e.seq,
        at=e.at,
        actor=e.actor,
        role=e.role,
        kind=e.kind,
        trigger=e.trigger,
        from_state=e.from_state,
        to_state=e.to_state,
        payload=dict(e.payload or {}),
        prev_hash=e.prev_hash,
        hash=e.hash,
        request_id=e.request_id,
    )
