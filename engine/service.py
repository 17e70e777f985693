"""The Engine: dondoc's public Python API. Commands and queries, one transaction each.

A command loads the directive, works out the actor's roles on it, asks the compiled workflow
to decide the transition, appends a hash-chained audit event and commits — all or nothing.
If another command changed the directive in between, the version check on UPDATE fails and the
caller gets :class:`ConflictError`; nothing of the failed command is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from .actors import Actor, held_roles
from .audit import GENESIS, event_hash, verify_chain
from .calendar import DEFAULT_CALENDAR, WorkingCalendar
from .clock import Clock, SystemClock, local_date
from .deadlines import parse_deadline
from .errors import ConflictError, NotFound, PayloadError, Problem, WorkflowError
from .machine import CompiledWorkflow, WorkflowRegistry, load_workflows
from .records import AuditEvent, AuditReport, Directive
from .spec import parse_workflow
from .status import DEFAULT_DUE_SOON, GridRow, Status, days_late, grid, progress_status
from .store import (
    DirectiveRow,
    EventRow,
    Repository,
    WorkflowVersionRow,
    create_schema,
    make_engine,
    session_factory,
)

DEFAULT_DB = "sqlite:///dondoc.db"


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
        create: bool = True,
    ) -> None:
        self.db = make_engine(db) if isinstance(db, str) else db
        self.workflows = workflows if workflows is not None else load_workflows()
        self.clock: Clock = clock or SystemClock()
        self.calendar = calendar or DEFAULT_CALENDAR
        self.due_soon_days = due_soon_days
        self._sessions: sessionmaker[Session] = session_factory(self.db)
        if create:
            create_schema(self.db)
        self._register_workflows()

    # --- plumbing --------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[Repository]:
        """One transaction; any exception rolls everything back."""
        with self._sessions() as session, session.begin():
            yield Repository(session)

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

    def _compiled(self, repo: Repository, workflow: str, version: int) -> CompiledWorkflow:
        try:
            return self.workflows.get(workflow, version)
        except NotFound:
            # A version no longer among the files: the database keeps its source.
            row = repo.workflow_version(workflow, version)
            if row is None:
                raise
            return self.workflows.add(parse_workflow(row.source, f"{row.path} (stored)"))

    def _append_event(
        self,
        repo: Repository,
        row: DirectiveRow,
        *,
        actor: str,
        role: str | None,
        kind: str,
        trigger: str | None,
        from_state: str | None,
        to_state: str | None,
        payload: Mapping[str, Any],
        at: datetime,
    ) -> EventRow:
        last = repo.last_event(row.id)
        seq = 1 if last is None else last.seq + 1
        prev = GENESIS if last is None else last.hash
        fields: dict[str, Any] = {
            "seq": seq,
            "at": at,
            "actor": actor,
            "role": role,
            "kind": kind,
            "trigger": trigger,
            "from_state": from_state,
            "to_state": to_state,
            "payload": dict(payload),
        }
        ev = EventRow(
            directive_id=row.id,
            prev_hash=prev,
            hash=event_hash(prev_hash=prev, directive_id=row.id, **fields),
            **fields,
        )
        repo.s.add(ev)
        return ev

    def _to_record(self, repo: Repository, row: DirectiveRow) -> Directive:
        compiled = self._compiled(repo, row.workflow, row.workflow_version)
        st = compiled.spec.state(row.state)
        today = local_date(self.clock.now())
        completed_on = (
            local_date(row.closed_at)
            if row.closed_at is not None and st.final and st.outcome != "cancelled"
            else None
        )
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
            status=status.value,
            status_label=status.label,
            days_late=days_late(row.due, today, completed_on),
        )

    @staticmethod
    def _roles_on(actor: Actor, row: DirectiveRow) -> frozenset[str]:
        return held_roles(
            actor,
            assignee=row.assignee,
            assigner=row.assigner,
            reviewer=row.reviewer,
            lead_unit=row.lead_unit,
            cooperating_units=row.cooperating_units or (),
        )

    @staticmethod
    def _snapshot(row: DirectiveRow) -> dict[str, Any]:
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
        """
        if not new.title.strip():
            raise PayloadError("title", "must not be empty")
        now = self.clock.now()
        due, due_text, start, recurrence = new.due, new.due_text, new.start, new.recurrence
        if new.deadline is not None:
            parsed = parse_deadline(
                new.deadline, new.doc_date or local_date(now), calendar=self.calendar
            )
            due = due if due is not None else parsed.due
            start = start if start is not None else parsed.start
            recurrence = recurrence or (str(parsed.recurrence) if parsed.recurrence else None)
            due_text = due_text or new.deadline
        with self._tx() as repo:
            compiled = (
                self.workflows.get(workflow)
                if version is None
                else self._compiled(repo, workflow, version)
            )
            if new.parent_id is not None and repo.load_directive(new.parent_id) is None:
                raise NotFound("directive", new.parent_id)
            row = DirectiveRow(
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
                assigner=new.assigner or actor.id,
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
                data=dict(new.data or {}),
                created_at=now,
                updated_at=now,
                closed_at=None,
            )
            repo.s.add(row)
            repo.s.flush()
            self._append_event(
                repo,
                row,
                actor=actor.id,
                role=None,
                kind="created",
                trigger=None,
                from_state=None,
                to_state=row.state,
                payload=self._snapshot(row),
                at=now,
            )
            return self._to_record(repo, row)

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
            with self._tx() as repo:
                row = repo.load_directive(directive_id)
                if row is None:
                    raise NotFound("directive", directive_id)
                if expected_version is not None and row.version != expected_version:
                    raise ConflictError(
                        directive_id, f"expected version {expected_version}, found {row.version}"
                    )
                compiled = self._compiled(repo, row.workflow, row.workflow_version)
                decision = compiled.decide(
                    row.state,
                    trigger,
                    self._roles_on(actor, row),
                    payload,
                    data=row.data or {},
                    directive=self._snapshot(row) | {"progress": row.progress},
                    actor=actor.id,
                )
                now = self.clock.now()
                t = decision.transition
                row.state = decision.dest
                dest = compiled.spec.state(decision.dest)
                row.is_open = not dest.final
                row.closed_at = now if dest.final else None
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
                repo.s.flush()  # the version-checked UPDATE happens here
                self._append_event(
                    repo,
                    row,
                    actor=actor.id,
                    role=decision.role,
                    kind="transition",
                    trigger=trigger,
                    from_state=decision.source,
                    to_state=decision.dest,
                    payload=decision.payload,
                    at=now,
                )
                repo.s.flush()
                return self._to_record(repo, row)
        except StaleDataError:
            raise ConflictError(directive_id) from None
        except IntegrityError as exc:
            if "uq_events_directive_seq" in str(exc.orig) or "events.directive_id" in str(exc.orig):
                raise ConflictError(directive_id, "audit sequence taken") from None
            raise

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
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Directive]:
        """Directives matching every filter given, in creation order."""
        with self._tx() as repo:
            rows = repo.query_directives(
                workflow=workflow,
                state=state,
                unit=unit,
                assignee=assignee,
                parent_id=parent_id,
                open_only=open_only,
                doc_number=doc_number,
                limit=limit,
                offset=offset,
            )
            return [self._to_record(repo, r) for r in rows]

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
            completed_on = (
                local_date(d.closed_at) if d.closed_at and d.outcome == "completed" else None
            )
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
        return AuditReport(len(ids), n_events, tuple(breaks))


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
