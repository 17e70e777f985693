"""The worker: finds what is due in the database and fires it through the Engine.

APScheduler (3.x) is only the alarm clock. Deadlines are rows of our ``timers`` table, written
in the same transaction as the state change that creates, moves or cancels them; recurring
series are rows of ``series``. A worker runs one APScheduler job that wakes at the next due
instant (plus a safety interval, which also notices work added by other processes), and each
wake-up runs :meth:`Worker.run_pending`: create due series instances, then fire due timers one
transaction each, in due order, until nothing is due. A worker that was down therefore catches
up on its first wake-up.

Tests and ``dondoc demo`` call :meth:`Worker.advance` with a :class:`~dondoc.clock.FakeClock`:
the same ``run_pending`` runs at every due instant between now and the target, no sleeping.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import TypeVar

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import exc as sa_exc

from .clock import VN_TZ, FakeClock
from .core.correlation import new_request_id, request_id
from .core.records import Directive
from .delivery.outbox import Deliverer, DeliveryReport
from .ops.monitor import SweepMetrics, WorkerMonitor
from .service.engine import Engine, FiredTimer, ReportRun

log = logging.getLogger("dondoc.worker")
T = TypeVar("T")


def retry_while_unavailable(
    fn: Callable[[], T],
    *,
    reconnect_for: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``fn``; when the database connection fails (a restart, a terminated backend, a
    network cut), wait with exponential back-off (0.2 s doubling to 10 s) and run it again,
    for up to ``reconnect_for`` seconds of waiting. Safe for dondoc's commands and start-up:
    each is one transaction (or idempotent), so a failed attempt left nothing behind."""
    delay, waited = 0.2, 0.0
    while True:
        try:
            return fn()
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
            if waited >= reconnect_for:
                raise
            log.warning(
                "database unavailable (%s); retrying in %.1f s",
                str(exc.orig).strip().splitlines()[0] if exc.orig else exc,
                delay,
            )
            sleep(delay)
            waited += delay
            delay = min(delay * 2, 10.0)


@dataclass
class SweepReport:
    """What one ``run_pending`` did."""

    fired: list[FiredTimer] = field(default_factory=list)
    created: list[Directive] = field(default_factory=list)
    errors: list[FiredTimer] = field(default_factory=list)
    reports: list[ReportRun] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    @property
    def count(self) -> int:
        return len(self.fired) + len(self.created)


Listener = Callable[[FiredTimer | Directive], None]


class Worker:
    """Fires due timers and creates due series instances for one Engine."""

    def __init__(
        self,
        engine: Engine,
        *,
        name: str | None = None,
        interval: float = 30.0,
        max_per_sweep: int | None = None,
        listener: Listener | None = None,
        deliverer: Deliverer | None = None,
        reconnect_for: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        heartbeat: bool = True,
        metrics: SweepMetrics | None = None,
    ) -> None:
        self.engine = engine
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.interval = interval
        self.max_per_sweep = max_per_sweep
        self.listener = listener
        self.deliverer = deliverer
        self.reconnect_for = reconnect_for
        self._sleep = sleep
        self._busy = threading.Lock()
        self._scheduler: BaseScheduler | None = None
        # Its heartbeat in the database (dondoc status) and its metrics: dondoc.ops.monitor.
        self.monitor = WorkerMonitor(
            engine.db, engine.clock, self.name, interval, heartbeat=heartbeat, metrics=metrics
        )

    # --- the sweep (the same in production, tests and the demo) ----------------------------
    def run_pending(self, should_stop: Callable[[], bool] = lambda: False) -> SweepReport:
        """Do everything due now (until ``should_stop()``); returns what was done. The sweep
        has its own request id: on its log lines and on the audit events it writes."""
        with request_id(new_request_id()):
            return self._sweep(should_stop)

    def _sweep(self, should_stop: Callable[[], bool]) -> SweepReport:
        report = SweepReport()
        while (created := self._retry(self.engine.run_next_series)) is not None:
            for d in created:
                report.created.append(d)
                self._emit(d)
        while (run := self._retry(self.engine.run_next_report)) is not None:
            report.reports.append(run)
            log.info("produced the report of %s (schedule %s)", run.period, run.schedule_id)
        while (
            self.max_per_sweep is None or len(report.fired) < self.max_per_sweep
        ) and not should_stop():
            result = self._retry(lambda: self.engine.fire_next_timer(worker=self.name))
            if result is None:
                break
            if result.error is not None:
                report.errors.append(result)
                self.monitor.failed()
                log.error("timer %s failed and will be retried: %s", result.timer_row, result.error)
                continue
            if not result.skipped:
                report.fired.append(result)
                self._emit(result)
        if self.deliverer is not None:
            deliverer = self.deliverer
            report.delivery = self._retry(deliverer.deliver_pending)
            for m in report.delivery.sent:
                log.info("delivered message %s to %s: %s", m.id, m.recipient, m.subject)
            for m in report.delivery.logged:
                log.info("logged message %s to %s (not sent): %s", m.id, m.recipient, m.subject)
            for m, why in report.delivery.retried:
                log.warning(
                    "message %s to %s not delivered, will retry: %s", m.id, m.recipient, why
                )
            for m, why in report.delivery.failed:
                log.error("message %s to %s failed for good: %s", m.id, m.recipient, why)
        self.monitor.swept(
            sent=len(report.delivery.sent),
            retried=len(report.delivery.retried),
            dead=len(report.delivery.failed),
            logged=len(report.delivery.logged),
        )
        return report

    def _retry(self, fn: Callable[[], T]) -> T:
        return retry_while_unavailable(fn, reconnect_for=self.reconnect_for, sleep=self._sleep)

    def _emit(self, item: FiredTimer | Directive) -> None:
        if isinstance(item, FiredTimer):
            log.info(
                "fired %s on directive %s%s%s",
                item.timer,
                item.directive_id,
                f" → notified {', '.join(item.notified)}" if item.notified else "",
                f" → {item.trigger}" if item.trigger else "",
            )
            self.monitor.fired(item.due_at)
        else:
            self.monitor.created()
            log.info("created directive %s of a recurring series (due %s)", item.id, item.due)
        if self.listener is not None:
            self.listener(item)

    def advance(self, clock: FakeClock, until: datetime) -> SweepReport:
        """Move a fake clock to ``until``, sweeping at every due instant on the way."""
        total = SweepReport()
        while True:
            nxt = self.engine.next_wakeup(outbox=self.deliverer is not None)
            if nxt is None or nxt > until:
                break
            if nxt > clock.now():
                clock.set(nxt)
            _merge(total, self.run_pending())
        if until > clock.now():
            clock.set(until)
        _merge(total, self.run_pending())
        return total

    # --- production: APScheduler as the alarm clock ----------------------------------------
    def _tick(self) -> None:
        if not self._busy.acquire(blocking=False):
            return  # the other job is sweeping already
        try:
            self.run_pending()
        except Exception:  # keep the worker alive; the next tick retries
            log.exception("sweep failed; retrying at the next tick")
        finally:
            self._busy.release()
        self._arm()

    def _arm(self) -> None:
        """Schedule the next wake-up at the next due instant (if sooner than the safety tick)."""
        if self._scheduler is None:
            return
        try:
            nxt = self.engine.next_wakeup(outbox=self.deliverer is not None)
        except Exception:
            log.exception("cannot read the next due time; relying on the safety interval")
            return
        if nxt is None:
            return
        now = self.engine.clock.now()
        if nxt - now > timedelta(seconds=self.interval):
            return
        self._scheduler.add_job(
            self._tick,
            "date",
            run_date=max(nxt, now),
            id="wake",
            replace_existing=True,
            misfire_grace_time=None,
        )

    def _install(self, scheduler: BaseScheduler, first_run: datetime | None = None) -> None:
        """The safety job: sweep every ``interval`` seconds (it also notices work that other
        processes added); ``_arm`` adds the wake-up at the next due instant."""
        self._scheduler = scheduler
        extra = {"next_run_time": first_run} if first_run is not None else {}
        scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.interval,
            id="safety",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            **extra,
        )

    def start_background(self) -> None:
        """Run in a background thread (for ``dondoc serve``): catch up now, then wake at each
        due instant and on the safety interval. Stop with :meth:`stop`."""
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone=VN_TZ)
        self._install(scheduler, first_run=self.engine.clock.now())
        scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
            self.monitor.stopped()

    def serve(self) -> None:
        """Run until SIGTERM/SIGINT: catch up at once, then wake at each due instant.

        The signal handlers are installed first, so a stop requested during the catch-up is
        honoured cleanly (the transaction in progress completes; nothing is cut in half).
        """
        stopping = threading.Event()
        scheduler = BlockingScheduler(timezone=VN_TZ)

        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("worker %s stopping (signal %d)", self.name, signum)
            stopping.set()
            if scheduler.running:
                scheduler.shutdown(wait=False)

        def started(_event: object) -> None:
            # a stop that came after the check below but before the scheduler ran (stop()
            # then had nothing to shut down): honoured here, or start() would block forever
            if stopping.is_set():
                scheduler.shutdown(wait=False)

        scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        missed = self.run_pending(should_stop=stopping.is_set)
        log.info(
            "worker %s started: caught up %d timer(s) and %d series instance(s) due while no worker ran",
            self.name,
            len(missed.fired),
            len(missed.created),
        )
        if not stopping.is_set():
            self._install(scheduler)
            self._arm()
            scheduler.start()
        self.monitor.stopped()
        log.info("worker %s stopped", self.name)


def _merge(into: SweepReport, other: SweepReport) -> None:
    into.fired.extend(other.fired)
    into.created.extend(other.created)
    into.errors.extend(other.errors)
    into.reports.extend(other.reports)
    into.delivery.sent.extend(other.delivery.sent)
    into.delivery.logged.extend(other.delivery.logged)
    into.delivery.retried.extend(other.delivery.retried)
    into.delivery.failed.extend(other.delivery.failed)
