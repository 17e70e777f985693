"""Prometheus metrics (``prometheus-client``): what the server exposes at ``/metrics`` and the
worker on ``--metrics-port``.

- ``dondoc_commands_total{kind, outcome}`` and ``dondoc_command_duration_seconds{kind}``: the
  Engine's commands (``fire``, ``create_directive``…), outcome ``ok`` or the error's code
  (``permission_denied``, ``invalid_transition``, ``conflict``…, ``error`` for a fault);
- ``dondoc_timers_fired_total``, ``dondoc_timer_failures_total`` and
  ``dondoc_timer_lag_seconds`` (firing time minus due time), ``dondoc_series_created_total``;
- ``dondoc_outbox_messages_total{result}``: ``sent``, ``logged`` (only recorded by the log or
  file sink: nobody was told), ``retry`` (a failed attempt, tried again later) and ``dead``
  (failed for good);
- ``dondoc_http_requests_total{method, route, status}`` and
  ``dondoc_http_request_duration_seconds{method, route}`` (route = the path template);
- read from the database at each scrape (:class:`BacklogCollector`): ``dondoc_database_up``,
  ``dondoc_workers_alive``, ``dondoc_timers_due``, ``dondoc_timer_backlog_seconds``,
  ``dondoc_messages_due``, ``dondoc_outbox_backlog_seconds``, ``dondoc_messages_dead``.

The Engine knows nothing of metrics: :func:`instrument` gives one Engine object a subclass
whose command methods are timed (copies made by ``Engine.within`` keep it).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import exc as sa_exc

from ..clock import Clock
from ..errors import DondocError
from ..service.engine import Engine
from ..store import health as store
from .health import worker_state

log = logging.getLogger("dondoc.metrics")

#: The Engine's commands that are counted and timed (a test keeps the list in step).
COMMANDS = (
    "create_directive",
    "create_directives",
    "fire",
    "import_drafts",
    "create_series",
    "delegate",
    "request_contributions",
    "reassign",
    "claim",
    "assign",
    "request_explanation",
    "answer_explanation",
    "assess_explanation",
    "migrate",
    "send_letter",
    "publish_workflow",
    "schedule_report",
)

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LAG = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 86400.0)


class Metrics:
    """dondoc's metrics on one registry (one per process; tests make their own)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "dondoc_commands",
            "Engine commands by kind and outcome.",
            ["kind", "outcome"],
            registry=r,
        )
        self.command_seconds = Histogram(
            "dondoc_command_duration_seconds",
            "Time an Engine command took (one transaction).",
            ["kind"],
            buckets=_LATENCY,
            registry=r,
        )
        self.timers = Counter("dondoc_timers_fired", "Timers fired by the worker.", registry=r)
        self.timer_failures = Counter(
            "dondoc_timer_failures", "Timers that failed to fire (retried later).", registry=r
        )
        self.timer_lag = Histogram(
            "dondoc_timer_lag_seconds",
            "How late a timer fired: firing time minus due time.",
            buckets=_LAG,
            registry=r,
        )
        self.series = Counter(
            "dondoc_series_created", "Directives created by recurring series.", registry=r
        )
        self.outbox = Counter(
            "dondoc_outbox_messages",
            "Outbox delivery attempts by result: sent, logged, retry, dead.",
            ["result"],
            registry=r,
        )
        self.http = Counter(
            "dondoc_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_seconds = Histogram(
            "dondoc_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=_LATENCY,
            registry=r,
        )

    # --- recording --------------------------------------------------------------------------
    def command(self, kind: str, outcome: str, seconds: float) -> None:
        self.commands.labels(kind, outcome).inc()
        self.command_seconds.labels(kind).observe(seconds)

    def timer_fired(self, lag_seconds: float) -> None:
        self.timers.inc()
        self.timer_lag.observe(max(0.0, lag_seconds))

    def timer_failed(self) -> None:
        self.timer_failures.inc()

    def series_created(self, n: int) -> None:
        self.series.inc(n)

    def delivered(self, sent: int, retried: int, dead: int, logged: int = 0) -> None:
        for result, n in (("sent", sent), ("logged", logged), ("retry", retried), ("dead", dead)):
            if n:
                self.outbox.labels(result).inc(n)

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http.labels(method, route, str(status)).inc()
        self.http_seconds.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)

    def watch(self, engine: Engine) -> None:
        """Also report the database's backlog and workers at each scrape."""
        self.registry.register(BacklogCollector(engine.db, engine.clock))

    def serve(self, port: int, addr: str = "0.0.0.0") -> None:
        """Expose the registry on ``http://addr:port/metrics`` (a daemon thread)."""
        from prometheus_client import start_http_server

        start_http_server(port, addr=addr, registry=self.registry)


class BacklogCollector:
    """Gauges read from the database when scraped: a few indexed queries, no state kept."""

    def __init__(self, db: Any, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("dondoc_database_up", "1 when the database answered the scrape.")
        now = self.clock.now()
        try:
            with self.db.connect() as conn:
                due = store.backlog(conn, now)
                beats = store.workers(conn)
        except sa_exc.SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        alive = sum(1 for b in beats if worker_state(b, now).state == "alive")
        for name, doc, value in (
            ("dondoc_workers_alive", "Workers whose heartbeat is recent.", alive),
            ("dondoc_timers_due", "Due timers not fired yet.", due.timers_due),
            ("dondoc_timer_backlog_seconds", "Age of the oldest due timer.", due.timer_lag),
            ("dondoc_messages_due", "Messages due for delivery, not sent.", due.messages_due),
            ("dondoc_outbox_backlog_seconds", "Age of the oldest due message.", due.outbox_lag),
            ("dondoc_messages_dead", "Messages that failed for good.", due.messages_dead),
        ):
            yield GaugeMetricFamily(name, doc, value=value)


# --- the Engine's commands, timed -----------------------------------------------------------

_in_command: ContextVar[bool] = ContextVar("dondoc_in_command", default=False)


def instrument(engine: Engine, metrics: Metrics | None = None) -> Metrics:
    """Count and time ``engine``'s commands on ``metrics`` (a new one by default); the same
    engine instrumented twice keeps its first metrics. Returns them."""
    existing = engine.__dict__.get("_ops_metrics")
    if isinstance(existing, Metrics):
        return existing
    metrics = metrics if metrics is not None else Metrics()
    engine.__dict__["_ops_metrics"] = metrics
    engine.__class__ = _instrumented(type(engine))
    return metrics


_SUBCLASSES: dict[type[Engine], type[Engine]] = {}


def _instrumented(cls: type[Engine]) -> type[Engine]:
    """``cls`` with its commands timed (made once per class)."""
    if cls not in _SUBCLASSES:
        timed = {name: _timed(name, getattr(cls, name)) for name in COMMANDS if hasattr(cls, name)}
        _SUBCLASSES[cls] = type(cls.__name__, (cls,), {**timed, "__module__": cls.__module__})
    return _SUBCLASSES[cls]


def _timed(kind: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def timed(self: Engine, *args: Any, **kwargs: Any) -> Any:
        metrics = self.__dict__.get("_ops_metrics")
        if metrics is None or _in_command.get():  # a command inside a command counts once
            return method(self, *args, **kwargs)
        token = _in_command.set(True)
        start = time.perf_counter()
        outcome = "ok"
        try:
            return method(self, *args, **kwargs)
        except DondocError as exc:
            outcome = exc.code
            raise
        except Exception:
            outcome = "error"
            raise
        finally:
            _in_command.reset(token)
            metrics.command(kind, outcome, time.perf_counter() - start)

    return timed
