"""Documents: ``render``, ``outbox``, ``extract`` and ``import``.

The commands are plain functions here; :mod:`.main` registers them on ``app``.
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from .. import errors
from ..core.machine import load_workflows
from ..core.permissions import Permission, require
from ..service.engine import DEFAULT_DB, Engine
from .common import (
    AsAdminOpt,
    AsOpt,
    DbOpt,
    JsonOpt,
    RoleOpt,
    UnitOpt,
    WorkflowsOpt,
    _actor,
    _engine,
    _parse_date,
    _print_json,
    err,
    out,
    text_table,
)


def render(
    template: Annotated[
        str,
        typer.Argument(
            help="Mẫu văn bản: chasing_letter (công văn đôn đốc), reminder (nhắc việc), escalation (báo cáo vượt cấp), self_assessment (tự đánh giá), progress_report (báo cáo tình hình) hoặc mã mẫu của quản trị viên."
        ),
    ],
    directive_id: Annotated[int | None, typer.Option("--directive", help="Mã nhiệm vụ.")] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="docx, pdf, html, txt hoặc xlsx (báo cáo). Mặc định: theo đuôi tệp -o, nếu không thì pdf.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Tệp kết quả (mặc định: in ra màn hình với html/txt)."),
    ] = None,
    office_file: Annotated[
        Path | None,
        typer.Option(
            "--office", help="Tệp YAML hồ sơ cơ quan (mặc định: hồ sơ lưu trong cơ sở dữ liệu)."
        ),
    ] = None,
    templates_dir: Annotated[
        Path | None,
        typer.Option(
            "--templates",
            envvar="DONDOC_TEMPLATES",
            help="Thư mục mẫu văn bản của quản trị viên (thay mẫu có sẵn cùng tên).",
        ),
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            help="Tệp YAML danh bạ người dùng (mặc định: danh bạ lưu trong cơ sở dữ liệu)."
        ),
    ] = None,
    against: Annotated[
        str,
        typer.Option(
            help="Báo cáo tình hình: tính theo hạn hiện tại (current) hay hạn ban đầu (original)."
        ),
    ] = "current",
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
) -> None:
    """Render a letter for a directive (or the progress report) as Word, PDF, HTML, text or
    Excel, with the people directory and office profile kept in the database."""
    from ..core.directory import SimpleDirectory
    from ..documents.office import Office
    from ..documents.render import Renderer
    from ..service.documents import FORMATS

    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output is not None else ""
        fmt = suffix if suffix in FORMATS else "pdf"
    engine = Engine(
        db,
        workflows=load_workflows(*(str(p) for p in extra or []), template_dir=templates_dir),
        renderer=Renderer(templates_dir),
        directory=SimpleDirectory.from_file(directory) if directory else None,
    )
    if output is None and fmt in ("pdf", "docx", "xlsx"):
        err.print(f"lỗi: {fmt} là tệp nhị phân; hãy cho -o TỆP")
        raise typer.Exit(2)
    doc = engine.document(
        template,
        fmt=fmt,
        directive_id=directive_id,
        against=against,
        office=Office.from_file(office_file) if office_file else None,
    )
    for warning in doc.warnings:
        err.print(f"cảnh báo: {warning}", markup=False)
    if output is None:
        sys.stdout.write(doc.data.decode())
        return
    output.write_bytes(doc.data)
    size = f"{len(doc.data):,}".replace(",", ".")  # 12.345 byte, as Vietnamese write it
    out.print(f"đã ghi {output} ({size} byte)", markup=False)


def outbox_list(
    status: Annotated[
        str | None,
        typer.Option(
            help="Trạng thái: pending (chờ gửi), sending (đang gửi), sent (đã gửi tới người "
            "nhận), logged (chỉ ghi vào nhật ký hoặc tệp) hoặc failed (gửi lỗi)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Nhiều nhất bấy nhiêu thông báo.")] = 50,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List notifications in the outbox (failed ones are the dead letters)."""
    engine = _engine(db, extra)
    items = engine.outbox(status=status, limit=limit)
    if as_json:
        _print_json([asdict(m) for m in items])
        return
    table = Table()
    table.add_column("id", no_wrap=True)
    table.add_column("trạng thái", no_wrap=True)  # "đã ghi nhật ký" vs "đã gửi", never cut
    for col in ("người nhận", "mẫu", "tiêu đề", "lần gửi", "lỗi"):
        table.add_column(col, overflow="fold")
    for m in items:
        table.add_row(
            str(m.id),
            m.status_label,
            engine.display(m.recipient),
            m.template,
            m.subject,
            str(m.attempts),
            m.last_error or "",
        )
    out.print(table)


def extract(
    file: Annotated[Path, typer.Argument(help="Văn bản kết luận (.txt UTF-8 hoặc .docx).")],
    units: Annotated[
        Path | None, typer.Option(help="Tệp YAML danh mục đơn vị (tên gọi khác, lãnh đạo).")
    ] = None,
    issued: Annotated[
        str | None, typer.Option(help="Ngày ban hành, khi văn bản không ghi (YYYY-MM-DD).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose the directives a conclusion document issues (what, who, by when)."""
    from ..extraction.document import extract as run_extract
    from ..extraction.document import read_document
    from ..extraction.units import UnitsDirectory

    result = run_extract(
        read_document(file),
        units=UnitsDirectory.from_file(units) if units else None,
        issued=_parse_date(issued, "issued"),
    )
    if as_json:
        _print_json(result.to_json())
        return
    _print_extraction(result)


def _print_extraction(result: Any) -> None:
    h = result.header
    out.print(Text(h.title or "(không có trích yếu)", style="bold"))
    out.print(f"  {h.describe()}", markup=False)
    for w in h.warnings:
        out.print(f"  [yellow]! {w}[/yellow]")
    table = text_table("#", "nhiệm vụ", "đơn vị / người", "hạn", "tin cậy", "cần xem")
    for i, d in enumerate(result.drafts):
        who = " / ".join(x for x in (d.unit, d.assignee, d.concerns) if x) or "—"
        due = (
            d.due.strftime("%d/%m/%Y") + (d.due_time.strftime(" %H:%M") if d.due_time else "")
            if d.due
            else ("từ " + d.start.strftime("%d/%m/%Y") if d.start else "—")
        )
        if d.event and not d.due:
            due = f"khi: {d.event}"  # relative to an event: no date until it happens
        table.add_row(str(i), d.text, who, due, f"{d.confidence:.2f}", "; ".join(d.flags))
    out.print(table)


def import_document(
    file: Annotated[Path, typer.Argument(help="Văn bản kết luận (.txt hoặc .docx).")],
    workflow: Annotated[str, typer.Option(help="Quy trình của các nhiệm vụ được tạo.")],
    units: Annotated[Path | None, typer.Option(help="Tệp YAML danh mục đơn vị.")] = None,
    issued: Annotated[
        str | None, typer.Option(help="Ngày ban hành, khi văn bản không ghi (YYYY-MM-DD).")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Nhận mọi đề xuất, không hỏi từng cái.")
    ] = False,
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
) -> None:
    """Extract, confirm each draft (or --yes), and create them under one parent directive."""
    from ..extraction.document import extract as run_extract
    from ..extraction.document import read_document
    from ..extraction.units import UnitsDirectory

    engine = _engine(db, extra)
    engine.workflows.get(workflow)  # a typo fails before anything is read
    actor = _actor(engine, who, as_admin, roles, unit)
    require(actor, Permission.CREATE, "import")
    result = run_extract(
        read_document(file),
        units=UnitsDirectory.from_file(units) if units else None,
        issued=_parse_date(issued, "issued"),
    )
    _print_extraction(result)
    if yes:
        accept = list(range(len(result.drafts)))
    elif not sys.stdin.isatty():
        raise errors.PayloadError(
            "--yes", "không chạy trong cửa sổ dòng lệnh: hãy xác nhận từng đề xuất, hoặc thêm --yes"
        )
    else:
        accept = [
            i
            for i, d in enumerate(result.drafts)
            if typer.confirm(f"Tạo nhiệm vụ #{i}: {d.text}?", default=d.confidence >= 0.6)
        ]
    parent, children = engine.import_drafts(actor, result, workflow, accept=accept)
    out.print(f"đã tạo nhiệm vụ #{parent.id} cho văn bản và {len(children)} nhiệm vụ thuộc nó")
