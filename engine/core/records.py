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
    kind: str = "directive"  # directive | delegated (a sub-directive) | contribution
    original_assignee: str | None = None  # whom it was first addressed to (before moves)
    original_lead_unit: str | None = None

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
    request_id: str | None = None  # the request that wrote it (correlation, outside the hash)


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

    @property
    def status_label(self) -> str:
        """The status as a clerk reads it (``logged``: only recorded, nobody told yet)."""
        return OUTBOX_STATUS_LABELS.get(self.status, self.status)


#: What each outbox status means to a clerk.
OUTBOX_STATUS_LABELS = {
    "pending": "chờ gửi",
    "sending": "đang gửi",
    "sent": "đã gửi",
    "logged": "đã ghi nhật ký",
    "failed": "gửi lỗi",
}


@dataclass(frozen=True)
class RollUp:
    """A parent directive's sub-directives in one look (giao việc tiếp, đơn vị phối hợp).

    ``progress`` is what the parent's progress rolls up to: the mean over delegated
    sub-directives not cancelled, each counting 100 once its work is done (None without any).
    ``missing`` lists the cooperating units whose contribution is not done yet.
    """

    delegated: int
    open: int
    done: int
    cancelled: int
    overdue: int
    progress: int | None
    contributions: int
    contributed: int
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    """A request for an explanation (yêu cầu giải trình), its answer and its assessment.

    ``cause`` is what the answer claims (objective/subjective); ``verdict`` what the assessor
    found; ``new_due`` the extension granted with the assessment, if any."""

    id: int
    directive_id: int
    status: str
    requested_at: datetime
    requested_by: str
    request_note: str | None
    answer_due: date
    owed_by: str | None
    answered_at: datetime | None = None
    answered_by: str | None = None
    reason: str | None = None
    cause: str | None = None
    proposed_due: date | None = None
    assessed_at: datetime | None = None
    assessed_by: str | None = None
    verdict: str | None = None
    new_due: date | None = None
    assessment_note: str | None = None


@dataclass(frozen=True)
class UnitInvolvement:
    """What one unit leads and what it cooperates on (per the status grid's 'overdue')."""

    unit: str
    leads: int
    leads_open: int
    leads_overdue: int
    cooperates: int
    contributions_done: int
    contributions_open: int
    contributions_overdue: int
