"""Benchmark: what operating dondoc costs (issue 23). Not a test: prints a table.

``python bench/ops.py [--n 300] [--repeat 3] [--directives 2000]``

- commands: create + 3 transitions per directive on SQLite, plain Engine vs an Engine whose
  commands are counted and timed (``dondoc.ops.metrics.instrument``, what serve and a worker
  with --metrics-port run) — the metrics' cost per command;
- a worker's heartbeat: one write per sweep (``WorkerMonitor.beat``);
- the server's /healthz, /readyz and /metrics (with the backlog read from the database) and
  `dondoc status`'s checks (readiness + scheduler_status), on a database of ``--directives``;
- ``dondoc db backup`` (SQLite online backup API) of that database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.ops.backup import backup_sqlite
from dondoc.ops.health import readiness, scheduler_status
from dondoc.ops.metrics import Metrics, instrument
from dondoc.web.api import create_app
from dondoc.worker import Worker

NOW = datetime(2024, 3, 18, 2, tzinfo=UTC)
BOARD = Actor.of("thang", "reviewer")
LEADER = Actor.of("phuong")
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("start", {}),
    ("report_progress", {"progress": 60}),
    ("submit_self_assessment", {"report": "Đã khắc phục", "shortcomings_fixed": True}),
]


def commands(url: str, n: int, metered: bool) -> float:
    """Seconds per command (create + 3 transitions per directive)."""
    engine = Engine(url, clock=FakeClock(NOW))
    if metered:
        instrument(engine, Metrics())
    start = time.perf_counter()
    for i in range(n):
        d = engine.create_directive(
            BOARD,
            "remediation_self_assessment",
            NewDirective(title=f"Báo cáo {i}", assignee="phuong", due=date(2024, 6, 30)),
        )
        for trigger, payload in STEPS:
            engine.fire(d.id, trigger, LEADER, payload)
    elapsed = time.perf_counter() - start
    engine.db.dispose()
    return elapsed / (4 * n)


def per_call(fn: Callable[[], Any], times: int) -> float:
    fn()  # warm up
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300, help="directives per command run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--directives", type=int, default=2000, help="size of the checked database")
    args = ap.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        plain, metered = [], []
        for r in range(args.repeat):  # interleaved: the machine's noise hits both alike
            plain.append(commands(f"sqlite:///{tmp}/p{r}.db", args.n, False))
            metered.append(commands(f"sqlite:///{tmp}/m{r}.db", args.n, True))
        p, m = min(plain), min(metered)
        rows.append(("command, plain Engine (best of runs)", f"{p * 1e6:8.0f} µs"))
        rows.append(("command, counted and timed", f"{m * 1e6:8.0f} µs"))
        rows.append(("metrics overhead per command", f"{(m - p) * 1e6:8.1f} µs"))

        url = f"sqlite:///{tmp}/office.db"
        clock = FakeClock(NOW)
        engine = Engine(url, clock=clock)
        engine.create_directives(
            BOARD,
            "remediation_self_assessment",
            [
                NewDirective(title=f"Việc {i}", assignee="phuong", due=date(2024, 6, 30))
                for i in range(args.directives)
            ],
        )
        worker = Worker(engine, name="bench")
        rows.append(
            (
                "heartbeat write (one per sweep)",
                f"{per_call(worker.monitor.beat, 200) * 1e3:8.2f} ms",
            )
        )
        client = TestClient(create_app(engine))
        for path in ("/healthz", "/readyz", "/metrics"):
            t = per_call(lambda path=path: client.get(path), 200)
            rows.append((f"GET {path} ({args.directives} directives)", f"{t * 1e3:8.2f} ms"))
        status = per_call(
            lambda: (
                readiness(engine.db, engine.workflows),
                scheduler_status(engine.db, clock.now()),
            ),
            200,
        )
        rows.append(("dondoc status checks (readiness + scheduler)", f"{status * 1e3:8.2f} ms"))
        target = Path(tmp) / "backup.db"
        start = time.perf_counter()
        copy = backup_sqlite(url, target)
        elapsed = time.perf_counter() - start
        rows.append(
            (
                f"db backup: {copy.directives} directives, {copy.events} events, "
                f"{copy.bytes / 1_048_576:.1f} MB",
                f"{elapsed * 1e3:8.0f} ms",
            )
        )
        engine.db.dispose()
    width = max(len(k) for k, _ in rows)
    print(f"python {sys.version.split()[0]}, SQLite, n={args.n}, repeat={args.repeat}")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
