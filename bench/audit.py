"""Benchmark: ``verify_audit`` — one streaming pass over every directive and its events.

Not a test: prints a table. Run ``python bench/audit.py`` (``--n 2000`` for a smaller run).

Builds N directives through the Engine on a SQLite file (each: created, started, two progress
reports — 4 events), signs a checkpoint, then times a full verification (hash chains, the
replay of every directive's events against its row, the ledger against the checkpoint) in a
fresh process, reporting directives/s, events/s and the process's peak resident memory; then
the same for 2N directives, to show memory stays flat. Target: ≥ 20,000 directives/s at 10k.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from dondoc import Actor, Engine, FakeClock, NewDirective

NOW = datetime(2024, 3, 18, 2, tzinfo=UTC)
BOARD = Actor.of("thang", "reviewer", "assigner")
LEADER = Actor.of("phuong", unit="Thanh tra Sở")
KEY = b"bench-audit-key-0123456789abcdef"

VERIFY = """
import resource, sys, time
from dondoc import Engine
from dondoc.service.chain import key_id
KEY = {key!r}
engine = Engine(sys.argv[1], create=False)
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
best = cpu = None
for _ in range(3):
    t, c = time.perf_counter(), time.process_time()
    report = engine.verify_audit(keys={{key_id(KEY): KEY}})
    took, used = time.perf_counter() - t, time.process_time() - c
    best = took if best is None else min(best, took)
    cpu = used if cpu is None else min(cpu, used)
assert report.ok, report.breaks[:3]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(report.directives_checked, report.events_checked, best, cpu, rss0, rss)
"""


def build(path: Path, n: int) -> str:
    url = f"sqlite:///{path}"
    clock = FakeClock(NOW)
    engine = Engine(url, clock=clock)
    for i in range(n):
        d = engine.create_directive(
            BOARD,
            "remediation_self_assessment",
            NewDirective(title=f"Việc {i}", assignee="phuong", due=date(2024, 6, 30)),
        )
        engine.fire(d.id, "start", LEADER)
        engine.fire(d.id, "report_progress", LEADER, {"progress": 40})
        engine.fire(d.id, "report_progress", LEADER, {"progress": 70, "note": "gần xong"})
    clock.advance(minutes=10)
    engine.audit_checkpoint(key=KEY)
    engine.db.dispose()
    return url


def measure(url: str) -> tuple[int, int, float, float, int, int]:
    r = subprocess.run(
        [sys.executable, "-c", VERIFY.format(key=KEY), url],
        capture_output=True,
        text=True,
        check=True,
    )
    d, e, t, c, rss0, rss = r.stdout.split()
    return int(d), int(e), float(t), float(c), int(rss0), int(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--sizes", type=int, default=2, help="measure n, 2n, … (this many)")
    args = parser.parse_args()
    print(
        "| directives | events | wall (s, best of 3) | CPU (s) | directives/s (wall) "
        "| directives/s (CPU) | events/s (CPU) | peak RSS (MB) | RSS growth in verify (MB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(1, args.sizes + 1):
            n = k * args.n
            url = build(Path(tmp) / f"audit{n}.db", n)
            d, e, t, c, rss0, rss = measure(url)
            print(
                f"| {d:,} | {e:,} | {t:.3f} | {c:.3f} | {d / t:,.0f} | {d / c:,.0f} | "
                f"{e / c:,.0f} | {rss / 1024:.0f} | {(rss - rss0) / 1024:.1f} |"
            )


if __name__ == "__main__":
    main()
