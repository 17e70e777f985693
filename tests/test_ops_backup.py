"""Backup and restore (issue 23): `dondoc db backup` → `dondoc db restore` into a fresh
database → the same directives and history, and `dondoc audit verify` passes. SQLite through
its online backup API (taken while a reader holds a transaction open); PostgreSQL through
pg_dump/pg_restore when they are installed."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import PG_SKIP_REASON, PG_URL

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.clock import local_midnight
from dondoc.ops.backup import libpq, pg_dump_command, pg_restore_command
from dondoc.worker import Worker

BOARD = Actor.of("thang", "reviewer")
LEADER = Actor.of("luyen", unit="Thanh tra Sở")


def dondoc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dondoc.cli", *args], capture_output=True, text=True, timeout=300
    )


def office(url: str) -> Engine:
    """Directives with a history: created, moved along, one overdue (timers fired)."""
    clock = FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC))
    engine = Engine(url, clock=clock)
    ids = [
        engine.create_directive(
            BOARD,
            "remediation_self_assessment",
            NewDirective(
                title=f"Báo cáo tự đánh giá - {n}",
                assignee="luyen",
                lead_unit="Thanh tra Sở",
                due=date(2024, 6, 30),
                due_text="Trước ngày 01/07/2024",
            ),
        ).id
        for n in range(3)
    ]
    engine.fire(ids[0], "start", LEADER)
    engine.fire(
        ids[0], "submit_self_assessment", LEADER, {"report": "…", "shortcomings_fixed": True}
    )
    engine.fire(ids[0], "accept", BOARD, {"conclusion": "Đạt yêu cầu"})
    engine.fire(ids[1], "start", LEADER)
    Worker(engine, name="w").advance(clock, local_midnight(date(2024, 7, 3)))
    return engine


def snapshot(engine: Engine) -> list[tuple[object, ...]]:
    return [
        (d.id, d.title, d.state, d.due, d.version, tuple(e.hash for e in engine.history(d.id)))
        for d in engine.directives()
    ]


def test_sqlite_backup_restore_roundtrip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    engine = office(url)
    before = snapshot(engine)
    assert len(before) == 3 and sum(len(h) for *_, h in before) > 6
    # Online: a reader holds a transaction open (and the WAL holds recent pages) meanwhile.
    reader = sqlite3.connect(tmp_path / "office.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM events").fetchone()
    r = dondoc("db", "backup", "--db", url, "-o", str(tmp_path / "backup.db"))
    reader.rollback()
    reader.close()
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Đã sao lưu 3 nhiệm vụ")
    assert not (tmp_path / "backup.db.partial").exists()
    # The engine goes on writing after the backup; the backup keeps the instant it was taken.
    engine.fire(
        before[2][0], "submit_self_assessment", LEADER, {"report": "…", "shortcomings_fixed": True}
    )
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    r = dondoc("db", "restore", str(tmp_path / "backup.db"), "--db", restored)
    assert r.returncode == 0, r.stderr
    assert "Đã khôi phục 3 nhiệm vụ" in r.stdout and "dondoc audit verify" in r.stdout
    again = Engine(restored, clock=engine.clock)
    assert snapshot(again) == before
    assert again.verify_audit().ok
    r = dondoc("audit", "verify", "--db", restored)
    assert r.returncode == 0, r.stdout  # exit 1 on any break of a chain or a replay
    again.db.dispose()
    engine.db.dispose()


def test_sqlite_backup_and_restore_refuse_to_overwrite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    Engine(url).db.dispose()
    target = tmp_path / "b.db"
    assert dondoc("db", "backup", "--db", url, "-o", str(target)).returncode == 0
    r = dondoc("db", "backup", "--db", url, "-o", str(target))
    assert r.returncode == 1 and f"LỖI: tệp {target} đã có" in r.stderr
    assert dondoc("db", "backup", "--db", url, "-o", str(target), "--force").returncode == 0
    r = dondoc("db", "restore", str(target), "--db", url)  # it holds data already
    assert r.returncode == 1 and "đã có dữ liệu" in r.stderr and "Traceback" not in r.stderr
    r = dondoc("db", "backup", "--db", f"sqlite:///{tmp_path / 'nope.db'}", "-o", "x.db")
    assert r.returncode == 1 and "không có tệp cơ sở dữ liệu" in r.stderr
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    r = dondoc("db", "restore", str(tmp_path / "junk.db"), "--db", f"sqlite:///{tmp_path / 'n.db'}")
    assert r.returncode == 1 and r.stderr.startswith("LỖI:") and "Traceback" not in r.stderr


def test_postgresql_commands_keep_the_password_off_the_command_line() -> None:
    url = "postgresql+psycopg://dondoc:bi-mat@db.internal:5432/dondoc"
    dsn, env = libpq(url)
    assert dsn == "postgresql://dondoc@db.internal:5432/dondoc" and env == {"PGPASSWORD": "bi-mat"}
    dump = pg_dump_command(url, Path("/backup/dondoc.dump"))
    assert dump == [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        "--file=/backup/dondoc.dump",
        "--dbname=postgresql://dondoc@db.internal:5432/dondoc",
    ]
    restore = pg_restore_command(Path("/backup/dondoc.dump"), url)
    assert restore[0] == "pg_restore" and "--single-transaction" in restore
    assert "--exit-on-error" in restore and not any("bi-mat" in c for c in dump + restore)


@pytest.mark.postgres
def test_postgresql_backup_restore_roundtrip(tmp_path: Path) -> None:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed (package postgresql-client)")
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    names = [f"dondoc_bk_src_{os.getpid()}", f"dondoc_bk_dst_{os.getpid()}"]
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    src, dst = (
        sa.make_url(PG_URL).set(database=n).render_as_string(hide_password=False) for n in names
    )
    try:
        engine = office(src)
        before = snapshot(engine)
        dump = tmp_path / "dondoc.dump"
        r = dondoc("db", "backup", "--db", src, "-o", str(dump))
        assert r.returncode == 0, r.stdout + r.stderr
        assert "pg_dump --format=custom" in r.stdout and dump.stat().st_size > 0
        r = dondoc("db", "restore", str(dump), "--db", dst)
        assert r.returncode == 0, r.stdout + r.stderr
        again = Engine(dst, clock=engine.clock)
        assert snapshot(again) == before
        assert again.verify_audit().ok
        assert dondoc("audit", "verify", "--db", dst).returncode == 0
        again.db.dispose()
        engine.db.dispose()
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
