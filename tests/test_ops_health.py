"""Knowing that dondoc is alive (issue 23): /healthz and /readyz, workers' heartbeats, the lag
of due work, `dondoc status` and the administrators' banner. Time is a FakeClock throughout;
a command-line run reads the same instant from the database's frozen clock."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import PG_SKIP_REASON, PG_URL
from fastapi.testclient import TestClient

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.ops import dondoc_version
from dondoc.ops.health import scheduler_status
from dondoc.store.schema import head_revision, stamp
from dondoc.web.api import create_app
from dondoc.worker import Worker

BOARD = Actor.of("thang", "reviewer")


def dondoc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dondoc.cli", *args], capture_output=True, text=True, timeout=120
    )


def directive_due(engine: Engine, due: date) -> int:
    return engine.create_directive(
        BOARD,
        "remediation_self_assessment",
        NewDirective(title="Báo cáo tự đánh giá", assignee="luyen", due=due),
    ).id


def first_pending_timer(engine: Engine, directive_id: int) -> datetime:
    return min(t["due_at"] for t in engine.timers(directive_id) if t["status"] == "pending")


# --- /healthz and /readyz -------------------------------------------------------------------


def test_healthz_and_readyz_answer_without_a_token(engine: Engine) -> None:
    client = TestClient(create_app(engine))
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "status": "ok",
        "schema": head_revision(),
        "schema_needed": head_revision(),
        "workflows": len(engine.workflows),
    }
    assert client.get("/api/me").status_code == 401  # the API itself still needs a token


def test_readyz_fails_on_an_old_schema_and_recovers_after_the_upgrade(engine: Engine) -> None:
    client = TestClient(create_app(engine))
    stamp(engine.db, "0007")  # as if the database were restored from before this dondoc
    r = client.get("/readyz")
    assert r.status_code == 503
    [problem] = r.json()["problems"]
    assert "phiên bản 0007" in problem and f"cần {head_revision()}" in problem
    assert "dondoc db upgrade" in problem
    assert client.get("/healthz").status_code == 200  # the process itself is up
    stamp(engine.db, "head")
    assert client.get("/readyz").status_code == 200


def test_readyz_fails_when_the_database_is_unreachable(engine: Engine) -> None:
    client = TestClient(create_app(engine))
    assert client.get("/readyz").status_code == 200
    engine.db.dispose()
    lost = (
        "sqlite:////nonexistent-dir/dondoc.db"
        if engine.db.dialect.name == "sqlite"
        else "postgresql+psycopg://postgres@127.0.0.1:1/gone"
    )
    engine.db = sa.create_engine(lost)
    r = client.get("/readyz")
    assert r.status_code == 503
    [problem] = r.json()["problems"]
    assert problem.startswith("Không kết nối được cơ sở dữ liệu")
    assert client.get("/healthz").status_code == 200


@pytest.mark.postgres
def test_readyz_fails_when_the_postgresql_database_is_dropped(clock: FakeClock) -> None:
    """A real loss: the server's database is dropped under it (connections terminated)."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    name = f"dondoc_lost_{os.getpid()}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = sa.make_url(PG_URL).set(database=name)
    engine = Engine(url.render_as_string(hide_password=False), clock=clock)
    try:
        client = TestClient(create_app(engine))
        assert client.get("/readyz").status_code == 200
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["problems"][0].startswith("Không kết nối được cơ sở dữ liệu")
    finally:
        engine.db.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


# --- heartbeats -----------------------------------------------------------------------------


def test_a_workers_heartbeat_appears_and_ages(engine: Engine, clock: FakeClock) -> None:
    assert scheduler_status(engine.db, clock.now()).workers == ()
    start = clock.now()
    worker = Worker(engine, name="may-chu-1", interval=30)
    worker.run_pending()
    status = scheduler_status(engine.db, clock.now())
    [w] = status.workers
    assert (w.state, w.beat.name, w.beat.interval) == ("alive", "may-chu-1", 30)
    assert (w.beat.host, w.beat.pid, w.beat.version) == (
        socket.gethostname(),
        os.getpid(),
        dondoc_version(),
    )
    assert w.beat.last_seen == w.beat.started_at == w.beat.last_sweep_at == start
    assert status.ok
    clock.advance(seconds=60)  # 2 x the interval: still alive
    assert scheduler_status(engine.db, clock.now()).workers[0].state == "alive"
    clock.advance(seconds=1)  # silent for longer: taken for dead
    status = scheduler_status(engine.db, clock.now())
    assert status.workers[0].state == "silent" and status.workers[0].silent_for == 61
    [problem] = status.problems
    assert problem.startswith("Không có worker nào đang chạy: worker may-chu-1")
    assert "im lặng từ 18/03/2024 09:00 (1 phút 1 giây" in problem
    # It sweeps again (timers fire meanwhile): alive, with what it did counted.
    d = directive_due(engine, date(2024, 3, 25))
    due = first_pending_timer(engine, d)
    worker.advance(clock, due)
    [w] = scheduler_status(engine.db, clock.now()).workers
    assert w.state == "alive" and w.beat.last_seen == due and w.beat.timers_fired == 1
    assert w.beat.started_at == start
    # A clean stop is told apart from silence.
    worker.monitor.stopped()
    status = scheduler_status(engine.db, clock.now())
    assert status.workers[0].state == "stopped"
    assert "đã dừng lúc" in status.problems[0]


def test_a_long_catch_up_keeps_beating(engine: Engine, clock: FakeClock) -> None:
    """A worker catching up on many timers beats during the sweep, not only after it."""
    ids = [directive_due(engine, date(2024, 3, 25)) for _ in range(3)]
    due = max(first_pending_timer(engine, i) for i in ids)
    clock.set(due)
    worker = Worker(engine, name="w", interval=30)
    worker.monitor.beat()
    seen: list[str] = []

    def slow(_item: object) -> None:  # each firing takes 40 s of the fake clock
        clock.advance(seconds=40)
        seen.append(scheduler_status(engine.db, clock.now()).workers[0].state)

    worker.listener = slow
    worker.run_pending()
    assert len(seen) == 3 and set(seen) == {"alive"}  # 120 s of sweeping, never silent
    [w] = scheduler_status(engine.db, clock.now()).workers
    assert w.beat.last_seen == clock.now() and w.beat.timers_fired == 3


# --- lag, status and the banner -------------------------------------------------------------


@pytest.fixture
def stalled(tmp_path: Path) -> Iterator[tuple[Engine, FakeClock, Worker, str]]:
    """A worker that ran once, then died; a reminder came due 10 minutes ago."""
    clock = FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC))
    url = f"sqlite:///{tmp_path / 'office.db'}"
    engine = Engine(url, clock=clock)
    worker = Worker(engine, name="office-worker", interval=30)
    worker.run_pending()
    d = directive_due(engine, date(2024, 3, 25))
    clock.set(first_pending_timer(engine, d) + timedelta(minutes=10))
    engine.freeze_clock(clock.now())  # what `dondoc status` reads as now
    yield engine, clock, worker, url
    engine.db.dispose()


def test_status_names_the_lag_when_the_worker_is_gone(
    stalled: tuple[Engine, FakeClock, Worker, str],
) -> None:
    _, _, worker, url = stalled
    r = dondoc("status", "--db", url)
    assert r.returncode == 1, r.stdout + r.stderr
    problems = [line for line in r.stdout.splitlines() if line.startswith("LỖI: ")]
    assert len(problems) == 2, r.stdout
    assert problems[0].startswith("LỖI: Không có worker nào đang chạy: worker office-worker")
    assert problems[1].startswith("LỖI: Nhắc việc bị trễ: 1 hẹn giờ đã đến hạn mà chưa chạy")
    assert problems[1].endswith("(trễ 10 phút)")
    assert "Tình trạng: 2 vấn đề" in r.stdout
    assert "Traceback" not in r.stderr
    # The worker comes back and catches up: healthy again.
    worker.run_pending()
    r = dondoc("status", "--db", url)
    assert r.returncode == 0, r.stdout
    assert "office-worker" in r.stdout and "đang chạy" in r.stdout
    assert "Tình trạng: tốt" in r.stdout


def test_a_small_lag_is_not_a_problem_but_max_lag_is_configurable(
    stalled: tuple[Engine, FakeClock, Worker, str],
) -> None:
    _, _, worker, url = stalled
    worker.monitor.beat()  # alive, but the reminder still waits (10 minutes)
    r = dondoc("status", "--db", url, "--max-lag", "900", "--json")
    assert r.returncode == 0, r.stdout
    assert '"timers_due": 1' in r.stdout and '"timer_lag_seconds": 600.0' in r.stdout
    r = dondoc("status", "--db", url)  # 5 minutes by default
    assert r.returncode == 1 and "Nhắc việc bị trễ" in r.stdout


def test_the_dashboard_shows_administrators_a_banner(
    stalled: tuple[Engine, FakeClock, Worker, str],
) -> None:
    engine, _, worker, _ = stalled
    admin = engine.create_token("thang", roles=("admin", "assigner"), name="Hoàng Mạnh Thắng")
    clerk = engine.create_token("luyen", name="Hoàng Thị Luyến")
    client = TestClient(create_app(engine))
    page = client.get("/", cookies={"dondoc_token": admin}).text
    assert "Bộ lập lịch không chạy hoặc bị trễ" in page
    assert "Không có worker nào đang chạy: worker office-worker" in page
    assert "Nhắc việc bị trễ: 1 hẹn giờ" in page
    assert "Bộ lập lịch" not in client.get("/", cookies={"dondoc_token": clerk}).text
    worker.run_pending()
    page = TestClient(create_app(engine)).get("/", cookies={"dondoc_token": admin}).text
    assert "Bộ lập lịch" not in page


def test_status_on_an_old_schema_a_missing_file_and_no_worker(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    assert dondoc("db", "upgrade", "--db", url, "--revision", "0007").returncode == 0
    r = dondoc("status", "--db", url)
    assert r.returncode == 1
    assert (
        f"LỖI: Lược đồ cơ sở dữ liệu ở phiên bản 0007, dondoc này cần {head_revision()}; "
        "chạy: dondoc db upgrade --db URL"
    ) in r.stdout.splitlines()
    typo = tmp_path / "dondco.db"
    r = dondoc("status", "--db", f"sqlite:///{typo}")
    assert r.returncode == 1 and f"Không có tệp cơ sở dữ liệu {typo}" in r.stdout
    assert not typo.exists()  # reported, not created
    assert dondoc("db", "upgrade", "--db", url).returncode == 0
    r = dondoc("status", "--db", url)
    assert r.returncode == 1
    assert "LỖI: Chưa có worker nào chạy với cơ sở dữ liệu này" in r.stdout
