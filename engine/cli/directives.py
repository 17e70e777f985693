"""Directives: ``directives create/list/show/fire``, ``stats`` and ``deadline``.

Top-level commands are plain functions here; :mod:`.main` registers them on ``app``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from .. import errors
from ..clock import local_date
from ..core.permissions import Permission, require
from ..deadlines.calendar import WorkingCalendar
from ..deadlines.phrases import parse_deadline
from ..deadlines.status import Status, late_at_creation, lateness
from ..service.engine import DEFAULT_DB, NewDirective
from ..web.timeline import readable  # plain Python: the dashboard's readable timeline
from .common import (
    AsAdminOpt,
    AsOpt,
    DbOpt,
    JsonOpt,
    RoleOpt,
    UnitOpt,
    WorkflowsOpt,
    _actor,
    _directive_table,
    _engine,
    _parse_date,
    _print_json,
    err,
    out,
    text_table,
)

#: The heading of the first column of ``dondoc stats --by …``.
BY_LABELS = {"lead_unit": "Đơn vị chủ trì", "assignee": "Người thực hiện", "workflow": "Quy trình"}

directives_app = typer.Typer(
    help="Tạo, liệt kê, xem và thực hiện thao tác trên nhiệm vụ.", no_args_is_help=True
)


@directives_app.command("create")
def directives_create(
    workflow: Annotated[str, typer.Argument(help="Mã quy trình (xem: dondoc workflows list).")],
    title: Annotated[str, typer.Option(help="Tên nhiệm vụ: việc phải làm.")],
    content: Annotated[str, typer.Option(help="Toàn văn nội dung nhiệm vụ.")] = "",
    assignee: Annotated[
        str | None, typer.Option(help="Người thực hiện (mã đăng nhập trong danh bạ).")
    ] = None,
    reviewer: Annotated[
        str | None, typer.Option(help="Người xem xét kết quả (mã đăng nhập).")
    ] = None,
    assigner: Annotated[
        str | None, typer.Option(help="Người giao nhiệm vụ (mặc định: người tạo).")
    ] = None,
    lead_unit: Annotated[str | None, typer.Option("--unit-lead", help="Đơn vị chủ trì.")] = None,
    cooperating: Annotated[
        list[str] | None,
        typer.Option("--cooperating", help="Đơn vị phối hợp (lặp lại được)."),
    ] = None,
    deadline: Annotated[
        str | None, typer.Option(help='Thời hạn như văn bản ghi, ví dụ "trước ngày 01/07/2024".')
    ] = None,
    issued: Annotated[
        str | None, typer.Option(help="Ngày ban hành văn bản giao nhiệm vụ, dạng YYYY-MM-DD.")
    ] = None,
    due: Annotated[str | None, typer.Option(help="Hạn hoàn thành, dạng YYYY-MM-DD.")] = None,
    due_text: Annotated[
        str | None, typer.Option(help="Thời hạn như văn bản ghi (để hiển thị).")
    ] = None,
    doc_number: Annotated[
        str | None, typer.Option(help="Số/ký hiệu văn bản giao nhiệm vụ.")
    ] = None,
    parent: Annotated[int | None, typer.Option(help="Mã nhiệm vụ cha.")] = None,
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a directive (needs the create permission: global role assigner or admin)."""
    engine = _engine(db, extra)
    actor = _actor(engine, who, as_admin, roles, unit)
    require(actor, Permission.CREATE, "create")
    d = engine.create_directive(
        actor,
        workflow,
        NewDirective(
            title=title,
            content=content,
            assignee=assignee,
            reviewer=reviewer,
            assigner=assigner,
            lead_unit=lead_unit,
            cooperating_units=tuple(cooperating or ()),
            deadline=deadline,
            doc_date=_parse_date(issued, "issued"),
            due=_parse_date(due, "due"),
            due_text=due_text,
            doc_number=doc_number,
            parent_id=parent,
        ),
    )
    warning = late_at_creation(d.due, local_date(d.created_at))
    if warning:
        err.print(f"cảnh báo: {warning}", markup=False)
    if as_json:
        _print_json(asdict(d))
    else:
        out.print(f"đã tạo nhiệm vụ #{d.id} ({d.state_label})")


class SortOrder(StrEnum):
    """The orders of ``directives list`` (Queries' ORDERS)."""

    created = "created"
    due = "due"


@directives_app.command("list")
def directives_list(
    state: Annotated[str | None, typer.Option(help="Chỉ các nhiệm vụ ở trạng thái này.")] = None,
    unit: Annotated[str | None, typer.Option(help="Đơn vị chủ trì.")] = None,
    assignee: Annotated[
        str | None, typer.Option(help="Chỉ nhiệm vụ của người thực hiện này (mã đăng nhập).")
    ] = None,
    workflow: Annotated[str | None, typer.Option(help="Chỉ nhiệm vụ của quy trình này.")] = None,
    open_only: Annotated[
        bool, typer.Option("--open", help="Chỉ các nhiệm vụ chưa kết thúc.")
    ] = False,
    status: Annotated[
        str | None,
        typer.Option(
            help="Tình trạng theo bảng tổng hợp, ví dụ in_progress_overdue (đang thực hiện quá hạn)."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=10_000, help="Số nhiệm vụ mỗi trang (1–10000).")
    ] = 50,
    page: Annotated[int, typer.Option(min=1, help="Trang số mấy (từ 1).")] = 1,
    sort: Annotated[
        SortOrder,
        typer.Option(
            help="Thứ tự: created (theo ngày tạo) hoặc due (hạn sớm nhất trước, không hạn sau cùng)."
        ),
    ] = SortOrder.created,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Liệt kê nhiệm vụ theo trang (--limit mỗi trang, --page N, --sort due: hạn sớm trước)."""
    engine = _engine(db, extra)
    filters: dict[str, Any] = {
        "state": state,
        "unit": unit,
        "assignee": assignee,
        "workflow": workflow,
        "open_only": open_only,
        "status": status,
    }
    items = engine.directives(**filters, limit=limit, offset=(page - 1) * limit, order=sort.value)
    if as_json:
        _print_json([asdict(d) for d in items])
        return
    out.print(_directive_table(items, engine))
    total = engine.count_visible(None, **filters)
    pages = max(1, -(-total // limit))
    more = f"; trang sau: --page {page + 1}" if page < pages else ""
    out.print(f"trang {page}/{pages}, {total} nhiệm vụ{more}")


@directives_app.command("show")
def directives_show(
    directive_id: int,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one directive with its history."""
    engine = _engine(db, extra)
    d = engine.get(directive_id)
    hist = engine.history(directive_id)
    if as_json:
        _print_json({"directive": asdict(d), "history": [asdict(e) for e in hist]})
        return
    out.print(Text(f"#{d.id} {d.title}", style="bold"))
    out.print(f"  trạng thái: {d.state_label}, tiến độ {d.progress}%", markup=False)
    out.print(
        f"  chủ trì: {d.lead_unit or '—'}; thực hiện: {engine.display(d.assignee)}", markup=False
    )
    if d.assigner or d.reviewer:
        out.print(
            f"  người giao: {engine.display(d.assigner)}; người xem xét: {engine.display(d.reviewer)}",
            markup=False,
        )
    if d.due:
        late = lateness(d.status, d.days_late)
        out.print(
            f"  hạn: {d.due:%d/%m/%Y}"
            + (f"  ({d.due_text})" if d.due_text else "")
            + (f" — {late}" if late else ""),
            markup=False,
        )
    # The workflow's labels for states, triggers, timers and roles, as the dashboard shows them
    spec = engine.workflows.get(d.workflow, d.workflow_version).spec
    table = Table()
    table.add_column("lúc", no_wrap=True)  # dd/mm/yyyy hh:mm stays on one line
    for column in ("ai", "vai trò", "sự kiện", "ghi chú"):
        table.add_column(column, overflow="fold")
    for entry in readable(hist, spec, engine.directory):
        when = entry.at.strftime("%d/%m/%Y %H:%M")
        if entry.count > 1 and entry.last is not None:
            when += f" → {entry.last:%d/%m/%Y %H:%M}"
        text = f"{entry.count} lần: {entry.text}" if entry.count > 1 else entry.text
        table.add_row(when, entry.who, entry.role or "", text, entry.note or "")
    out.print(table)


@directives_app.command("fire")
def directives_fire(
    directive_id: int,
    trigger: str,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data", "-d", help="Một trường dữ liệu kèm theo, dạng khóa=giá_trị (lặp lại được)."
        ),
    ] = None,
    payload_json: Annotated[
        str | None, typer.Option("--payload", help="Dữ liệu kèm theo dạng đối tượng JSON.")
    ] = None,
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fire a trigger on a directive as a person."""
    payload: dict[str, Any] = {}
    if payload_json:
        try:
            loaded = json.loads(payload_json)
        except json.JSONDecodeError as exc:
            raise errors.PayloadError("--payload", f"không phải JSON hợp lệ: {exc.msg}") from None
        if not isinstance(loaded, dict):
            raise errors.PayloadError("--payload", "phải là một đối tượng JSON {…}")
        payload.update(loaded)
    for item in data or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise errors.PayloadError(item, "cần dạng khóa=giá_trị")
        payload[key.strip()] = value
    engine = _engine(db, extra)
    d = engine.fire(directive_id, trigger, _actor(engine, who, as_admin, roles, unit), payload)
    if as_json:
        _print_json(asdict(d))
    else:
        out.print(f"nhiệm vụ #{d.id}: {d.state_label}, tiến độ {d.progress}%", markup=False)


def deadline(
    phrase: Annotated[
        str, typer.Argument(help='Cụm từ chỉ thời hạn, ví dụ "trước ngày 01/07/2024".')
    ],
    issued: Annotated[str, typer.Option(help="Ngày ban hành văn bản, dạng YYYY-MM-DD.")],
    calendar_file: Annotated[
        Path | None,
        typer.Option(
            "--calendar", help="Tệp YAML điều chỉnh lịch làm việc (ngày nghỉ, ngày làm bù)."
        ),
    ] = None,
) -> None:
    """Read a Vietnamese deadline phrase: one JSON object on stdout (exit 1 if unreadable)."""
    day = _parse_date(issued, "issued")
    assert day is not None
    cal = WorkingCalendar.from_file(calendar_file) if calendar_file else None
    result = parse_deadline(phrase, day, calendar=cal)  # DeadlineError: exit 1
    sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")


def stats(
    by: Annotated[
        str,
        typer.Option(
            help="Nhóm theo: lead_unit (đơn vị chủ trì), assignee (người thực hiện) hoặc workflow (quy trình)."
        ),
    ] = "lead_unit",
    against: Annotated[
        str,
        typer.Option(
            help="Tính theo hạn hiện tại (current, kể cả gia hạn) hay hạn ban đầu (original)."
        ),
    ] = "current",
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The official status grid per unit (or assignee, or workflow)."""
    engine = _engine(db, extra)
    rows = engine.statistics(by=by, against=against)
    if as_json:
        _print_json(
            [
                {"key": r.key, "total": r.total, **{s.value: n for s, n in r.counts.items()}}
                for r in rows
            ]
        )
        return
    table = text_table(BY_LABELS.get(by, by))
    shown = [s for s in Status if s is not Status.CANCELLED]
    for s in shown:
        table.add_column(s.label, justify="right")
    table.add_column("Tổng", justify="right")
    for r in rows:
        key = engine.display(r.key) if by == "assignee" else r.key
        table.add_row(key, *(str(r.counts[s]) for s in shown), str(r.total))
    out.print(table)
