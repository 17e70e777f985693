"""Is dondoc alive? Readiness (database reachable, schema current, workflows loaded) and the
scheduler's state (workers' heartbeats, due work not done), each problem as one Vietnamese line
for the people who run it: ``dondoc status``, ``/readyz`` and the dashboard's banner share them.

Work on an SQLAlchemy engine rather than an :class:`~dondoc.Engine`: an Engine refuses to start
on an old schema or without a database, which is exactly what these checks must report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ..clock import VN_TZ
from ..core.machine import WorkflowRegistry
from ..store import health as store
from ..store.health import Backlog, WorkerBeat
from ..store.schema import current_revision, head_revision

#: A worker silent for longer than this many of its sweep intervals is taken for dead.
STALE_FACTOR = 2
#: Due work older than this is reported as lag (a healthy worker fires within seconds).
DEFAULT_MAX_LAG = timedelta(minutes=5)
#: A worker's row is deleted once it has not been seen for this long (old restarts).
FORGET_AFTER = timedelta(days=30)

UPGRADE_HINT = "chạy: dondoc db upgrade --db URL"


@dataclass(frozen=True)
class Readiness:
    """Whether a process can serve: ``problems`` is empty when it can."""

    problems: tuple[str, ...]
    revision: str | None
    head: str
    workflows: int

    @property
    def ok(self) -> bool:
        return not self.problems


def missing_sqlite_file(url: str) -> str | None:
    """The problem with an SQLite URL whose file does not exist (opening it would create an
    empty database: a mistyped ``--db`` must be reported, not made)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    if Path(parsed.database).exists():
        return None
    return f"Không có tệp cơ sở dữ liệu {parsed.database} (sai --db?)"


def readiness(db: sa.Engine, workflows: WorkflowRegistry | None) -> Readiness:
    """Connect to ``db`` (one short query), compare its schema revision with the one this dondoc
    needs, and count the loaded workflows. Never raises for a database fault: it reports it."""
    problems: list[str] = []
    head = head_revision()
    current: str | None = None
    try:
        current = current_revision(db)
    except sa_exc.SQLAlchemyError as exc:
        problems.append(f"Không kết nối được cơ sở dữ liệu {_url(db)}: {reason(exc)}")
    else:
        if current is None:
            problems.append(f"Cơ sở dữ liệu {_url(db)} chưa có lược đồ dondoc; {UPGRADE_HINT}")
        elif current != head:
            if current.isdigit() and head.isdigit() and int(current) > int(head):
                problems.append(
                    f"Lược đồ cơ sở dữ liệu ở phiên bản {current}, mới hơn phiên bản {head} mà "
                    "dondoc này dùng: hãy cài bản dondoc mới hơn"
                )
            else:
                problems.append(
                    f"Lược đồ cơ sở dữ liệu ở phiên bản {current}, dondoc này cần {head}; "
                    f"{UPGRADE_HINT}"
                )
    count = len(workflows) if workflows is not None else 0
    if not count:
        problems.append("Chưa nạp được quy trình (workflow) nào")
    return Readiness(tuple(problems), current, head, count)


@dataclass(frozen=True)
class WorkerState:
    """A worker's last heartbeat and what it means at ``now``."""

    beat: WorkerBeat
    state: Literal["alive", "silent", "stopped"]
    silent_for: float  # seconds since its last heartbeat


@dataclass(frozen=True)
class SchedulerStatus:
    """The workers and the backlog at ``now``; ``problems`` is empty when reminders run."""

    now: datetime
    workers: tuple[WorkerState, ...]
    backlog: Backlog
    problems: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def alive(self) -> tuple[WorkerState, ...]:
        return tuple(w for w in self.workers if w.state == "alive")


def worker_state(beat: WorkerBeat, now: datetime) -> WorkerState:
    silent = max(0.0, (now - beat.last_seen).total_seconds())
    if beat.stopped_at is not None:
        return WorkerState(beat, "stopped", silent)
    alive = silent <= STALE_FACTOR * beat.interval
    return WorkerState(beat, "alive" if alive else "silent", silent)


def scheduler_status(
    db: sa.Engine, now: datetime, *, max_lag: timedelta = DEFAULT_MAX_LAG
) -> SchedulerStatus:
    """Read the heartbeats and the backlog (a few indexed queries) and judge them at ``now``.

    Problems: no worker alive (none seen within ``STALE_FACTOR`` × its interval); a due timer
    not fired for longer than ``max_lag``; a due message not tried for longer than ``max_lag``.
    Raises SQLAlchemy's errors (check :func:`readiness` first)."""
    with db.connect() as conn:
        beats = store.workers(conn)
        due = store.backlog(conn, now)
    workers = tuple(worker_state(b, now) for b in beats)
    problems: list[str] = []
    notes: list[str] = []
    if not any(w.state == "alive" for w in workers):
        problems.append(_no_worker(workers))
    limit = max_lag.total_seconds()
    if due.timers_due and due.timer_lag > limit:
        assert due.oldest_timer_due is not None
        problems.append(
            f"Nhắc việc bị trễ: {due.timers_due} hẹn giờ đã đến hạn mà chưa chạy, lâu nhất từ "
            f"{local_time(due.oldest_timer_due)} (trễ {duration(due.timer_lag)})"
        )
    if due.messages_due and due.outbox_lag > limit:
        assert due.oldest_message_due is not None
        problems.append(
            f"Thông báo bị trễ: {due.messages_due} thông báo đã đến lượt gửi mà chưa gửi, lâu "
            f"nhất từ {local_time(due.oldest_message_due)} (trễ {duration(due.outbox_lag)})"
        )
    if due.timers_failing:
        notes.append(
            f"{due.timers_failing} hẹn giờ bị lỗi khi chạy và đang chờ chạy lại (xem nhật ký worker)"
        )
    if due.messages_dead:
        notes.append(
            f"{due.messages_dead} thông báo gửi thất bại hẳn (xem: dondoc outbox --status failed)"
        )
    return SchedulerStatus(now, workers, due, tuple(problems), tuple(notes))


def _no_worker(workers: tuple[WorkerState, ...]) -> str:
    if not workers:
        return (
            "Chưa có worker nào chạy với cơ sở dữ liệu này: nhắc việc, chuyển quá hạn và việc "
            "định kỳ sẽ không diễn ra; chạy: dondoc worker --db URL"
        )
    last = workers[0]  # the most recently seen
    b = last.beat
    if last.state == "stopped":
        assert b.stopped_at is not None
        return (
            f"Không có worker nào đang chạy: worker {b.name} (máy {b.host}) đã dừng lúc "
            f"{local_time(b.stopped_at)}; chạy: dondoc worker --db URL"
        )
    return (
        f"Không có worker nào đang chạy: worker {b.name} (máy {b.host}) im lặng từ "
        f"{local_time(b.last_seen)} ({duration(last.silent_for)}, quá {STALE_FACTOR} × "
        f"{duration(b.interval)} giữa hai lần quét)"
    )


def describe(w: WorkerState) -> str:
    """One line about a worker, for ``dondoc status``."""
    b = w.beat
    state = {"alive": "đang chạy", "silent": "im lặng", "stopped": "đã dừng"}[w.state]
    return (
        f"{b.name} (máy {b.host}, pid {b.pid}, dondoc {b.version}): {state}; lần cuối "
        f"{local_time(b.last_seen)}; đã chạy {b.timers_fired} hẹn giờ, tạo {b.series_created} "
        f"việc định kỳ, gửi {b.messages_sent} thông báo từ {local_time(b.started_at)}"
    )


def local_time(at: datetime) -> str:
    """dd/mm/yyyy HH:MM in Vietnam."""
    return at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def duration(seconds: float) -> str:
    """'2 ngày 3 giờ', '5 giờ 12 phút', '45 phút', '30 giây': the two largest units."""
    s = round(seconds)
    parts = []
    for size, unit in ((86400, "ngày"), (3600, "giờ"), (60, "phút"), (1, "giây")):
        n, s = divmod(s, size)
        if n:
            parts.append(f"{n} {unit}")
    return " ".join(parts[:2]) if parts else "0 giây"


def reason(exc: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's advice links."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _url(db: sa.Engine) -> str:
    return db.url.render_as_string(hide_password=True)


def forget_old_workers(db: sa.Engine, now: datetime) -> int:
    """Delete heartbeats not seen for :data:`FORGET_AFTER` (a worker restarted under a new
    name leaves its old row behind)."""
    with db.begin() as conn:
        return store.forget_workers(conn, now - FORGET_AFTER)
