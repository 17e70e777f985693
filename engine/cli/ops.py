"""Operating dondoc from the shell: ``dondoc status`` (is it alive?), ``dondoc db backup`` and
``dondoc db restore``. Registered on the app by :mod:`.main` through :func:`register`."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..service.engine import DEFAULT_DB
from .common import DbOpt, JsonOpt, WorkflowsOpt, err, out


class LogFormat(StrEnum):
    """The log formats of ``serve`` and ``worker`` (an Enum, not a Literal: typer 0.18, the
    lowest version pyproject admits, does not take Literal options)."""

    text = "text"
    json = "json"


LogFormatOpt = Annotated[
    LogFormat,
    typer.Option(
        "--log-format",
        help="Dạng nhật ký: text, hoặc json (mỗi dòng một đối tượng JSON, có request_id).",
    ),
]
MetricsPortOpt = Annotated[
    int | None,
    typer.Option("--metrics-port", help="Mở số liệu Prometheus tại http://0.0.0.0:CỔNG/metrics."),
]
MaxLagOpt = Annotated[
    float,
    typer.Option(
        "--max-lag",
        help="Số giây một hẹn giờ hoặc thông báo đến hạn được chờ trước khi tính là chậm.",
        min=0,
    ),
]


def status(
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    max_lag: MaxLagOpt = 300.0,
    as_json: JsonOpt = False,
) -> None:
    """Is dondoc alive? The database, its schema, the workflows, the workers' heartbeats and
    the lag of reminders and notifications. Exit 0 when healthy, 1 with one line per problem."""
    from sqlalchemy import exc as sa_exc

    from ..clock import SystemClock
    from ..core.machine import WorkflowRegistry
    from ..errors import WorkflowError
    from ..ops import dondoc_version
    from ..ops.health import (
        describe,
        missing_sqlite_file,
        readiness,
        reason,
        scheduler_status,
    )
    from ..store.health import frozen_at
    from ..store.tables import make_engine
    from .common import _registry

    missing = missing_sqlite_file(db)
    if missing is not None:
        out.print(f"LỖI: {missing}", markup=False)
        raise typer.Exit(1)
    engine = make_engine(db)
    problems: list[str] = []
    workflows: WorkflowRegistry | None = None
    try:
        workflows = _registry(extra)
    except WorkflowError as exc:
        problems.extend(f"Quy trình lỗi: {p}" for p in exc.problems)
    ready = readiness(engine, workflows)
    problems.extend(ready.problems)
    report: dict[str, Any] = {
        "version": dondoc_version(),
        "database": engine.url.render_as_string(hide_password=True),
        "schema": ready.revision,
        "schema_needed": ready.head,
        "workflows": ready.workflows,
    }
    lines = [
        f"dondoc {report['version']} · cơ sở dữ liệu {report['database']} · lược đồ "
        f"{ready.revision or '—'} (cần {ready.head}) · {ready.workflows} quy trình"
    ]
    if ready.revision == ready.head:  # the tables are those this dondoc knows
        try:
            with engine.connect() as conn:
                now = frozen_at(conn) or SystemClock().now()
            sched = scheduler_status(engine, now, max_lag=timedelta(seconds=max_lag))
        except sa_exc.SQLAlchemyError as exc:
            problems.append(f"Không đọc được tình trạng bộ lập lịch: {reason(exc)}")
        else:
            problems.extend(sched.problems)
            lines.append(f"Worker ({len(sched.alive)}/{len(sched.workers)} đang chạy):")
            lines.extend(f"  {describe(w)}" for w in sched.workers)
            b = sched.backlog
            lines.append(
                f"Việc tồn: {b.timers_due} hẹn giờ đến hạn chưa chạy"
                + (f" (trễ nhất {int(b.timer_lag)} giây)" if b.timers_due else "")
                + f"; {b.messages_due} thông báo đến lượt gửi"
                + (f" (trễ nhất {int(b.outbox_lag)} giây)" if b.messages_due else "")
            )
            lines.extend(f"Lưu ý: {n}" for n in sched.notes)
            report |= {
                "now": now.isoformat(),
                "workers": [
                    {
                        "name": w.beat.name,
                        "host": w.beat.host,
                        "state": w.state,
                        "last_seen": w.beat.last_seen.isoformat(),
                        "timers_fired": w.beat.timers_fired,
                    }
                    for w in sched.workers
                ],
                "timer_lag_seconds": b.timer_lag,
                "timers_due": b.timers_due,
                "outbox_lag_seconds": b.outbox_lag,
                "messages_due": b.messages_due,
                "messages_dead": b.messages_dead,
                "notes": list(sched.notes),
            }
    engine.dispose()
    if as_json:
        report |= {"ok": not problems, "problems": problems}
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        for line in lines:
            out.print(line, markup=False)
        for p in problems:
            out.print(f"LỖI: {p}", markup=False)
        out.print("Tình trạng: tốt" if not problems else f"Tình trạng: {len(problems)} vấn đề")
    if problems:
        raise typer.Exit(1)


ForceOpt = Annotated[bool, typer.Option("--force", help="Ghi đè / thay thế dữ liệu đang có.")]


def backup(
    output: Annotated[Path, typer.Option("--output", "-o", help="Tệp sao lưu cần ghi.")],
    db: DbOpt = DEFAULT_DB,
    force: ForceOpt = False,
) -> None:
    """Back up the database while it runs: SQLite through its online backup API, PostgreSQL
    through pg_dump (custom format). Restore with: dondoc db restore FILE --db URL."""
    from ..ops import backup as b

    try:
        if b.backend(db) == "sqlite":
            copy = b.backup_sqlite(db, output, force=force)
            out.print(
                f"Đã sao lưu {copy.directives} nhiệm vụ, {copy.events} sự kiện vào {copy.path} "
                f"({copy.bytes / 1_048_576:.1f} MB)",
                markup=False,
            )
            return
        if b.backend(db) != "postgresql":
            raise b.BackupError(f"không sao lưu được loại cơ sở dữ liệu {b.backend(db)}")
        if output.exists() and not force:
            raise b.BackupError(f"tệp {output} đã có; chọn tên khác (hoặc --force để ghi đè)")
        command = b.pg_dump_command(db, output)
        out.print(f"$ {b.shown(command)}", markup=False)
        b.run_pg(command, db)
        out.print(f"Đã sao lưu vào {output} ({output.stat().st_size / 1_048_576:.1f} MB)")
    except b.BackupError as exc:
        _fail(str(exc))


def restore(
    backup_file: Annotated[Path, typer.Argument(help="Tệp do dondoc db backup ghi ra.")],
    db: DbOpt = DEFAULT_DB,
    force: ForceOpt = False,
) -> None:
    """Restore a backup into an empty database (SQLite file or PostgreSQL database), then
    check it: dondoc audit verify --db URL."""
    from ..ops import backup as b

    try:
        if b.backend(db) == "sqlite":
            copy = b.restore_sqlite(backup_file, db, force=force)
            out.print(
                f"Đã khôi phục {copy.directives} nhiệm vụ, {copy.events} sự kiện vào {copy.path}",
                markup=False,
            )
        elif b.backend(db) == "postgresql":
            if not backup_file.exists():
                raise b.BackupError(f"không có tệp sao lưu {backup_file}")
            command = b.pg_restore_command(backup_file, db)
            out.print(f"$ {b.shown(command)}", markup=False)
            b.run_pg(command, db)
            out.print("Đã khôi phục.")
        else:
            raise b.BackupError(f"không khôi phục được vào loại cơ sở dữ liệu {b.backend(db)}")
    except b.BackupError as exc:
        _fail(str(exc))
    out.print("Kiểm tra toàn vẹn: dondoc audit verify --db URL; rồi: dondoc db upgrade --db URL")


def _fail(message: str) -> None:
    err.print(f"LỖI: {message}", markup=False)
    raise typer.Exit(1)


def register(app: typer.Typer, db_app: typer.Typer) -> None:
    """Add ``status`` to the app and ``backup``/``restore`` to ``dondoc db``."""
    app.command()(status)
    db_app.command("backup")(backup)
    db_app.command("restore")(restore)
