"""Kill a real worker process (SIGKILL) while it fires a batch; restart it; every due timer
has fired exactly once (counted from the audit trail), none lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.store.tables import EventRow, OutboxRow, TimerRow

N_DIRECTIVES = 300  # × 2 timers (reminder, overdue) = 600 due timers


def _worker(db_url: str, *, quiet: bool = False) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dondoc.cli",
            "worker",
            "--once",
            "--db",
            db_url,
            "--name",
            "crashy",
        ],
        stdout=subprocess.PIPE,
        # A pipe nobody reads fills up after ~650 log lines and then blocks the worker: the
        # worker that is going to be killed logs to nowhere.
        stderr=subprocess.DEVNULL if quiet else subprocess.PIPE,
        text=True,
        env=env,
    )


def _fired(engine: Engine) -> int:
    with engine.db.connect() as c:
        return int(c.scalar(sa.select(sa.func.count()).where(TimerRow.status == "fired")) or 0)


@pytest.mark.slow
def test_sigkill_mid_batch_then_restart_fires_each_timer_exactly_once(db_url: str) -> None:
    # Directives created "in January 2024": every timer is long due for the real clock.
    engine = Engine(db_url, clock=FakeClock(datetime(2024, 1, 2, 2, tzinfo=UTC)))
    board = Actor.of("thang", "reviewer")
    for i in range(N_DIRECTIVES):
        engine.create_directive(
            board,
            "monthly_briefing_task",
            NewDirective(
                title=f"Nhiệm vụ {i}", assignee=f"cv{i}", lead_unit="Phòng 1", due=date(2024, 1, 10)
            ),
        )
    total = 2 * N_DIRECTIVES
    with engine.db.connect() as c:
        assert c.scalar(sa.select(sa.func.count()).select_from(TimerRow)) == total

    proc = _worker(db_url, quiet=True)
    deadline = time.monotonic() + 120
    while _fired(engine) < total // 5:
        assert proc.poll() is None, (
            f"the worker finished before it could be killed: {proc.stderr.read() if proc.stderr else ''}"
        )
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    fired_before_restart = _fired(engine)
    assert 0 < fired_before_restart < total, "the kill must land mid-batch"

    restart = _worker(db_url)
    _out, err = restart.communicate(timeout=300)
    assert restart.returncode == 0, err
    assert "caught up:" in err and f"{total - fired_before_restart} timer(s) fired" in err

    with engine.db.connect() as c:
        statuses = Counter(c.scalars(sa.select(TimerRow.status)))
        timer_events = [
            json.loads(p) if isinstance(p, str) else p
            for p in c.scalars(sa.select(EventRow.payload).where(EventRow.kind == "timer"))
        ]
        overdue = c.scalar(
            sa.select(sa.func.count()).where(
                EventRow.kind == "transition", EventRow.trigger == "mark_overdue"
            )
        )
        outbox = c.scalar(sa.select(sa.func.count()).select_from(OutboxRow))
    assert statuses == {"fired": total}
    per_timer = Counter(p["timer_row"] for p in timer_events)
    assert len(per_timer) == total and set(per_timer.values()) == {1}  # each fired exactly once
    assert overdue == N_DIRECTIVES
    # reminder → assignee; overdue → chasing letter to the assignee + escalation to the assigner
    assert outbox == 3 * N_DIRECTIVES
    assert engine.verify_audit().ok
    engine.db.dispose()


@pytest.mark.slow
def test_worker_logs_each_firing_and_stops_cleanly_on_sigterm_even_mid_catch_up(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db_url = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = Engine(db_url, clock=FakeClock(datetime(2024, 1, 2, 2, tzinfo=UTC)))
    for i in range(200):  # 400 long-due timers: the worker is still catching up when stopped
        engine.create_directive(
            Actor.of("thang", "reviewer"),
            "monthly_briefing_task",
            NewDirective(
                title=f"Nhiệm vụ {i}", assignee=f"cv{i}", lead_unit="Phòng 1", due=date(2024, 1, 10)
            ),
        )
    log = tmp_path / "worker.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dondoc.cli",
                "worker",
                "--db",
                db_url,
                "--interval",
                "1",
                "--name",
                "long-running",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
        deadline = time.monotonic() + 60
        while _fired(engine) < 5:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0  # a clean stop, not a kill
    text = log.read_text()
    assert "fired remind on directive 1" in text
    assert "stopping (signal 15)" in text and "worker long-running stopped" in text
    stopped_at = _fired(engine)
    assert 5 <= stopped_at < 400 and engine.verify_audit().ok  # nothing half done
    rest = _worker(db_url)
    _out, err_text = rest.communicate(timeout=300)
    assert rest.returncode == 0, err_text
    assert f"{400 - stopped_at} timer(s) fired" in err_text
    engine.db.dispose()


STOP_WHILE_STARTING = """
import os, signal, sys
from dondoc import Engine
from dondoc.worker import Worker
worker = Worker(Engine(sys.argv[1]), name="w-race")
arm = worker._arm
def arm_then_stop():  # the last step before the scheduler starts: a SIGTERM lands here
    arm()
    os.kill(os.getpid(), signal.SIGTERM)
worker._arm = arm_then_stop
worker.serve()
print("stopped")
"""


def test_a_stop_that_lands_while_the_scheduler_starts_is_honoured(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SIGTERM after the worker's catch-up but before its scheduler runs: the handler finds
    nothing running to shut down; the worker must still stop (it once waited forever)."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    Engine(url).db.dispose()
    r = subprocess.run(
        [sys.executable, "-c", STOP_WHILE_STARTING, url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "stopped"
