"""Benchmark: dondoc's timers table against one APScheduler job per deadline.

Not a test: prints a table. Run ``python bench/timers.py`` (``--quick`` for a smaller run).

Measures, on SQLite files in a temporary folder:
1. scheduling N timers the dondoc way (rows in the timers table, written in batches as the
   Engine writes them inside its transactions) for N = 100k and 1M;
2. the naive way: one ``add_job`` per deadline into APScheduler 3's SQLAlchemyJobStore
   (measured on a sample, reported per timer and extrapolated), and the ratio;
3. a sweep that finds and fires D due timers through the Engine (render, outbox, audit event,
   one transaction each) among P pending, for P = 100k and 1M: time, time per fired timer,
   and the sweeping process's peak resident memory (a fresh process per sweep);
4. the resident memory of an idle worker process (Engine + Worker, one sweep with nothing due)
   over a database with P pending timers.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from dondoc import Engine, FakeClock
from dondoc.store.tables import DirectiveRow, TimerRow

NOW = datetime(2024, 6, 1, 2, tzinfo=UTC)
WF = "monthly_briefing_task"


def _engine(path: Path) -> Engine:
    return Engine(f"sqlite:///{path}", clock=FakeClock(NOW))


def _directives(engine: Engine, n: int) -> list[int]:
    rows = [
        {
            "workflow": WF,
            "workflow_version": engine.workflows.get(WF).spec.version,
            "title": f"Nhiệm vụ {i}",
            "content": "",
            "state": "assigned",
            "is_open": True,
            "progress": 0,
            "lead_unit": f"Phòng {i % 50}",
            "cooperating_units": [],
            "assignee": f"cv{i}",
            "assigner": "thang",
            "due": date(2024, 6, 10),
            "original_due": date(2024, 6, 10),
            "data": {},
            "created_at": NOW,
            "updated_at": NOW,
            "version": 1,
        }
        for i in range(n)
    ]
    with engine.db.begin() as c:
        c.execute(sa.insert(DirectiveRow), rows)
        return list(c.scalars(sa.select(DirectiveRow.id).order_by(DirectiveRow.id)))


def schedule(
    engine: Engine, directive_ids: list[int], n: int, *, due_now: int = 0, batch: int = 10_000
) -> float:
    """Insert n pending timers (the first ``due_now`` already due). Returns seconds."""
    start = time.perf_counter()
    k = len(directive_ids)
    for lo in range(0, n, batch):
        rows = [
            {
                "directive_id": directive_ids[i % k],
                "timer": "remind",
                "state": "assigned",
                "due_at": NOW - timedelta(minutes=1)
                if i < due_now
                else NOW + timedelta(days=1 + i % 300, seconds=i % 86400),
                "repeat_index": 1,
                "status": "pending",
                "created_at": NOW,
                "attempts": 0,
            }
            for i in range(lo, min(n, lo + batch))
        ]
        with engine.db.begin() as c:
            c.execute(sa.insert(TimerRow), rows)
    return time.perf_counter() - start


def naive(path: Path, n: int) -> float:
    """n add_job calls into APScheduler's SQLAlchemyJobStore. Returns seconds."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    sched = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{path}")}, timezone=UTC
    )
    sched.start(paused=True)  # added jobs go straight to the store
    start = time.perf_counter()
    for i in range(n):
        sched.add_job(
            "builtins:print",
            "date",
            run_date=datetime(2100, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
            args=[i],
            id=f"d{i}",
        )
    took = time.perf_counter() - start
    sched.shutdown(wait=False)
    return took


SWEEP = """
import resource, sys, time
from datetime import UTC, datetime
from dondoc import Engine, FakeClock
from dondoc.worker import Worker
engine = Engine(sys.argv[1], clock=FakeClock(datetime(2024, 6, 1, 2, tzinfo=UTC)))
start = time.perf_counter()
report = Worker(engine, name="bench").run_pending()
took = time.perf_counter() - start
print(took, len(report.fired), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def sweep(path: Path) -> tuple[float, int, float]:
    """Fire everything due through a Worker in a fresh process: (seconds, fired, max RSS MiB)."""
    out = subprocess.run(
        [sys.executable, "-c", SWEEP, f"sqlite:///{path}"],
        capture_output=True,
        text=True,
        check=True,
    )
    took, fired, rss = out.stdout.split()
    return float(took), int(fired), int(rss) / 1024


IDLE_WORKER = """
import resource, sys
from datetime import UTC, datetime
from dondoc import Engine, FakeClock
from dondoc.worker import Worker
engine = Engine(sys.argv[1], clock=FakeClock(datetime(2024, 6, 1, 2, tzinfo=UTC)))
report = Worker(engine).run_pending()
assert report.count == 0
print(engine.next_wakeup() is not None, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def idle_worker_rss_mib(path: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", IDLE_WORKER, f"sqlite:///{path}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.split()[1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10× smaller sizes")
    args = ap.parse_args()
    scale = 10 if args.quick else 1
    sizes = [100_000 // scale, 1_000_000 // scale]
    due = 10_000 // scale
    naive_sample = 5_000 // scale
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-") as tmp:
        tmpd = Path(tmp)
        per_timer: dict[int, float] = {}
        sweep_rows: dict[int, tuple[float, int, float]] = {}
        rss: dict[int, float] = {}
        for n in sizes:
            path = tmpd / f"t{n}.db"
            engine = _engine(path)
            ids = _directives(engine, due)
            secs = schedule(engine, ids, n, due_now=due)
            per_timer[n] = secs / n
            rows.append(
                (f"schedule {n:,} timers (dondoc)", f"{secs:8.2f} s   {n / secs:12,.0f} timers/s")
            )
            engine.db.dispose()
            sweep_rows[n] = sweep(path)
            rss[n] = idle_worker_rss_mib(path)
        naive_secs = naive(tmpd / "naive.db", naive_sample)
        naive_per = naive_secs / naive_sample
        rows.append(
            (
                f"naive add_job × {naive_sample:,} (SQLAlchemyJobStore)",
                f"{naive_secs:8.2f} s   {naive_sample / naive_secs:12,.0f} jobs/s",
            )
        )
        for n in sizes:
            rows.append((f"naive, extrapolated to {n:,}", f"{naive_per * n:8.1f} s"))
        best = min(per_timer.values())
        rows.append(("scheduling speed-up vs naive", f"{naive_per / best:8.0f} ×  (goal ≥ 20 ×)"))
        for n in sizes:
            secs, fired, peak = sweep_rows[n]
            rows.append(
                (
                    f"sweep: fire {fired:,} due among {n:,} pending",
                    f"{secs:8.2f} s   {secs / max(fired, 1) * 1e3:6.2f} ms/timer   process max RSS {peak:6.1f} MiB",
                )
            )
        small, big = sizes
        ratio = (sweep_rows[big][0] / max(sweep_rows[big][1], 1)) / (
            sweep_rows[small][0] / max(sweep_rows[small][1], 1)
        )
        rows.append(
            (
                f"sweep cost per timer, {big:,} vs {small:,} pending",
                f"{ratio:8.2f} ×  (goal ≈ 1: grows with due, not pending)",
            )
        )
        for n in sizes:
            rows.append((f"idle worker RSS, {n:,} pending", f"{rss[n]:8.1f} MiB"))
        rows.append(
            (
                f"worker RSS, {big:,} vs {small:,} pending",
                f"{rss[big] / rss[small]:8.2f} ×  (goal ≈ 1: flat)",
            )
        )
    width = max(len(a) for a, _ in rows)
    print(f"{'measure'.ljust(width)}  result")
    print(f"{'-' * width}  {'-' * 50}")
    for a, b in rows:
        print(f"{a.ljust(width)}  {b}")
    print(
        f"\n(python {sys.version.split()[0]}, SQLite, this process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
