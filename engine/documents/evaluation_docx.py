"""The evaluation as a Word document: a landscape A4 table, one row per person or unit (the
Decree 335/2025 sub-scores, points and band), then each one's outputs with the directive, its
dues and its completion day — to edit, sign and attach to the evaluation file. Pure: a
report's dict (``EvaluationReport.as_dict()``) in, bytes out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from io import BytesIO
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

FONT = "Times New Roman"
SUMMARY = (
    ("Đối tượng", "name"),
    ("Giao (quy đổi)", "assigned"),
    ("Đúng hạn", "on_time"),
    ("Chậm", "late"),
    ("Chậm có lý do khách quan", "late_excused"),
    ("Quá hạn chưa xong", "open_overdue"),
    ("Số lượng (%)", "quantity_pct"),
    ("Chất lượng (%)", "quality_pct"),
    ("Tiến độ (%)", "progress_pct"),
    ("Điểm nhiệm vụ (/70)", "task_points"),
    ("Tổng điểm", "total"),
    ("Xếp loại", "band_label"),
)
DETAIL = (
    ("Số", "directive_id"),
    ("Nhiệm vụ", "title"),
    ("Hạn ban đầu", "original_due"),
    ("Hạn hiện tại", "due"),
    ("Ngày hoàn thành", "completed"),
    ("Số lần chậm", "delays"),
    ("Ghi chú", "reason"),
)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "có" if value else ""
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _table(doc: Any, columns: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, Any]]) -> None:
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, (title, _) in zip(table.rows[0].cells, columns, strict=True):
        cell.text = title
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, (_, key) in zip(cells, columns, strict=True):
            cell.text = _text(row.get(key))


def evaluation_docx(report: Mapping[str, Any]) -> bytes:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(
        f"KẾT QUẢ ĐÁNH GIÁ THỰC HIỆN NHIỆM VỤ {str(report['period_label']).upper()}"
    )
    run.bold = True
    run.font.size = Pt(14)
    basis = (
        "thời hạn ban đầu"
        if report.get("progress_due_basis") == "original"
        else ("thời hạn sau gia hạn")
    )
    sub = doc.add_paragraph(
        f"(từ {_text(report.get('start'))} đến {_text(report.get('end'))}; "
        f"tiến độ tính theo {basis}; Nghị định 335/2025/NĐ-CP, Điều 12, 14, 20)"
    )
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    rows = [{**r, **r["counts"]} for r in report["rows"]]
    doc.add_paragraph().add_run("1. Tổng hợp").bold = True
    _table(doc, SUMMARY, rows)
    doc.add_paragraph().add_run("2. Chi tiết sản phẩm").bold = True
    for r in report["rows"]:
        doc.add_paragraph(str(r["name"])).runs[0].italic = True
        _table(doc, DETAIL, [o for o in r["outputs"] if o["counted"]])
    doc.core_properties.title = f"Đánh giá kết quả thực hiện nhiệm vụ {report['period_label']}"
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()
