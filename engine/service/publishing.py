"""Publishing a workflow version from the dashboard or the command line (issue 22, item 5).

An administrator's definition (YAML text) is checked by the validator ``dondoc validate`` uses,
stored in ``workflow_versions`` with who published it and when, and recorded in the
hash-chained log of administrators' actions (``admin_events``) — one transaction. Every
engine opened on the database later (server, worker, command line) loads the published
versions beside the bundled ones; the publishing engine uses it at once. New directives take
the latest version; existing ones keep theirs (``dondoc instances migrate`` moves them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..core.actors import Actor
from ..core.limits import MAX_YAML_BYTES
from ..core.machine import CompiledWorkflow
from ..core.movespec import referenced_workflows
from ..core.permissions import Permission, require
from ..core.spec import LoadedWorkflow, parse_workflow
from ..core.yamlsource import load_yaml
from ..errors import ConflictError, Problem, WorkflowError
from ..store.tables import AdminEventRow, WorkflowVersionRow
from .base import EngineBase, _spec_digest
from .chain import GENESIS, event_hash

#: The ``path`` a published version is stored under (shown in error messages).
PUBLISHED_PATH = "published:{workflow}.v{version}.yaml"


@dataclass(frozen=True)
class PublishedWorkflow:
    """A workflow version an administrator published."""

    workflow: str
    version: int
    title: str
    published_by: str
    published_at: datetime


@dataclass(frozen=True)
class AdminEvent:
    """One administrator's action outside any directive (hash-chained)."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    hash: str


class Publishing(EngineBase):
    """Workflow versions published by administrators, and their log."""

    def check_workflow(self, text: str, path: str = "workflow.yaml") -> LoadedWorkflow:
        """Validate a definition as ``dondoc validate`` does (schema, semantics, templates its
        timers name, workflows its moves name). Raises :class:`WorkflowError` with every
        problem at its line and column."""
        if len(text.encode("utf-8")) > MAX_YAML_BYTES:
            raise WorkflowError([Problem(path, 1, 1, f"quá lớn: tối đa {MAX_YAML_BYTES} byte")])
        lw = parse_workflow(text, path, templates=self.renderer.template_ids())
        known = {c.spec.workflow for c in self.workflows} | {lw.spec.workflow}
        problems = []
        for at, name in referenced_workflows(lw.spec.moves):
            if name not in known:
                source = load_yaml(lw.text, lw.path)[1]
                problems.append(source.problem(at, f"unknown workflow {name!r}"))
        if problems:
            raise WorkflowError(problems)
        return lw

    def publish_workflow(
        self, actor: Actor, text: str, *, path: str = "workflow.yaml"
    ) -> PublishedWorkflow:
        """Store the definition ``text`` as a new workflow version (administrators only).

        Raises :class:`PermissionDenied` without the admin permission, :class:`WorkflowError`
        (every problem at its line) for an invalid definition or a version that is not newer
        than every stored version of that workflow, :class:`ConflictError` when another
        administrator published the same version first."""
        require(actor, Permission.ADMIN, "publish_workflow")
        lw = self.check_workflow(text, path)
        wf, ver = lw.spec.key
        now = self.clock.now()
        with self._tx() as repo:
            w = WorkflowVersionRow
            stored = repo.s.scalar(sa.select(sa.func.max(w.version)).where(w.workflow == wf))
            loaded = max(
                (c.spec.version for c in self.workflows if c.spec.workflow == wf), default=0
            )
            latest = max(stored or 0, loaded)
            if ver <= latest:
                line = _version_line(text)
                raise WorkflowError(
                    [
                        Problem(
                            path,
                            line,
                            1,
                            f"quy trình {wf!r} đã có phiên bản {latest}; "
                            f"đặt version: {latest + 1} (hoặc lớn hơn) để công bố phiên bản mới",
                        )
                    ]
                )
            path = PUBLISHED_PATH.format(workflow=wf, version=ver)
            compiled = CompiledWorkflow(LoadedWorkflow(lw.spec, path, lw.text))
            repo.s.add(
                WorkflowVersionRow(
                    workflow=wf,
                    version=ver,
                    title=lw.spec.title,
                    digest=_spec_digest(compiled),
                    source=lw.text,
                    path=path,
                    registered_at=now,
                    published_by=actor.id,
                    published_at=now,
                )
            )
            self._admin_event(
                repo.s,
                actor.id,
                "publish_workflow",
                f"{wf} v{ver}",
                {
                    "workflow": wf,
                    "version": ver,
                    "title": lw.spec.title,
                    "digest": _spec_digest(compiled),
                },
                now,
            )
            try:
                repo.s.flush()
            except IntegrityError:
                raise ConflictError(
                    0, f"quy trình {wf} phiên bản {ver} vừa được công bố bởi người khác"
                ) from None
        self.workflows.add(compiled.loaded)
        return PublishedWorkflow(wf, ver, lw.spec.title, actor.id, now)

    def published_workflows(self) -> list[PublishedWorkflow]:
        """Every version an administrator published, oldest first."""
        w = WorkflowVersionRow
        with self._tx() as repo:
            rows = repo.s.scalars(
                sa.select(w).where(w.published_by.is_not(None)).order_by(w.published_at)
            )
            return [
                PublishedWorkflow(
                    r.workflow,
                    r.version,
                    r.title,
                    r.published_by or "",
                    r.published_at or r.registered_at,
                )
                for r in rows
            ]

    def admin_events(self) -> list[AdminEvent]:
        """The administrators' log, oldest first."""
        with self._tx() as repo:
            return read_admin_events(repo.s)

    def verify_admin_events(self) -> list[str]:
        """Problems in the administrators' log (a broken chain, an edited row); [] when intact.
        ``verify_audit`` (a full run) checks it too."""
        return admin_chain_problems(self.admin_events())

    @staticmethod
    def _admin_event(
        session: Any,
        actor: str,
        action: str,
        subject: str,
        payload: dict[str, Any],
        at: datetime,
    ) -> None:
        last = session.execute(
            sa.select(AdminEventRow.seq, AdminEventRow.hash)
            .order_by(AdminEventRow.seq.desc())
            .limit(1)
        ).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        session.add(
            AdminEventRow(
                seq=seq,
                at=at,
                actor=actor,
                action=action,
                subject=subject,
                payload=payload,
                prev_hash=prev,
                hash=_admin_hash(prev, seq, at, actor, action, subject, payload),
            )
        )


def read_admin_events(session: Any) -> list[AdminEvent]:
    rows = session.scalars(sa.select(AdminEventRow).order_by(AdminEventRow.seq))
    return [
        AdminEvent(r.seq, r.at, r.actor, r.action, r.subject, dict(r.payload), r.hash) for r in rows
    ]


def admin_chain_problems(events: list[AdminEvent]) -> list[str]:
    """Each event must follow the previous one (seq 1, 2, …) and hash to its stored hash."""
    problems: list[str] = []
    prev = GENESIS
    for n, e in enumerate(events, 1):
        expected = _admin_hash(prev, e.seq, e.at, e.actor, e.action, e.subject, e.payload)
        if e.seq != n or e.hash != expected:
            problems.append(f"nhật ký quản trị, sự kiện #{e.seq}: không khớp với chuỗi băm")
        prev = e.hash
    return problems


def _admin_hash(
    prev: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any],
) -> str:
    """The same hash as a directive's event, on directive 0 with kind ``admin``."""
    return event_hash(
        prev_hash=prev,
        directive_id=0,
        seq=seq,
        at=at,
        actor=actor,
        role="admin",
        kind="admin",
        trigger=action,
        from_state=None,
        to_state=subject,
        payload=payload,
    )


def _version_line(text: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith("version:"):
            return i
    return 1
