"""The outbox as a queue: claim a message, record its delivery or failure."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ..core.records import OutboxMessage
from ..store.tables import (
    OutboxRow,
)
from .base import EngineBase


class OutboxQueue(EngineBase):
    """Delivery bookkeeping for the outbox."""

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

    def mark_sent(self, message_id: int, worker: str, sink: str, *, logged: bool = False) -> bool:
        """Record a confirmed delivery: ``sent``, or ``logged`` when the sink only recorded the
        message (the log, a file) and nobody was told. False when the claim was lost to
        another worker."""
        now = self.clock.now()
        status = "logged" if logged else "sent"
        with self._tx() as repo:
            return repo.finish_message(message_id, worker, status=status, sent_at=now, sink=sink)

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
