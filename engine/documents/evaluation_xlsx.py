"""The evaluation as an Excel workbook: a summary sheet (one row per person or unit) and a
detail sheet (one row per output, with the directive, its dues and its completion day), in
Vietnamese, with real date cells, a frozen header row and an auto-filter. Pure: a report's
dict (``EvaluationReport.as_dict()``) in, bytes out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

SUMMARY = (
    ("Đối tượng", "name", 34),
    ("Mã", "subject", 14),
    ("Số sản phẩm được giao (quy đổi)", "assigned", 14),
    ("Đúng hạn", "on_time", 10),
    ("Chậm", "late", 10),
    ("Chậm có lý do khách quan", "late_excused", 14),
    ("Quá hạn chưa xong", "open_overdue", 12),
    ("Số lượng (%)", "quantity_pct", 12),
    ("Chất lượng (%)", "quality_pct", 12),
    ("Tiến độ (%)", "progress_pct", 12),
    ("Điểm kết quả thực hiện nhiệm vụ (/70)", "task_points", 16),
    ("Điểm tiêu chí chung (/30)", "general_points", 14),
    ("Tổng điểm", "total", 10),
    ("Xếp loại", "band_label", 30),
)
DETAIL = (
    ("Đối tượng", "name", 30),
    ("Số nhiệm vụ", "directive_id", 10),
    ("Nhiệm vụ", "title", 50),
    ("Hạn ban đầu", "original_due", 13),
    ("Hạn hiện tại", "due", 13),
    ("Ngày hoàn thành", "completed", 13),
    ("Số lần chậm", "delays", 10),
    ("Lý do khách quan được xác nhận", "excused", 14),
    ("Số lần trả lại", "quality_failures", 10),
    ("Hệ số quy đổi", "weight", 10),
    ("Điểm tiến độ (quy đổi)", "progress", 12),
    ("Ghi chú", "reason", 30),
)


def _sheet(
    ws: Worksheet, columns: Sequence[tuple[str, str, int]], rows: Sequence[Mapping[str, Any]]
) -> None:
    ws.append([c[0] for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append([_cell(row.get(key)) for _, key, _ in columns])
    for i, (_, key, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
        if key in ("original_due", "due", "completed"):
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "DD/MM/YYYY"
        if key.endswith("_pct") or key in ("task_points", "total", "general_points"):
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "0.00"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "có" if value else ""
    return value


def evaluation_xlsx(report: Mapping[str, Any]) -> bytes:
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "Tổng hợp"
    rows = [{**r, **r["counts"]} for r in report["rows"]]
    _sheet(summary, SUMMARY, rows)
    detail = wb.create_sheet("Chi tiết")
    lines = [{**o, "name": r["name"]} for r in report["rows"] for o in r["outputs"] if o["counted"]]
    _sheet(detail, DETAIL, lines)
    wb.properties.title = f"Đánh giá kết quả thực hiện nhiệm vụ {report['period_label']}"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
