"""A worker's vital signs: its heartbeat in the database (``workers`` table) and, when metrics
are on, its counters. :class:`~dondoc.worker.Worker` calls it as it sweeps; a failure to record
is logged and never stops the sweep (the work matters more than the report of it)."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ..clock import Clock
from ..store import health as store
from . import dondoc_version
from .health import forget_old_workers

log = logging.getLogger("dondoc.worker")


class SweepMetrics(Protocol):
    """What the worker's metrics record (see :class:`dondoc.ops.metrics.Metrics`)."""

    def timer_fired(self, lag_seconds: float) -> None: ...
    def timer_failed(self) -> None: ...
    def series_created(self, n: int) -> None: ...
    def delivered(self, sent: int, retried: int, dead: int, logged: int = 0) -> None: ...


class WorkerMonitor:
    """Heartbeat and metrics of one worker (one per :class:`~dondoc.worker.Worker`)."""

    def __init__(
        self,
        db: sa.Engine,
        clock: Clock,
        name: str,
        interval: float,
        *,
        heartbeat: bool = True,
        metrics: SweepMetrics | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.name = name
        self.interval = interval
        self.heartbeat = heartbeat
        self.metrics = metrics
        self.started_at: datetime | None = None
        self.last_seen: datetime | None = None
        self.last_sweep_at: datetime | None = None
        self.timers_fired = self.series_created = self.messages_sent = self.errors = 0

    # --- what the worker reports -----------------------------------------------------------
    def fired(self, due_at: datetime | None) -> None:
        """A timer fired now (due at ``due_at``); beats if a long sweep has been silent."""
        now = self.clock.now()
        self.timers_fired += 1
        if self.metrics is not None:
            self.metrics.timer_fired((now - due_at).total_seconds() if due_at else 0.0)
        if self.last_seen is not None and now - self.last_seen >= timedelta(seconds=self.interval):
            self.beat(now)

    def failed(self) -> None:
        self.errors += 1
        if self.metrics is not None:
            self.metrics.timer_failed()

    def created(self, n: int = 1) -> None:
        self.series_created += n
        if self.metrics is not None:
            self.metrics.series_created(n)

    def swept(self, *, sent: int = 0, retried: int = 0, dead: int = 0, logged: int = 0) -> None:
        """A sweep ended (with its delivery results): beat."""
        self.messages_sent += sent
        if self.metrics is not None and (sent or retried or dead or logged):
            self.metrics.delivered(sent, retried, dead, logged)
        now = self.clock.now()
        self.last_sweep_at = now
        self.beat(now)

    def stopped(self) -> None:
        """The worker stops cleanly: say so, so that status does not wait for it."""
        if not self.heartbeat or self.started_at is None:
            return
        try:
            with self.db.begin() as conn:
                store.mark_stopped(conn, self.name, self.clock.now())
        except sa_exc.SQLAlchemyError as exc:
            log.warning("could not record that worker %s stopped: %s", self.name, exc)

    # --- the heartbeat ----------------------------------------------------------------------
    def beat(self, now: datetime | None = None) -> None:
        if not self.heartbeat:
            return
        now = now or self.clock.now()
        first = self.started_at is None
        if self.started_at is None:
            self.started_at = now
        beat = store.WorkerBeat(
            name=self.name,
            host=socket.gethostname()[:255],
            pid=os.getpid(),
            version=dondoc_version(),
            interval=self.interval,
            started_at=self.started_at,
            last_seen=now,
            last_sweep_at=self.last_sweep_at,
            timers_fired=self.timers_fired,
            series_created=self.series_created,
            messages_sent=self.messages_sent,
            errors=self.errors,
        )
        try:
            if first:
                forget_old_workers(self.db, now)
            with self.db.begin() as conn:
                store.record_heartbeat(conn, beat)
        except sa_exc.SQLAlchemyError as exc:
            log.warning("could not record the heartbeat of worker %s: %s", self.name, exc)
            return
        self.last_seen = now
