"""Excel output: the progress report and its status grids as .xlsx (openpyxl). Pure.

Fed by plain rows (the report context of :meth:`Engine.document_context`, the same one the
HTML and Word reports use), so whether the rows come from Python or from SQL aggregates does
not matter here. One sheet per view — per unit, per person, per period (month of the due date)
— and one with every directive (original and current due date, days late). Vietnamese headers,
dates as real date cells (dd/mm/yyyy), the header row frozen, an auto-filter on every table.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

DATE_FORMAT = "DD/MM/YYYY"
#: The grid's columns, in the order of the official report (status value, header).
GRID_COLUMNS: tuple[tuple[str, str], ...] = (
    ("completed_on_time", "Hoàn thành đúng hạn"),
    ("completed_late", "Hoàn thành quá hạn"),
    ("in_progress_on_time", "Đang thực hiện trong hạn"),
    ("due_soon", "Sắp đến hạn"),
    ("in_progress_overdue", "Đang thực hiện quá hạn"),
    ("no_deadline", "Không có thời hạn"),
)
ITEM_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("index", "TT", 6),
    ("title", "Nhiệm vụ", 60),
    ("lead_unit", "Đơn vị chủ trì", 22),
    ("assignee_display", "Người thực hiện", 36),
    ("original_due", "Hạn ban đầu", 13),
    ("due", "Hạn hiện tại", 13),
    ("due_text", "Thời hạn theo văn bản", 28),
    ("done_on", "Ngày hoàn thành", 14),
    ("state_label", "Trạng thái", 26),
    ("status_label", "Đánh giá", 24),
    ("days_late", "Số ngày quá hạn", 11),
)
FONT = "Times New Roman"
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def report_xlsx(context: Mapping[str, Any]) -> bytes:
    """The progress report workbook from its context: ``rows`` (per unit), ``by_person``,
    ``by_period`` (each ``{"key", "total", "counts": {status: n}}``), ``items`` (one mapping
    per directive) and ``today``."""
    wb = Workbook()
    today = context.get("today")
    period = context.get("period")
    if period:
        today = (
            f"{period['label']} (số liệu từ {period['start']:%d/%m/%Y} "
            f"đến {period['as_of']:%d/%m/%Y})"
        )
    against = context.get("against", "current")
    basis = "thời hạn ban đầu" if against == "original" else "thời hạn hiện tại (sau gia hạn)"
    first = wb.active
    assert first is not None
    _grid(first, "Theo đơn vị", "Đơn vị chủ trì", context.get("rows", []), today, basis)
    _grid(
        wb.create_sheet(),
        "Theo người",
        "Người thực hiện",
        context.get("by_person", []),
        today,
        basis,
    )
    _grid(
        wb.create_sheet(),
        "Theo kỳ",
        "Kỳ (tháng đến hạn)",
        context.get("by_period", []),
        today,
        basis,
    )
    _items(wb.create_sheet(), context.get("items", []), today)
    wb.properties.title = "Báo cáo tình hình thực hiện nhiệm vụ"
    wb.properties.creator = "dondoc"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _title(ws: Worksheet, text: str, today: Any, basis: str | None, width: int) -> int:
    """Two title rows above the table; returns the header row's number."""
    if isinstance(today, date):
        when = f" đến ngày {today:%d/%m/%Y}"
    else:  # a period: "quý II/2024 (số liệu từ … đến …)"
        when = f" {today}" if today else ""
    ws.cell(1, 1, f"{text}{when}").font = Font(name=FONT, bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    if basis:
        ws.cell(2, 1, f"Tình trạng tính theo {basis}").font = Font(name=FONT, italic=True)
    return 3


def _print_setup(ws: Worksheet, header_row: int) -> None:
    """A4 landscape, one page wide, the header row repeated on every printed page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{header_row}:{header_row}"


def _header(ws: Worksheet, row: int, headers: Sequence[str]) -> None:
    for col, text in enumerate(headers, 1):
        cell = ws.cell(row, col, text)
        cell.font = Font(name=FONT, bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[row].height = 45
    ws.freeze_panes = ws.cell(row + 1, 1)
    _print_setup(ws, row)


def _grid(
    ws: Worksheet,
    title: str,
    key_header: str,
    rows: Iterable[Mapping[str, Any]],
    today: Any,
    basis: str,
) -> None:
    ws.title = title
    headers = [key_header, "Tổng số", *(h for _, h in GRID_COLUMNS)]
    top = _title(ws, f"Tình hình thực hiện nhiệm vụ — {title.lower()}", today, basis, len(headers))
    _header(ws, top, headers)
    r = top
    totals = [0] * (len(GRID_COLUMNS) + 1)
    for r, row in enumerate(rows, top + 1):
        counts = row.get("counts", {})
        values = [int(row.get("total", 0)), *(int(counts.get(s, 0)) for s, _ in GRID_COLUMNS)]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        _write_row(ws, r, [str(row.get("key", "")), *values])
    last = r
    if last > top:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(headers))}{last}"
        _write_row(ws, last + 1, ["Cộng", *totals])
        for col in range(1, len(headers) + 1):
            ws.cell(last + 1, col).font = Font(name=FONT, bold=True)
    ws.column_dimensions["A"].width = 40
    for col in range(2, len(headers) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 14


def _items(ws: Worksheet, items: Iterable[Mapping[str, Any]], today: Any) -> None:
    ws.title = "Danh sách nhiệm vụ"
    headers = [h for _, h, _ in ITEM_COLUMNS]
    top = _title(ws, "Danh sách nhiệm vụ", today, None, len(headers))
    _header(ws, top, headers)
    r = top
    for r, item in enumerate(items, top + 1):
        values = [
            r - top if key == "index" else _cell_value(item.get(key)) for key, _, _ in ITEM_COLUMNS
        ]
        _write_row(ws, r, values)
    if r > top:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(headers))}{r}"
    for col, (_, _, width) in enumerate(ITEM_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Có" if value else "Không"
    return value


def _write_row(ws: Worksheet, row: int, values: Sequence[Any]) -> None:
    for col, value in enumerate(values, 1):
        cell = ws.cell(row, col, value)
        cell.font = Font(name=FONT)
        cell.border = BORDER
        if isinstance(value, date):
            cell.number_format = DATE_FORMAT
            cell.alignment = Alignment(horizontal="center")
        elif isinstance(value, str):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
