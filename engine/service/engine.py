"""The Engine: dondoc's public Python API. Commands and queries, one transaction each.

A command loads the directive, works out the actor's roles on it, asks the compiled workflow
to decide the transition, appends a hash-chained audit event and commits — all or nothing.
If another command changed the directive in between, the version check on UPDATE fails and the
caller gets :class:`ConflictError`; nothing of the failed command is written.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dondoc.core.actors import SCHEDULER, Actor, held_roles
from dondoc.service.chain import GENESIS, event_hash, verify_chain
from dondoc.deadlines.calendar import DEFAULT_CALENDAR, WorkingCalendar
from dondoc.clock import VN_TZ, Clock, SystemClock, local_date
from dondoc.deadlines.phrases import Recurrence, parse_deadline
from dondoc.core.directory import Directory, SimpleDirectory
from dondoc.errors import (
    ConflictError,
    DondocError,
    NotFound,
    PayloadError,
    Problem,
    TemplateError,
    WorkflowError,
)
from dondoc.core.machine import CompiledWorkflow, WorkflowRegistry, load_workflows
from dondoc.store.schema import ensure_schema
from dondoc.documents.office import Office
from dondoc.documents.pdf import html_to_pdf
from dondoc.core.records import AuditEvent, AuditReport, Directive, OutboxMessage
from dondoc.documents.render import Renderer, is_report
from dondoc.core.spec import parse_workflow
from dondoc.store.statements import FIELDS, DirectiveState, DueTimer, Sql, Statements
from dondoc.deadlines.status import DEFAULT_DUE_SOON, GridRow, Status, days_late, grid, progress_status
from dondoc.store.tables import (
    ApiTokenRow,
    DirectiveRow,
    EventRow,
    OutboxRow,
    Repository,
    SeriesRow,
    WorkflowVersionRow,
    make_engine,
    session_factory,
)
from dondoc.deadlines.timers import first_fire_at, is_due_relative, next_repeat_at

DEFAULT_DB = "sqlite:///dondoc.db"


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
    text = json.dumps(dumped, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Engine:
    """dondoc's service. Thread-safe; share one per process.

    ``db`` is a database URL (default ``sqlite:///dondoc.db``) or an SQLAlchemy engine;
    ``workflows`` defaults to the bundled ones; ``clock`` to the system clock.
    """

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
        self.clock: Clock = clock or SystemClock()
        self.calendar = calendar or DEFAULT_CALENDAR
        self.due_soon_days = due_soon_days
        self.directory: Directory = directory or SimpleDirectory()
        self.renderer = renderer or Renderer()
        self._sessions: sessionmaker[Session] = session_factory(self.db)
        if create:
            ensure_schema(self.db)
        else:
            ensure_schema(self.db, create=False)
        self._statements = Statements(self.db.dialect)
        self._register_workflows()

    # --- plumbing --------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[Repository]:
        """One transaction; any exception rolls everything back."""
        with self._sessions() as session, session.begin():
            yield Repository(session, self._statements)

    @contextmanager
    def _cmd(self) -> Iterator[Sql]:
        """One command's transaction, on the prepared statements only (no ORM session)."""
        with self.db.begin() as conn:
            yield Sql(conn, self._statements)

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
                            f"workflow {wf!r} version {ver} differs from the one this database "
                            f"already uses (registered from {row.path}); directives depend on it, "
                            "so give the changed definition a new version number",
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
        return {"directive_id": d.id, "prev_hash": prev, "hash": d.event_hash, **fields}

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
        completed_on = _completed_on(row.done_at, cancelled=st.final and st.outcome == "cancelled")
        status = progress_status(
            row.due,
            today,
            completed_on=completed_on,
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
            days_late=days_late(row.due, today, completed_on),
        )

    @staticmethod
    def _roles_on(actor: Actor, row: DirectiveRow | DirectiveState) -> frozenset[str]:
        return held_roles(
            actor,
            assignee=row.assignee,
            assigner=row.assigner,
            reviewer=row.reviewer,
            lead_unit=row.lead_unit,
            cooperating_units=row.cooperating_units or (),
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

    # --- commands --------------------------------------------------------------------------
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
            d = self._insert_directive(sql, actor.id, compiled, new, now)
            return self._to_record(sql, d)

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
    ) -> DirectiveState:
        if not new.title.strip():
            raise PayloadError("title", "must not be empty")
        due, due_text, start, recurrence = new.due, new.due_text, new.start, new.recurrence
        if new.deadline is not None:
            parsed = parse_deadline(
                new.deadline, new.doc_date or local_date(now), calendar=self.calendar
            )
            due = due if due is not None else parsed.due
            start = start if start is not None else parsed.start
            recurrence = recurrence or (str(parsed.recurrence) if parsed.recurrence else None)
            due_text = due_text or new.deadline
        if new.parent_id is not None and sql.load(new.parent_id) is None:
            raise NotFound("directive", new.parent_id)
        d = DirectiveState(
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
        )
        values = {name: getattr(d, name) for name in FIELDS if name != "id"}
        d.id = sql.insert(values)
        # The "created" event; the chain head of a new directive is not a change of it, so it
        # is written without a version change: a directive starts at version 1.
        created = self._chain(
            d,
            actor=creator,
            role=None,
            kind="created",
            trigger=None,
            from_state=None,
            to_state=d.state,
            payload=self._snapshot(d),
            at=now,
        )
        sql.insert_event(created)
        sql.set_head(d)
        self._schedule_timers(sql, d, compiled, entered_at=now)
        return d

    # --- recurring directives ---------------------------------------------------------------
    def create_series(self, actor: Actor, workflow: str, new: NewDirective, recurrence: str) -> int:
        """Make ``new`` recur: one directive per period, created by the scheduler.

        ``recurrence`` is a phrase ("trước ngày 20 hàng tháng", "hằng quý") or a canonical
        form ("monthly:19"). The current period's instance is created by the next sweep; each
        later one at the start of its period (00:00 Asia/Ho_Chi_Minh). Returns the series id.
        """
        if not new.title.strip():
            raise PayloadError("title", "must not be empty")
        rec = _read_recurrence(recurrence, local_date(self.clock.now()), self.calendar)
        self.workflows.get(workflow)  # NotFound now rather than at the first period
        template = {
            k: (v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v)
            for k, v in asdict(new).items()
            if k not in ("due", "deadline", "start", "recurrence", "due_text")
        }
        template["due_text"] = new.deadline or new.due_text or recurrence
        template["assigner"] = new.assigner or actor.id
        with self._tx() as repo:
            row = SeriesRow(
                workflow=workflow,
                title=new.title.strip(),
                recurrence=str(rec),
                template=template,
                created_by=actor.id,
                next_run_at=self.clock.now(),
                active=True,
                created_at=self.clock.now(),
            )
            repo.s.add(row)
            repo.s.flush()
            return row.id

    def run_next_series(self) -> list[Directive] | None:
        """Create the instances of the earliest series whose period has started.

        Returns the directives created (possibly none, when they already existed), or None when
        no series is due. One transaction; an instance per period at most (a unique key on
        (series, period) holds across restarts and concurrent workers).
        """
        now = self.clock.now()
        with self._tx() as repo:
            series = repo.next_due_series(now)
            if series is None:
                return None
            rec = Recurrence.parse(series.recurrence)
            trigger = period_trigger(rec)
            compiled = self.workflows.get(series.workflow)
            created: list[DirectiveState] = []
            run_at = series.next_run_at
            while run_at <= now:
                due = rec.next_due(local_date(run_at))
                key = due.isoformat()
                if not repo.series_has_period(series.id, key):
                    fields = dict(series.template)
                    if fields.get("doc_date"):
                        fields["doc_date"] = date.fromisoformat(fields["doc_date"])
                    fields["cooperating_units"] = tuple(fields.get("cooperating_units") or ())
                    fields["title"] = f"{series.title} (kỳ {due:%d/%m/%Y})"
                    new = NewDirective(**{**fields, "due": due, "recurrence": series.recurrence})
                    created.append(
                        self._insert_directive(
                            repo.sql,
                            SCHEDULER.id,
                            compiled,
                            new,
                            now,
                            series_id=series.id,
                            period_key=key,
                        )
                    )
                nxt = trigger.get_next_fire_time(run_at, run_at + timedelta(microseconds=1))
                run_at = nxt.astimezone(UTC)
            series.next_run_at = run_at
            return [self._to_record(repo, r) for r in created]

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
                        directive_id, f"expected version {expected_version}, found {d.version}"
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
        decision = compiled.decide(
            row.state,
            trigger,
            self._roles_on(actor, row),
            payload,
            data=row.data or {},
            directive=self._snapshot(row) | {"progress": row.progress},
            actor=actor.id,
        )
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
                payload=decision.payload,
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
        rows = []
        for tm in compiled.spec.timers:
            if row.state not in tm.states or (due_relative_only and not is_due_relative(tm)):
                continue
            at = first_fire_at(tm, due=row.due, entered_at=entered_at, calendar=self.calendar)
            if at is not None:
                rows.append(_timer(row.id, tm.id, row.state, at, 1, entered_at))
        sql.add_timers(rows)

    # --- the scheduler's commands -----------------------------------------------------------
    def fire_next_timer(self, *, worker: str = "worker") -> FiredTimer | None:
        """Fire the earliest due timer, if any, in one transaction. Returns what it did.

        The timer's status changes from pending to fired with a conditional UPDATE in the same
        transaction as its effects (audit event, notifications in the outbox, an automatic
        transition, the next repetition). Two workers never both fire it; a crash before the
        commit leaves it pending. On PostgreSQL candidates are taken ``FOR UPDATE SKIP LOCKED``
        so workers do not queue behind each other.
        """
        now = self.clock.now()
        failed: tuple[int, str] | None = None
        try:
            with self._cmd() as sql:
                timer = sql.claim_timer(now, worker)
                if timer is None:
                    return None
                try:
                    return self._fire_timer(sql, timer, now)
                except ConflictError:
                    raise
                except (DondocError, TemplateError) as exc:
                    # A configuration problem (e.g. a broken admin template): undo this firing,
                    # keep the timer pending and retry later; do not block the queue.
                    failed = (timer.id, str(exc))
                    raise
        except (ConflictError, IntegrityError):
            return FiredTimer(0, 0, "", skipped=True)  # a concurrent command won; retry next sweep
        except (DondocError, TemplateError):
            if failed is None:
                raise
        timer_id, error = failed
        with self._tx() as repo:
            repo.defer_timer(timer_id, now, error)
        return FiredTimer(timer_id, 0, "", error=error)

    def _fire_timer(self, sql: Sql, timer: DueTimer, now: datetime) -> FiredTimer:
        row = sql.load(timer.directive_id, for_update=True)
        assert row is not None
        compiled = self._compiled(sql, row.workflow, row.workflow_version)
        spec = next((tm for tm in compiled.spec.timers if tm.id == timer.timer), None)
        if spec is None or row.state != timer.state or not row.is_open:
            sql.set_timer_status(timer.id, "cancelled")
            return FiredTimer(timer.id, row.id, timer.timer, skipped=True)
        record = self._to_record(sql, row)
        context = {
            **self._directive_context(record, now),
            "timer": {"id": spec.id, "label": spec.label or spec.id},
            "repeat_index": timer.repeat_index,
        }
        notified: list[str] = []
        messages: list[dict[str, Any]] = []
        for n in spec.notify:
            people = (
                [self.directory.person(n.person)]
                if n.person
                else self.directory.resolve(n.role or "", record)
            )
            for person in people:
                msg = self.renderer.render_text(
                    n.template, {**context, "recipient": asdict(person)}
                )
                messages.append(
                    {
                        "idempotency_key": f"timer:{timer.id}:{n.template}:{person.id}",
                        "directive_id": row.id,
                        "template": n.template,
                        "recipient": person.id,
                        "recipient_role": n.role,
                        "subject": msg.subject,
                        "body": msg.body,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
                notified.append(person.id)
        sql.add_outbox(messages)
        row.updated_at = now  # a new version: a concurrent command on it gets ConflictError
        self._write(
            sql,
            row,
            self._chain(
                row,
                actor=SCHEDULER.id,
                role="system",
                kind="timer",
                trigger=None,
                from_state=row.state,
                to_state=row.state,
                payload={
                    "timer": spec.id,
                    "timer_row": timer.id,
                    "repeat": timer.repeat_index,
                    "scheduled_for": timer.due_at.isoformat(),
                    "notified": notified,
                },
                at=now,
            ),
        )
        fired_trigger = None
        if spec.fire is not None:
            self._apply(sql, row, spec.fire, SCHEDULER, {}, now, entered_at=timer.due_at)
            fired_trigger = spec.fire
        elif spec.repeat is not None and timer.repeat_index < spec.repeat.max:
            nxt = next_repeat_at(spec, timer.due_at, self.calendar)
            if nxt is not None:
                sql.add_timers(
                    [_timer(row.id, spec.id, row.state, nxt, timer.repeat_index + 1, now)]
                )
        return FiredTimer(
            timer.id,
            row.id,
            spec.id,
            notified=tuple(notified),
            trigger=fired_trigger,
            due_at=timer.due_at,
            state_after=row.state,
        )

    # --- import of extracted drafts ---------------------------------------------------------
    def import_drafts(
        self, actor: Actor, extraction: Any, workflow: str, *, accept: Iterable[int] | None = None
    ) -> tuple[Directive, list[Directive]]:
        """Create the accepted drafts of an extraction under one parent for the conclusion.

        ``accept`` are indices of drafts to keep (all when None). One transaction: all of
        them, or none (a bad draft aborts the import with its error).
        """
        from dondoc.extract.document import Extraction

        assert isinstance(extraction, Extraction)
        chosen = list(range(len(extraction.drafts))) if accept is None else list(accept)
        h = extraction.header
        now = self.clock.now()
        symbol = f"{h.number or ''}/{h.symbol}" if h.symbol else None
        with self._cmd() as sql:
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
            children = []
            for i in chosen:
                d = extraction.drafts[i]
                children.append(
                    self._insert_directive(
                        sql,
                        actor.id,
                        compiled,
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
                        ),
                        now,
                    )
                )
            return self._to_record(sql, parent), [self._to_record(sql, c) for c in children]

    # --- access: API tokens and visibility ---------------------------------------------------
    def create_token(
        self,
        person: str,
        *,
        roles: Iterable[str] = (),
        unit: str | None = None,
        name: str | None = None,
    ) -> str:
        """Issue a bearer token for ``person``; returns it once (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        with self._tx() as repo:
            repo.s.add(
                ApiTokenRow(
                    token_hash=_token_hash(token),
                    person=person,
                    name=name,
                    unit=unit,
                    roles=sorted(set(roles)),
                    created_at=self.clock.now(),
                    revoked_at=None,
                )
            )
        return token

    def authenticate(self, token: str) -> Actor | None:
        """The actor a bearer token stands for (None when unknown or revoked)."""
        with self._tx() as repo:
            row = repo.s.scalar(
                sa.select(ApiTokenRow).where(ApiTokenRow.token_hash == _token_hash(token))
            )
            if row is None or row.revoked_at is not None:
                return None
            return Actor(row.person, frozenset(row.roles or ()), row.unit, row.name)

    def revoke_tokens(self, person: str) -> int:
        with self._tx() as repo:
            rows = list(
                repo.s.scalars(
                    sa.select(ApiTokenRow).where(
                        ApiTokenRow.person == person, ApiTokenRow.revoked_at.is_(None)
                    )
                )
            )
            for row in rows:
                row.revoked_at = self.clock.now()
            return len(rows)

    def token_count(self) -> int:
        with self._tx() as repo:
            return int(repo.s.scalar(sa.select(sa.func.count()).select_from(ApiTokenRow)) or 0)

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

    # --- documents --------------------------------------------------------------------------
    def _directive_context(self, record: Directive, now: datetime) -> dict[str, Any]:
        """What templates see of a directive: its fields, people's names, days left/late."""
        today = local_date(now)
        names = {
            f"{role}_name": self.directory.person(who).name if who else None
            for role, who in (
                ("assignee", record.assignee),
                ("assigner", record.assigner),
                ("reviewer", record.reviewer),
            )
        }
        directive = {**asdict(record), **names, "extended": record.extended}
        assignee = asdict(self.directory.person(record.assignee or "—"))
        return {
            "directive": directive,
            "directive_issuer": record.doc_issuer or "",
            "assignee": assignee,
            "recipient": assignee,
            "days_late": record.days_late,
            "working_days_left": (
                max(0, self.calendar.working_days_between(today, record.due))
                if record.due
                else None
            ),
            "repeat_index": 1,
            "today": today,
            "now": now,
        }

    def document_context(
        self,
        template: str,
        *,
        directive_id: int | None = None,
        office: Office | None = None,
        against: str = "current",
        scope: str | None = None,
        report_to: str | None = None,
    ) -> dict[str, Any]:
        """The context a document template is rendered with (see :meth:`render_document`)."""
        now = self.clock.now()
        base: dict[str, Any] = {
            "office": asdict(office or Office()),
            "today": local_date(now),
            "now": now,
            "directive_issuer": "",
        }
        if is_report(template):
            rows = self.statistics(against=against)
            statuses = [s.value for s in Status]
            totals = {s: sum(r.counts[Status(s)] for r in rows) for s in statuses}
            totals["total"] = sum(r.total for r in rows)
            overdue = []
            for d in self.directives(open_only=True):
                due = d.original_due if against == "original" else d.due
                if due is not None and local_date(now) > due:
                    names = self._directive_context(d, now)["directive"]
                    overdue.append({**names, "days_late": days_late(due, local_date(now))})
            overdue.sort(key=lambda x: -x["days_late"])
            return {
                **base,
                "rows": [
                    {
                        "key": r.key,
                        "total": r.total,
                        "counts": {s.value: n for s, n in r.counts.items()},
                    }
                    for r in rows
                ],
                "totals": totals,
                "overdue": overdue,
                "against": against,
                "scope": scope,
                "report_to": report_to,
            }
        if directive_id is None:
            raise PayloadError("directive", f"template {template!r} needs a directive")
        context = {**base, **self._directive_context(self.get(directive_id), now)}
        context["directive_issuer"] = context["directive"]["doc_issuer"] or ""
        context["history"] = [asdict(e) for e in self.history(directive_id)]
        return context

    def render_document(
        self,
        template: str,
        *,
        fmt: str = "html",
        directive_id: int | None = None,
        office: Office | None = None,
        against: str = "current",
        scope: str | None = None,
        report_to: str | None = None,
    ) -> bytes:
        """Render ``template`` for a directive (or, for ``progress_report``, for all of them)
        as ``html``, ``txt`` or ``pdf``. Returns bytes (UTF-8 for html and txt)."""
        if fmt not in ("html", "txt", "pdf"):
            raise PayloadError("format", "expected html, txt or pdf")
        context = self.document_context(
            template,
            directive_id=directive_id,
            office=office,
            against=against,
            scope=scope,
            report_to=report_to,
        )
        if fmt == "txt":
            msg = self.renderer.render_text(template, context)
            return f"{msg.subject}\n\n{msg.body}".encode()
        html = self.renderer.render_html(template, context)
        return html.encode() if fmt == "html" else html_to_pdf(html)

    def next_wakeup(self, *, outbox: bool = False) -> datetime | None:
        """When the scheduler next has work: the earliest pending timer or series period (and,
        with ``outbox``, the next message to deliver or retry)."""
        with self._tx() as repo:
            return repo.next_wakeup(outbox=outbox)

    # --- queries ---------------------------------------------------------------------------
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
        """
        if by not in ("lead_unit", "assignee", "workflow"):
            raise PayloadError("by", "expected lead_unit, assignee or workflow")
        if against not in ("current", "original"):
            raise PayloadError("against", "expected current or original")
        today = local_date(self.clock.now())
        pairs: list[tuple[str, Status]] = []
        for d in self.directives(workflow=workflow, parent_id=parent_id):
            due = d.original_due if against == "original" else d.due
            completed_on = _completed_on(d.done_at, cancelled=d.outcome == "cancelled")
            st = progress_status(
                due,
                today,
                completed_on=completed_on,
                cancelled=d.outcome == "cancelled",
                due_soon_days=self.due_soon_days,
                calendar=self.calendar,
            )
            pairs.append((str(getattr(d, by) or "(chưa xác định)"), st))
        return grid(pairs)

    def outbox(
        self,
        *,
        status: str | None = None,
        directive_id: int | None = None,
        limit: int | None = None,
    ) -> list[OutboxMessage]:
        """Notifications in the outbox, oldest first."""
        with self._tx() as repo:
            stmt = sa.select(OutboxRow).order_by(OutboxRow.id)
            if status is not None:
                stmt = stmt.where(OutboxRow.status == status)
            if directive_id is not None:
                stmt = stmt.where(OutboxRow.directive_id == directive_id)
            if limit is not None:
                stmt = stmt.limit(limit)
            return [_outbox_record(o) for o in repo.s.scalars(stmt)]

    def claim_message(
        self, worker: str, lease: timedelta = timedelta(minutes=5)
    ) -> OutboxMessage | None:
        """Claim the oldest deliverable message (pending and due, or a claim whose lease
        expired) for ``worker``: it becomes ``sending`` until ``lease`` from now. Committed."""
        now = self.clock.now()
        with self._tx() as repo:
            row = repo.next_deliverable(now)
            if row is None:
                return None
            row.status = "sending"
            row.claimed_by = worker
            row.claimed_until = now + lease
            row.attempts += 1
            repo.s.flush()
            return _outbox_record(row)

    def mark_sent(self, message_id: int, worker: str, sink: str) -> bool:
        """Record a confirmed delivery (False when the claim was lost to another worker)."""
        now = self.clock.now()
        with self._tx() as repo:
            return repo.finish_message(message_id, worker, status="sent", sent_at=now, sink=sink)

    def mark_failed(
        self,
        message_id: int,
        worker: str,
        error: str,
        *,
        retryable: bool,
        max_attempts: int,
        retry_in: timedelta,
    ) -> str:
        """Record a failed attempt: back to ``pending`` (retry after ``retry_in``) or, when
        permanent or out of attempts, ``failed``. Returns the new status."""
        now = self.clock.now()
        with self._tx() as repo:
            row = repo.s.get(OutboxRow, message_id)
            if row is None or row.status != "sending" or row.claimed_by != worker:
                return row.status if row is not None else "missing"
            row.last_error = error[:2000]
            row.claimed_by = None
            row.claimed_until = None
            if retryable and row.attempts < max_attempts:
                row.status = "pending"
                row.next_attempt_at = now + retry_in
            else:
                row.status = "failed"
            return row.status

    def outbox_count(self, status: str = "pending") -> int:
        with self._tx() as repo:
            return int(
                repo.s.scalar(sa.select(sa.func.count()).where(OutboxRow.status == status)) or 0
            )

    def timers(self, directive_id: int) -> list[dict[str, Any]]:
        """The directive's timers (pending, fired, cancelled), for inspection."""
        with self._tx() as repo:
            return [
                {
                    "id": t.id,
                    "timer": t.timer,
                    "state": t.state,
                    "due_at": t.due_at,
                    "repeat": t.repeat_index,
                    "status": t.status,
                    "fired_at": t.fired_at,
                }
                for t in repo.timers(directive_id)
            ]

    def history(self, directive_id: int) -> list[AuditEvent]:
        """The directive's audit trail, oldest first."""
        with self._tx() as repo:
            if repo.load_directive(directive_id) is None:
                raise NotFound("directive", directive_id)
            return [_event_record(e) for e in repo.events(directive_id)]

    def allowed_triggers(self, directive_id: int, actor: Actor) -> list[str]:
        """Triggers ``actor`` could fire on the directive now (roles and state; not guards)."""
        with self._tx() as repo:
            row = repo.load_directive(directive_id)
            if row is None:
                raise NotFound("directive", directive_id)
            compiled = self._compiled(repo, row.workflow, row.workflow_version)
            return compiled.allowed_triggers(row.state, self._roles_on(actor, row))

    def verify_audit(self, directive_ids: Iterable[int] | None = None) -> AuditReport:
        """Recompute the hash chains of the given directives (all when None)."""
        breaks: list[str] = []
        n_events = 0
        with self._tx() as repo:
            ids = (
                list(directive_ids)
                if directive_ids is not None
                else repo.directive_ids_with_events()
            )
            for did in ids:
                events = repo.events(did)
                n_events += len(events)
                rows = [
                    {
                        "seq": e.seq,
                        "at": e.at,
                        "actor": e.actor,
                        "role": e.role,
                        "kind": e.kind,
                        "trigger": e.trigger,
                        "from_state": e.from_state,
                        "to_state": e.to_state,
                        "payload": e.payload,
                        "prev_hash": e.prev_hash,
                        "hash": e.hash,
                    }
                    for e in events
                ]
                breaks.extend(str(b) for b in verify_chain(did, rows))
                head = repo.load_directive(did)
                last_hash = rows[-1]["hash"] if rows else ""
                if head is not None and (head.event_seq, head.event_hash) != (
                    len(rows) and rows[-1]["seq"],
                    last_hash,
                ):
                    breaks.append(
                        f"directive {did}: its chain head is event #{head.event_seq} but the trail ends "
                        f"at #{rows[-1]['seq'] if rows else 0} (events removed or added behind dondoc's back)"
                    )
        return AuditReport(len(ids), n_events, tuple(breaks))


def _timer(
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


def _completed_on(done_at: datetime | None, *, cancelled: bool) -> date | None:
    """The local day the work was done (None when not done, or cancelled)."""
    return None if done_at is None or cancelled else local_date(done_at)


def period_trigger(rec: Recurrence) -> CronTrigger:
    """APScheduler cron trigger for the start of each period of ``rec``, in Vietnam time."""
    fields: dict[str, str] = {
        "weekly": {"day_of_week": "mon"},
        "monthly": {"day": "1"},
        "quarterly": {"month": "1,4,7,10", "day": "1"},
        "semiannual": {"month": "1,7", "day": "1"},
        "yearly": {"month": "1", "day": "1"},
    }[rec.freq]
    return CronTrigger(hour=0, minute=0, second=0, timezone=VN_TZ, **fields)


def _read_recurrence(text: str, today: date, calendar: WorkingCalendar) -> Recurrence:
    try:
        return Recurrence.parse(text)
    except ValueError:
        pass
    parsed = parse_deadline(text, today, calendar=calendar)
    if parsed.recurrence is None:
        raise PayloadError(
            "recurrence", f"{text!r} does not repeat; e.g. 'trước ngày 20 hàng tháng'"
        )
    return parsed.recurrence


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _outbox_record(o: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=o.id,
        idempotency_key=o.idempotency_key,
        directive_id=o.directive_id,
        template=o.template,
        recipient=o.recipient,
        recipient_role=o.recipient_role,
        subject=o.subject,
        body=o.body,
        status=o.status,
        attempts=o.attempts,
        created_at=o.created_at,
        sent_at=o.sent_at,
        last_error=o.last_error,
        sink=o.sink,
    )


def _event_record(e: EventRow) -> AuditEvent:
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
    )
