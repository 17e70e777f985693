"""What operating dondoc reads and writes besides directives: worker heartbeats and the backlog
(due work nobody has done yet). Core SQL on a connection; every instant is passed in (bound
values, never the database's clock), so tests can freeze time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from .tables import OutboxRow, SettingRow, TimerRow, WorkerRow

_W: sa.Table = WorkerRow.__table__  # type: ignore[assignment]
_T: sa.Table = TimerRow.__table__  # type: ignore[assignment]
_O: sa.Table = OutboxRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class WorkerBeat:
    """One worker's heartbeat, as stored (see :class:`~dondoc.store.tables.WorkerRow`)."""

    name: str
    host: str
    pid: int
    version: str
    interval: float
    started_at: datetime
    last_seen: datetime
    last_sweep_at: datetime | None = None
    timers_fired: int = 0
    series_created: int = 0
    messages_sent: int = 0
    errors: int = 0
    stopped_at: datetime | None = None


@dataclass(frozen=True)
class Backlog:
    """Due work not done yet, at ``now``: timers whose instant has passed and are still
    pending, and messages waiting for a delivery attempt that is due."""

    now: datetime
    oldest_timer_due: datetime | None = None
    timers_due: int = 0
    timers_failing: int = 0  # pending timers that failed at least once (retried later)
    oldest_message_due: datetime | None = None
    messages_due: int = 0
    messages_dead: int = 0  # failed for good

    @property
    def timer_lag(self) -> float:
        """Seconds since the oldest due timer should have fired (0 when none is due)."""
        return _seconds(self.now, self.oldest_timer_due)

    @property
    def outbox_lag(self) -> float:
        """Seconds since the oldest due message should have been tried (0 when none)."""
        return _seconds(self.now, self.oldest_message_due)


def _seconds(now: datetime, since: datetime | None) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


def record_heartbeat(conn: sa.Connection, beat: WorkerBeat) -> None:
    """Write ``beat`` over the worker's row (created on its first beat)."""
    values: dict[str, Any] = {
        k: getattr(beat, k) for k in (c.name for c in _W.columns) if k != "name"
    }
    done = conn.execute(_W.update().where(_W.c.name == beat.name).values(values)).rowcount
    if not done:
        conn.execute(_W.insert().values(name=beat.name, **values))


def mark_stopped(conn: sa.Connection, name: str, at: datetime) -> None:
    """The worker stopped cleanly (it is not expected to beat any more)."""
    conn.execute(_W.update().where(_W.c.name == name).values(stopped_at=at, last_seen=at))


def forget_workers(conn: sa.Connection, seen_before: datetime) -> int:
    """Delete the rows of workers not seen since ``seen_before`` (old restarts); returns how many."""
    return int(conn.execute(_W.delete().where(_W.c.last_seen < seen_before)).rowcount or 0)


def workers(conn: sa.Connection) -> list[WorkerBeat]:
    """Every worker's last heartbeat, the most recently seen first."""
    rows = conn.execute(sa.select(_W).order_by(_W.c.last_seen.desc(), _W.c.name)).mappings()
    return [_beat(r) for r in rows]


def _beat(row: sa.RowMapping) -> WorkerBeat:
    return WorkerBeat(**{k: row[k] for k in WorkerBeat.__dataclass_fields__})


def backlog(conn: sa.Connection, now: datetime) -> Backlog:
    """The due work not done at ``now`` (indexed queries: timers by (status, due_at), the
    outbox by (status, next_attempt_at))."""
    timers = conn.execute(
        sa.select(sa.func.min(_T.c.due_at), sa.func.count()).where(
            _T.c.status == "pending", _T.c.due_at <= now
        )
    ).one()
    failing = conn.execute(
        sa.select(sa.func.count()).where(_T.c.status == "pending", _T.c.attempts > 0)
    ).scalar_one()
    messages = conn.execute(
        sa.select(sa.func.min(_O.c.next_attempt_at), sa.func.count()).where(
            _O.c.status == "pending", _O.c.next_attempt_at <= now
        )
    ).one()
    dead = conn.execute(sa.select(sa.func.count()).where(_O.c.status == "failed")).scalar_one()
    return Backlog(
        now=now,
        oldest_timer_due=_aware(timers[0]),
        timers_due=int(timers[1]),
        timers_failing=int(failing),
        oldest_message_due=_aware(messages[0]),
        messages_due=int(messages[1]),
        messages_dead=int(dead),
    )


def _aware(value: datetime | None) -> datetime | None:
    """MIN() of a UTCDateTime column keeps the column's type (aware UTC); naive is UTC too."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def frozen_at(conn: sa.Connection) -> datetime | None:
    """The instant a demo database's clock stands at (``Engine.freeze_clock``), if any."""
    value = conn.execute(
        sa.select(SettingRow.value).where(SettingRow.key == "clock")
    ).scalar_one_or_none()
    at = (value or {}).get("frozen_at")
    return datetime.fromisoformat(str(at)) if at else None
