"""The benchmarks still run, and the throughput baseline still does the Engine's work.

Only a smoke run (a handful of commands): the figures themselves belong to the benchmark's own
output, never to a timed test on a shared machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_throughput_bench_runs_and_its_baseline_writes_what_the_engine_writes() -> None:
    r = subprocess.run(
        [sys.executable, str(BENCH / "throughput.py"), "--n", "5", "--repeat", "1", "--pg", ""],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # throughput.py asserts equal row counts (directives, events, pending and all timers)
    assert r.returncode == 0, r.stderr
    assert "SQLite" in r.stdout and "×" in r.stdout


def test_ops_bench_runs() -> None:
    r = subprocess.run(
        [sys.executable, str(BENCH / "ops.py"), "--n", "3", "--repeat", "1", "--directives", "20"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "metrics overhead per command" in r.stdout and "GET /readyz" in r.stdout
