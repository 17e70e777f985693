"""The read models the Engine returns: plain frozen dataclasses, detached from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Directive:
    """One directive (nhiệm vụ) as it stands now."""

    id: int
    workflow: str
    workflow_version: int
    title: str
    content: str
    state: str
    state_label: str
    is_open: bool
    outcome: str | None
    progress: int
    lead_unit: str | None
    cooperating_units: tuple[str, ...]
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
    data: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    done_at: datetime | None = None
    status: str = "no_deadline"
    status_label: str = ""
    days_late: int = 0

    @property
    def extended(self) -> bool:
        """True when an extension (gia hạn) moved the due date."""
        return self.original_due is not None and self.original_due != self.due


@dataclass(frozen=True)
class AuditEvent:
    """One entry of a directive's append-only, hash-chained history."""

    directive_id: int
    seq: int
    at: datetime
    actor: str
    role: str | None
    kind: str
    trigger: str | None
    from_state: str | None
    to_state: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = ""
    hash: str = ""


@dataclass(frozen=True)
class AuditReport:
    """Result of re-computing hash chains."""

    directives_checked: int
    events_checked: int
    breaks: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.breaks


@dataclass(frozen=True)
class OutboxMessage:
    """A notification waiting in (or delivered from) the outbox."""

    id: int
    idempotency_key: str
    directive_id: int | None
    template: str
    recipient: str
    recipient_role: str | None
    subject: str
    body: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None = None
    sink: str | None = None
