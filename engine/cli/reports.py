"""``dondoc reports``: schedule periodic reports (Decree 09/2019), list them and what was produced."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..clock import VN_TZ
from ..service.base import DEFAULT_DB
from ..service.engine import Engine
from .common import AsAdminOpt, AsOpt, DbOpt, JsonOpt, _actor, _print_json, out

reports_app = typer.Typer(help="Báo cáo định kỳ (Nghị định 09/2019).", no_args_is_help=True)


def _engine(db: str) -> Engine:
    return Engine(db)


@reports_app.command("schedule")
def schedule(
    name: Annotated[str, typer.Option(help="Tên báo cáo trong các thông báo gửi đi.")],
    every: Annotated[
        str, typer.Option(help="Kỳ: month (tháng), quarter (quý), half (6 tháng) hoặc year (năm).")
    ] = "quarter",
    to: Annotated[
        list[str] | None, typer.Option("--to", help="Người nhận (mã đăng nhập; lặp lại được).")
    ] = None,
    cutoff_day: Annotated[
        int,
        typer.Option(help="Ngày chốt số liệu: 15 (Nghị định 09/2019, điều 12) hoặc 1 (theo lịch)."),
    ] = 15,
    send_after: Annotated[
        int, typer.Option(help="Số ngày làm việc từ ngày chốt số liệu đến ngày lập báo cáo.")
    ] = 1,
    hour: Annotated[int, typer.Option(help="Giờ lập báo cáo (giờ Việt Nam).")] = 7,
    formats: Annotated[
        str, typer.Option(help="docx, xlsx hoặc cả hai (cách nhau bằng dấu phẩy).")
    ] = ("docx,xlsx"),
    first: Annotated[
        str | None, typer.Option(help="Kỳ đầu tiên (ví dụ 2024-Q2); mặc định: kỳ sắp đến hạn.")
    ] = None,
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Schedule a periodic report: the worker renders it (Word, Excel) at each period's report
    date and queues it to the recipients through the outbox."""
    engine = _engine(db)
    s = engine.schedule_report(
        _actor(engine, who, as_admin),
        name=name,
        kind=every,
        recipients=to or [],
        cutoff_day=cutoff_day,
        send_after_days=send_after,
        hour=hour,
        formats=[f.strip() for f in formats.split(",") if f.strip()],
        first=first,
    )
    when = s.next_run_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
    out.print(f"báo cáo #{s.id} “{s.name}”: kỳ đầu {s.next_period}, lập lúc {when}", markup=False)


@reports_app.command("list")
def list_schedules(db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """The scheduled reports and their next period."""
    rows = _engine(db).report_schedules()
    if as_json:
        _print_json([{**r.__dict__, "next_run_at": r.next_run_at.isoformat()} for r in rows])
        return
    table = Table("#", "tên", "kỳ", "kỳ tới", "lập lúc", "gửi")
    for r in rows:
        when = r.next_run_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
        table.add_row(str(r.id), r.name, r.kind, r.next_period, when, ", ".join(r.recipients))
    out.print(table)


@reports_app.command("runs")
def runs(
    db: DbOpt = DEFAULT_DB,
    save: Annotated[Path | None, typer.Option(help="Thư mục ghi các tệp của từng báo cáo.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The reports produced (period, when, totals); ``--save DIR`` writes their files."""
    engine = _engine(db)
    done = engine.report_runs()
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        schedules = {s.id: s for s in engine.report_schedules()}
        for r in done:
            for fmt in schedules[r.schedule_id].formats:
                path = save / f"bao-cao-{r.schedule_id}-{r.period}.{fmt}"
                path.write_bytes(engine.report_file(r.id, fmt))
    if as_json:
        _print_json([{**r.__dict__, "produced_at": r.produced_at.isoformat()} for r in done])
        return
    table = Table("#", "báo cáo", "kỳ", "lập lúc", "tổng số", "đúng hạn", "quá hạn")
    for r in done:
        when = r.produced_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
        table.add_row(
            str(r.id),
            str(r.schedule_id),
            r.period,
            when,
            str(r.totals.get("total", 0)),
            str(r.totals.get("completed_on_time", 0)),
            str(r.totals.get("completed_late", 0) + r.totals.get("in_progress_overdue", 0)),
        )
    out.print(table)
