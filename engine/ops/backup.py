"""Backups: SQLite through its online backup API (a consistent copy while the server and the
worker keep writing), PostgreSQL through ``pg_dump``/``pg_restore`` in the custom format.

The audit trail travels with the data: after a restore, ``dondoc audit verify`` recomputes every
chain and replays every directive, so a backup that lost or changed anything does not pass.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the operator (Vietnamese)."""


@dataclass(frozen=True)
class Copy:
    """What a backup or restore copied."""

    path: Path
    bytes: int
    directives: int
    events: int


def backend(url: str) -> str:
    """``sqlite`` or ``postgresql`` (anything else is refused by the callers)."""
    return sa.make_url(url).get_backend_name()


def sqlite_path(url: str) -> Path:
    database = sa.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"cần một tệp SQLite, không phải {url!r}")
    return Path(database)


def _backup_sqlite(url: str, target: Path, *, force: bool = False) -> Copy:
    """Copy the SQLite database of ``url`` into the new file ``target`` with SQLite's online
    backup API (readers and writers may go on meanwhile; the copy is one consistent instant).
    Written beside ``target`` first and renamed, so a half copy never carries its name."""
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"không có tệp cơ sở dữ liệu {source}")
    if target.exists() and not force:
        raise BackupError(f"tệp {target} đã có; chọn tên khác (hoặc --force để ghi đè)")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
        _check(dst, partial)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)
    return _summary(target)


def _restore_sqlite(backup: Path, url: str, *, force: bool = False) -> Copy:
    """Copy the backup file into the SQLite database of ``url``, which must not hold dondoc's
    data already (unless ``force``: then it is replaced; stop the server and worker first)."""
    if not backup.exists():
        raise BackupError(f"không có tệp sao lưu {backup}")
    target = sqlite_path(url)
    if target.exists() and _has_data(target) and not force:
        raise BackupError(
            f"cơ sở dữ liệu {target} đã có dữ liệu; khôi phục vào một cơ sở dữ liệu mới "
            "(hoặc --force để thay thế, sau khi dừng máy chủ và worker)"
        )
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        _check(src, backup)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return _summary(target)


def backup_sqlite(url: str, target: Path, *, force: bool = False) -> Copy:
    """Copy the SQLite database of ``url`` into the new file ``target`` with SQLite's online
    backup API (readers and writers may go on meanwhile; the copy is one consistent instant).
    Written beside ``target`` first and renamed, so a half copy never carries its name."""
    try:
        return _backup_sqlite(url, target, force=force)
    except sqlite3.Error as exc:
        raise BackupError(f"sao lưu thất bại: {exc}") from None


def restore_sqlite(backup: Path, url: str, *, force: bool = False) -> Copy:
    """Copy the backup file into the SQLite database of ``url``, which must not hold dondoc's
    data already (unless ``force``: then it is replaced; stop the server and worker first)."""
    try:
        return _restore_sqlite(backup, url, force=force)
    except sqlite3.Error as exc:
        raise BackupError(f"khôi phục thất bại: {exc}") from None


def _check(conn: sqlite3.Connection, path: Path) -> None:
    try:
        problem = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"tệp {path} không đọc được như cơ sở dữ liệu SQLite: {exc}") from None
    if problem != "ok":
        raise BackupError(f"tệp {path} bị hỏng: {problem}")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"directives", "events", "alembic_version"} <= tables:
        raise BackupError(f"tệp {path} không phải cơ sở dữ liệu dondoc")


def _has_data(path: Path) -> bool:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return bool(
            conn.execute("SELECT count(*) FROM sqlite_master WHERE name='directives'").fetchone()[0]
        )
    finally:
        conn.close()


def _summary(path: Path) -> Copy:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        directives = conn.execute("SELECT count(*) FROM directives").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()
    return Copy(path, path.stat().st_size, int(directives), int(events))


# --- PostgreSQL -------------------------------------------------------------------------------


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq connection string of a SQLAlchemy URL, without its password, and the
    environment carrying the password (``PGPASSWORD``: not on a command line others can see)."""
    u = sa.make_url(url)
    env = {"PGPASSWORD": u.password} if u.password else {}
    plain = sa.URL.create("postgresql", u.username, None, u.host, u.port, u.database, dict(u.query))
    return plain.render_as_string(hide_password=False), env


def pg_dump_command(url: str, target: Path) -> list[str]:
    """``pg_dump`` in the custom format (compressed; ``pg_restore`` can restore it in parallel
    and into a database of another name), without owners and grants of the source server."""
    dsn, _ = libpq(url)
    return [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={target}",
        f"--dbname={dsn}",
    ]


def pg_restore_command(backup: Path, url: str) -> list[str]:
    """``pg_restore`` into an empty database, all or nothing (one transaction, stop at the first
    error), owned by the connecting role."""
    dsn, _ = libpq(url)
    return [
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={dsn}",
        str(backup),
    ]


def run_pg(command: list[str], url: str) -> None:
    """Run ``pg_dump``/``pg_restore`` (BackupError when missing or failing)."""
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"không tìm thấy {command[0]} (gói postgresql-client); chạy lệnh trên ở máy có nó"
        )
    _, env = libpq(url)
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise BackupError(f"{command[0]} thất bại (mã {done.returncode}): {detail}")


def shown(command: list[str]) -> str:
    """A command as an operator would type it."""
    import shlex

    return " ".join(shlex.quote(c) for c in command)
