"""Many workers and many writers on one PostgreSQL database: exactly once, no lost update,
and a worker that survives its connection being killed.

These need PostgreSQL (DONDOC_TEST_PG_URL); .ci/run provides it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import PG_SKIP_REASON, PG_URL

from dondoc import Engine, FakeClock
from dondoc.store.tables import Base, DirectiveRow, TimerRow

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
NOW = datetime(2024, 1, 2, 2, tzinfo=UTC)


@pytest.fixture
def pg() -> str:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    engine = sa.create_engine(PG_URL)
    Base.metadata.drop_all(engine)
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    yield PG_URL
    engine = sa.create_engine(PG_URL)
    Base.metadata.drop_all(engine)
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def seed_due_timers(url: str, n: int) -> Engine:
    """n directives, each with one reminder timer long due (bulk insert: fast)."""
    engine = Engine(url, clock=FakeClock(NOW))
    with engine.db.begin() as c:
        c.execute(
            sa.insert(DirectiveRow),
            [
                {
                    "workflow": "monthly_briefing_task",
                    "workflow_version": 2,
                    "title": f"Nhiệm vụ {i}",
                    "content": "",
                    "state": "assigned",
                    "is_open": True,
                    "progress": 0,
                    "lead_unit": f"Phòng {i % 20}",
                    "cooperating_units": [],
                    "assignee": f"cv{i}",
                    "assigner": "thang",
                    "due": date(2024, 1, 10),
                    "original_due": date(2024, 1, 10),
                    "data": {},
                    "created_at": NOW,
                    "updated_at": NOW,
                    "version": 1,
                }
                for i in range(n)
            ],
        )
        ids = list(c.scalars(sa.select(DirectiveRow.id).order_by(DirectiveRow.id)))
        c.execute(
            sa.insert(TimerRow),
            [
                {
                    "directive_id": did,
                    "timer": "remind",
                    "state": "assigned",
                    "due_at": NOW - timedelta(seconds=i % 5000),
                    "repeat_index": 1,
                    "status": "pending",
                    "created_at": NOW,
                    "attempts": 0,
                }
                for i, did in enumerate(ids)
            ],
        )
    return engine


class Worker:
    """A `dondoc worker --once` process whose log goes to a file: a pipe nobody reads while
    another worker is being waited for would fill up and block the worker on its next log line."""

    def __init__(self, url: str, name: str, extra_env: dict[str, str] | None = None) -> None:
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in wait())
            "w+", prefix=f"dondoc-{name}-", suffix=".log", delete=False
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dondoc.cli",
                "worker",
                "--once",
                "--no-delivery",
                "--db",
                url,
                "--name",
                name,
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            text=True,
            env={**os.environ, **(extra_env or {})},
        )

    def wait(self, timeout: float) -> tuple[int, str]:
        rc = self.proc.wait(timeout=timeout)
        self.log.seek(0)
        text = self.log.read()
        self.log.close()
        os.unlink(self.log.name)
        return rc, text


def start_worker(url: str, name: str, extra_env: dict[str, str] | None = None) -> Worker:
    return Worker(url, name, extra_env)


def fired_count(engine: Engine) -> int:
    with engine.db.connect() as c:
        return int(c.scalar(sa.select(sa.func.count()).where(TimerRow.status == "fired")) or 0)


def assert_each_fired_exactly_once(engine: Engine, n: int) -> dict[str, int]:
    with engine.db.connect() as c:
        per_timer = c.execute(
            sa.text(
                "SELECT payload->>'timer_row' AS t, count(*) FROM events WHERE kind = 'timer' GROUP BY 1"
            )
        ).all()
        by_worker = dict(
            c.execute(sa.text("SELECT fired_by, count(*) FROM timers GROUP BY 1")).all()
        )
        pending = c.scalar(sa.select(sa.func.count()).where(TimerRow.status != "fired"))
    assert pending == 0
    assert len(per_timer) == n, f"{len(per_timer)} timers have events, expected {n}"
    assert {count for _, count in per_timer} == {1}
    return by_worker


def test_four_workers_share_20000_timers_exactly_once(pg: str) -> None:
    n = 20_000
    engine = seed_due_timers(pg, n)
    started = time.monotonic()
    workers = [start_worker(pg, f"w{i}") for i in range(4)]
    for w in workers:
        rc, log = w.wait(timeout=900)
        assert rc == 0, log
    took = time.monotonic() - started
    by_worker = assert_each_fired_exactly_once(engine, n)
    assert set(by_worker) == {"w0", "w1", "w2", "w3"} and all(v > 0 for v in by_worker.values())
    print(
        f"\n4 workers fired {n} timers in {took:.1f} s ({n / took:.0f}/s); per worker: {by_worker}"
    )
    engine.db.dispose()


def test_a_sigkilled_worker_loses_nothing(pg: str) -> None:
    n = 20_000
    engine = seed_due_timers(pg, n)
    workers = [start_worker(pg, f"w{i}") for i in range(4)]
    deadline = time.monotonic() + 300
    while fired_count(engine) < n // 10:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    workers[0].proc.send_signal(signal.SIGKILL)
    for w in workers[1:]:
        rc, log = w.wait(timeout=900)
        assert rc == 0, log
    assert workers[0].wait(timeout=30)[0] == -signal.SIGKILL
    # whatever the killed worker held was rolled back by PostgreSQL and fired by the others
    assert_each_fired_exactly_once(engine, n)
    engine.db.dispose()


def test_worker_survives_its_connections_being_terminated(pg: str) -> None:
    n = 3_000
    engine = seed_due_timers(pg, n)
    worker = start_worker(pg, "fragile", {"PGAPPNAME": "dondoc-fault-test"})
    killed = 0
    deadline = time.monotonic() + 300
    while worker.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.4)
        with engine.db.begin() as c:
            killed += (
                c.scalar(
                    sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'dondoc-fault-test'"
                    )
                )
                or 0
            )
    rc, err = worker.wait(timeout=60)
    assert rc == 0, err
    assert killed >= 2, "the test must actually cut the worker's connection"
    assert "database unavailable" in err and "retrying" in err
    assert_each_fired_exactly_once(engine, n)
    engine.db.dispose()
