"""Regenerate the bundled Word templates (templates/*.docx) in the Decree 30/2020 layout.

    python docs/make_docx_templates.py

The .docx files are the templates admins copy and edit in Word (Jinja2 tags in the text,
docxtpl's ``{%p …%}`` for a whole paragraph, ``{%tr …%}`` for a table row); this script is how
the bundled ones were made, so a change of layout is made here once for all five. The test
suite checks that the shipped files are what this script writes (tests/test_word_excel.py).

Layout (Decree 30/2020/NĐ-CP, appendix I): A4; margins top 20 mm, bottom 20 mm, left 30 mm,
right 15 mm; Times New Roman; the issuing body (upper case, the body's name bold, a short rule
under it) and the number/symbol on the left, the national motto (bold, a rule under it) and the
place and date (italic) on the right; the document kind and summary centred in bold (or, for a
công văn, "V/v …" under the number); "Kính gửi"; the body justified with a 1 cm first-line
indent; "Nơi nhận" (bold italic, 12 pt, its list 11 pt) on the left and the signature block
(TM./KT./TL. lines, position, name, bold) on the right.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

OUT = Path(__file__).resolve().parent.parent / "templates"
FONT = "Times New Roman"
Run = tuple[str, str]  # (style flags: "", "b", "i", "bi"; text)


@dataclass
class Spec:
    """One document: its kind code, title block, addressee, body, extra recipients, signer."""

    kind_code: str
    kind: str | None  # None for a công văn: "V/v …" goes under the number instead
    summary: str
    recipients: str
    body: list[Sequence[Run] | str | tuple[str, list[list[str]]]]
    noi_nhan: list[str] = field(default_factory=lambda: ["- Như trên;"])
    signature: list[str] | None = None  # None: the office's signer


CHASING_BODY: list[Sequence[Run] | str | tuple[str, list[list[str]]]] = [
    "{% if directive.doc_number %}Thực hiện Thông báo số {{ directive.doc_number }}{% if directive.doc_date %} {{ directive.doc_date | long_date }}{% endif %}{% if directive.doc_issuer %} của {{ directive.doc_issuer }}{% endif %}, {% endif %}đồng chí {{ recipient.display }} được giao nhiệm vụ: “{{ directive.title }}”{% if case == 'standing' %}, là nhiệm vụ thường xuyên, không ấn định thời hạn hoàn thành{% else %}, thời hạn hoàn thành {{ directive.due | dmy }}{% if directive.due_text %} (“{{ directive.due_text }}”){% endif %}{% if directive.extended %}, đã được gia hạn từ thời hạn ban đầu {{ directive.original_due | dmy }}{% endif %}{% endif %}.",
    "{% if case == 'overdue' %}Đến {{ today | long_date }}, nhiệm vụ đã quá hạn {{ days_late }} ngày{% if directive.extended %} (kể cả thời gian đã được gia hạn){% endif %} nhưng chưa hoàn thành (trạng thái: {{ directive.state_label }}; tiến độ {{ directive.progress }}%).{% elif case == 'due_soon' %}Đến {{ today | long_date }}, chỉ còn {{ working_days_left }} ngày làm việc là đến hạn nhưng nhiệm vụ chưa hoàn thành (trạng thái: {{ directive.state_label }}; tiến độ {{ directive.progress }}%).{% elif case == 'standing' %}Đến {{ today | long_date }}, {{ office.name_in_text }} chưa nhận được báo cáo kết quả thực hiện nhiệm vụ này (trạng thái: {{ directive.state_label }}; tiến độ {{ directive.progress }}%).{% else %}Đến {{ today | long_date }}, nhiệm vụ đang được thực hiện (trạng thái: {{ directive.state_label }}; tiến độ {{ directive.progress }}%), còn {{ working_days_left }} ngày làm việc là đến hạn.{% endif %}",
    "{% if case == 'overdue' %}Để bảo đảm tiến độ chung, {{ office.name_in_text }} đề nghị đồng chí khẩn trương hoàn thành nhiệm vụ nêu trên, báo cáo kết quả bằng văn bản{% if directive.assigner_display %} về {{ directive.assigner_display }}{% endif %}; trường hợp không hoàn thành, báo cáo rõ nguyên nhân chủ quan, khách quan và đề xuất giải pháp.{% elif case == 'standing' %}{{ office.name_in_text }} đề nghị đồng chí báo cáo kết quả theo dõi, đôn đốc thực hiện nhiệm vụ nêu trên bằng văn bản{% if directive.assigner_display %} về {{ directive.assigner_display }}{% endif %}, nêu rõ những việc đã làm, khó khăn, vướng mắc và đề xuất (nếu có).{% else %}{{ office.name_in_text }} đề nghị đồng chí tập trung hoàn thành nhiệm vụ nêu trên đúng thời hạn, báo cáo kết quả bằng văn bản{% if directive.assigner_display %} về {{ directive.assigner_display }}{% endif %}; trường hợp không thể hoàn thành đúng hạn, kịp thời báo cáo nguyên nhân và đề xuất gia hạn.{% endif %}",
    "Đề nghị đồng chí quan tâm thực hiện./.",
]

REMINDER_BODY: list[Sequence[Run] | str | tuple[str, list[list[str]]]] = [
    "Nhiệm vụ “{{ directive.title }}”{% if directive.doc_number %} theo văn bản số {{ directive.doc_number }}{% endif %} có thời hạn hoàn thành {{ directive.due | dmy }}{% if directive.due_text %} (“{{ directive.due_text }}”){% endif %}{% if directive.extended %} (đã gia hạn từ {{ directive.original_due | dmy }}){% endif %}{% if working_days_left is not none %}, còn {{ working_days_left }} ngày làm việc{% endif %}.",
    "Trạng thái hiện tại: {{ directive.state_label }}; tiến độ {{ directive.progress }}%.",
    "Đề nghị đồng chí {{ recipient.display }} sắp xếp hoàn thành đúng thời hạn và cập nhật kết quả trên hệ thống./.",
]

ESCALATION_BODY: list[Sequence[Run] | str | tuple[str, list[list[str]]]] = [
    "Nhiệm vụ “{{ directive.title }}”{% if directive.doc_number %} tại văn bản số {{ directive.doc_number }}{% endif %}, giao đồng chí {{ directive.assignee_display or '—' }}{% if directive.lead_unit %} ({{ directive.lead_unit }} chủ trì){% endif %}, có thời hạn {{ directive.due | dmy }}{% if directive.extended %} (đã gia hạn từ {{ directive.original_due | dmy }}){% endif %}, đến {{ today | long_date }} đã quá hạn {{ days_late }} ngày và chưa có báo cáo kết quả.",
    "Trạng thái: {{ directive.state_label }}; tiến độ {{ directive.progress }}%.{% if repeat_index > 1 %} Đây là lần báo cáo thứ {{ repeat_index }}.{% endif %}",
    "Kính báo cáo {{ recipient.display }} xem xét, chỉ đạo xử lý./.",
]

FORMS_DEFAULT = "[('khong', 'Không đề xuất (đã khắc phục)'), ('kiem_diem_rut_kinh_nghiem', 'Kiểm điểm rút kinh nghiệm'), ('khien_trach', 'Khiển trách'), ('canh_cao', 'Cảnh cáo'), ('cach_chuc', 'Cách chức')]"
SELF_ASSESSMENT_BODY: list[Sequence[Run] | str | tuple[str, list[list[str]]]] = [
    [
        ("", "Họ và tên: "),
        ("b", "{{ assignee.name }}"),
        (
            "",
            "{% if assignee.position %}; chức vụ: {{ assignee.position }}{% endif %}{% if directive.lead_unit %}; đơn vị: {{ directive.lead_unit }}{% endif %}.",
        ),
    ],
    "Thực hiện {% if directive.doc_number %}Thông báo số {{ directive.doc_number }}{% if directive.doc_date %} {{ directive.doc_date | long_date }}{% endif %}{% else %}kết luận{% endif %}{% if directive.doc_issuer %} của {{ directive.doc_issuer }}{% endif %}: “{{ directive.content or directive.title }}”, tôi xin báo cáo tự đánh giá như sau:",
    [("b", "1. Kết quả khắc phục tồn tại, hạn chế")],
    "{{ directive.data.report if directive.data.report is defined else '………………………………………………………………………………' }}",
    [
        ("b", "2. Tự đánh giá: "),
        (
            "",
            "{{ '☒' if directive.data.shortcomings_fixed is defined and directive.data.shortcomings_fixed else '☐' }} Đã khắc phục được    {{ '☒' if directive.data.shortcomings_fixed is defined and not directive.data.shortcomings_fixed else '☐' }} Chưa khắc phục được",
        ),
    ],
    [("b", "3. Tự đề xuất hình thức kiểm điểm, kỷ luật"), ("", " (nếu chưa khắc phục được):")],
    (
        "{%tr for code, label in (choices.proposed_discipline if 'proposed_discipline' in choices else "
        + FORMS_DEFAULT
        + ") %}",
        [
            ["Hình thức", "Đề xuất"],
            [
                "{{ label }}",
                "{{ '☒' if directive.data.proposed_discipline is defined and directive.data.proposed_discipline == code else '☐' }}",
            ],
        ],
    ),
    "Thời hạn gửi báo cáo: {{ directive.due | dmy }}{% if directive.due_text %} (“{{ directive.due_text }}”){% endif %}.",
]

GRID_HEAD = [
    "Đơn vị",
    "Tổng số",
    "Hoàn thành đúng hạn",
    "Hoàn thành quá hạn",
    "Trong hạn",
    "Sắp đến hạn",
    "Quá hạn",
    "Không có thời hạn",
]
GRID_ROW = [
    "{{ row.key }}",
    "{{ row.total }}",
    "{{ row.counts.completed_on_time }}",
    "{{ row.counts.completed_late }}",
    "{{ row.counts.in_progress_on_time }}",
    "{{ row.counts.due_soon }}",
    "{{ row.counts.in_progress_overdue }}",
    "{{ row.counts.no_deadline }}",
]
REPORT_BODY: list[Sequence[Run] | str | tuple[str, list[list[str]]]] = [
    [
        ("b", "1. Tổng hợp theo đơn vị chủ trì"),
        (
            "",
            " (thời hạn tính theo {{ 'thời hạn ban đầu' if against == 'original' else 'thời hạn sau gia hạn' }})",
        ),
    ],
    (
        "{%tr for row in rows %}",
        [
            GRID_HEAD,
            GRID_ROW,
            [
                "Cộng",
                "{{ totals.total }}",
                "{{ totals.completed_on_time }}",
                "{{ totals.completed_late }}",
                "{{ totals.in_progress_on_time }}",
                "{{ totals.due_soon }}",
                "{{ totals.in_progress_overdue }}",
                "{{ totals.no_deadline }}",
            ],
        ],
    ),
    [("b", "2. Tổng hợp theo người thực hiện")],
    ("{%tr for row in by_person %}", [["Người thực hiện", *GRID_HEAD[1:]], GRID_ROW]),
    [("b", "3. Nhiệm vụ quá hạn chưa hoàn thành")],
    "{% if not overdue %}Không có nhiệm vụ quá hạn.{% else %}Có {{ overdue | length }} nhiệm vụ quá hạn chưa hoàn thành:{% endif %}",
    (
        "{%tr for d in overdue %}",
        [
            ["TT", "Nhiệm vụ", "Đơn vị chủ trì", "Người thực hiện", "Hạn", "Số ngày quá hạn"],
            [
                "{{ loop.index }}",
                "{{ d.title }}",
                "{{ d.lead_unit or '—' }}",
                "{{ d.assignee_display or '—' }}",
                "{{ d.due | dmy }}",
                "{{ d.days_late }}",
            ],
        ],
    ),
]

SPECS: dict[str, Spec] = {
    "chasing_letter": Spec(
        "CV",
        None,
        "V/v đôn đốc thực hiện nhiệm vụ{% if directive.doc_number %} tại Thông báo số {{ directive.doc_number }}{% endif %}",
        "Kính gửi: {{ recipient.display }}.",
        CHASING_BODY,
        [
            "- Như trên;",
            "{% if directive.assigner_display %}- {{ directive.assigner_display }} (để b/c);{% endif %}",
        ],
    ),
    "reminder": Spec(
        "PNV",
        "PHIẾU NHẮC VIỆC",
        "Nhiệm vụ sắp đến hạn: {{ directive.title }}",
        "Kính gửi: {{ recipient.display }}.",
        REMINDER_BODY,
    ),
    "escalation": Spec(
        "BC",
        "BÁO CÁO",
        "Về nhiệm vụ quá hạn chưa hoàn thành",
        "Kính gửi: {{ recipient.display }}.",
        ESCALATION_BODY,
    ),
    "self_assessment": Spec(
        "BC",
        "BÁO CÁO TỰ ĐÁNH GIÁ",
        "Việc khắc phục tồn tại, hạn chế{% if directive.doc_number %} theo Thông báo số {{ directive.doc_number }}{% endif %}",
        "Kính gửi: Ban Giám đốc {{ directive.doc_issuer or office.name_in_text }}.",
        SELF_ASSESSMENT_BODY,
        ["- Như trên;"],
        ["NGƯỜI BÁO CÁO", "", "", "", "{{ assignee.name }}"],
    ),
    "progress_report": Spec(
        "BC",
        "BÁO CÁO",
        "Tình hình thực hiện nhiệm vụ{% if scope %} {{ scope }}{% endif %}{% if period %} {{ period.label }} (số liệu từ {{ period.start | dmy }} đến {{ period.as_of | dmy }}){% else %} đến {{ today | dmy }}{% endif %}",
        "Kính gửi: {{ report_to or 'Lãnh đạo cơ quan' }}.",
        REPORT_BODY,
    ),
}


# --- python-docx helpers -------------------------------------------------------------------


def _fonts(run_or_style_rpr: OxmlElement) -> None:
    fonts = run_or_style_rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        run_or_style_rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _para(
    where: Document | _Cell,
    runs: Sequence[Run] | str,
    *,
    size: float = 14,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
    after: float = 0,
    before: float = 0,
) -> Paragraph:
    p = where.add_paragraph()
    fmt = p.paragraph_format
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(before)
    fmt.line_spacing = 1.1
    if align is not None:
        p.alignment = align
    if indent:
        fmt.first_line_indent = Cm(1)
    for flags, text in [("", runs)] if isinstance(runs, str) else runs:
        r = p.add_run(text)
        r.font.name = FONT
        r.font.size = Pt(size)
        r.bold = "b" in flags or None
        r.italic = "i" in flags or None
        _fonts(r._element.get_or_add_rPr())
    return p


def _rule(where: _Cell, width_cm: float, cell_cm: float) -> None:
    """A short horizontal rule under a centred line (the bottom border of an empty paragraph)."""
    p = where.add_paragraph()
    side = Cm(max(0.0, (cell_cm - width_cm) / 2))
    p.paragraph_format.left_indent = side
    p.paragraph_format.right_indent = side
    p.paragraph_format.space_after = Pt(4)
    r = p.add_run("")
    r.font.size = Pt(2)
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(k), v)
    border.append(bottom)
    ppr.append(border)


def _first(cell: _Cell) -> None:
    """Drop the empty paragraph a new cell starts with (content is added after it)."""
    p = cell.paragraphs[0]._p
    p.getparent().remove(p)


def _borders(table: object, on: bool) -> None:
    tbl = table._tbl  # type: ignore[attr-defined]
    tblpr = tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "single" if on else "nil")
        if on:
            e.set(qn("w:sz"), "4")
            e.set(qn("w:color"), "000000")
        borders.append(e)
    tblpr.append(borders)


def _widths(table: object, widths_cm: Sequence[float]) -> None:
    """Column widths in the table grid (what Word and LibreOffice lay out) and on each cell."""
    table.autofit = False  # type: ignore[attr-defined]
    for column, w in zip(table.columns, widths_cm, strict=True):  # type: ignore[attr-defined]
        column.width = Cm(w)
    for row in table.rows:  # type: ignore[attr-defined]
        for cell, w in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(w)


def _data_table(doc: Document, loop: str, rows: list[list[str]]) -> None:
    """A bordered table: header row(s) as given, then ``rows[1]`` repeated by ``loop``
    (docxtpl ``{%tr …%}`` rows before and after it), then any closing rows (totals)."""
    header, repeated, *closing = rows
    ncols = len(header)
    table = doc.add_table(rows=0, cols=ncols)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _borders(table, True)
    size = 11 if ncols > 4 else 13

    def add(cells: Sequence[str], bold: bool = False, center: bool = False) -> None:
        row = table.add_row()
        for i, text in enumerate(cells):
            c = row.cells[i]
            _first(c)
            numeric = i > 0 and ncols > 4 and "title" not in text and "display" not in text
            _para(
                c,
                [("b" if bold else "", text)],
                size=size,
                align=WD_ALIGN_PARAGRAPH.CENTER if bold or center or numeric else None,
            )

    add(header, bold=True)
    add([loop] + [""] * (ncols - 1))
    add(repeated)
    add(["{%tr endfor %}"] + [""] * (ncols - 1))
    for extra in closing:
        add(extra, bold=True)
    if ncols == 2:
        _widths(table, [12.5, 4.0])
    elif ncols == 6:
        _widths(table, [1.0, 5.3, 2.6, 3.7, 2.5, 1.4])
    else:
        _widths(table, [4.6, *[1.7] * (ncols - 1)])
    _para(doc, "", size=6)


def build(spec: Spec) -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    _fonts(normal.element.get_or_add_rPr())
    doc.core_properties.title = spec.kind or "Công văn"
    doc.core_properties.author = "dondoc"
    doc.core_properties.comments = "Mẫu theo Nghị định 30/2020/NĐ-CP (thẻ Jinja2)"

    # Header: issuing body and number | national motto and place, date.
    left_cm, right_cm = 7.0, 9.5
    head = doc.add_table(rows=1, cols=2)
    _borders(head, False)
    _widths(head, [left_cm, right_cm])
    left, right = head.rows[0].cells
    _first(left)
    _first(right)
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(left, "{%p if office.parent %}", size=12, align=center)
    _para(left, "{{ office.parent | upper }}", size=12, align=center)
    _para(left, "{%p endif %}", size=12, align=center)
    _para(left, [("b", "{{ (office.name or directive_issuer) | upper }}")], size=12, align=center)
    _rule(left, 2.2, left_cm)
    _para(
        left,
        f"{{{{ doc_number(None, '{spec.kind_code}', office.abbreviation) }}}}",
        size=13,
        align=center,
    )
    if spec.kind is None:
        _para(left, spec.summary, size=12, align=center)
    _para(right, [("b", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")], size=12, align=center)
    _para(right, [("b", "Độc lập - Tự do - Hạnh phúc")], size=13, align=center)
    _rule(right, 5.6, right_cm)
    _para(right, [("i", "{{ office.place | place_date(today) }}")], size=14, align=center)

    if spec.kind is not None:
        _para(doc, [("b", spec.kind)], size=14, align=center, before=18)
        _para(doc, [("b", spec.summary)], size=14, align=center, after=6)
    _para(doc, spec.recipients, size=14, align=center, before=12, after=12)

    for block in spec.body:
        if isinstance(block, tuple) and len(block) == 2 and isinstance(block[1], list):
            loop, rows = block
            _data_table(doc, loop, rows)  # type: ignore[arg-type]
        else:
            _para(doc, block, size=14, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, after=6)  # type: ignore[arg-type]

    # Footer: Nơi nhận | signature.
    foot = doc.add_table(rows=1, cols=2)
    _borders(foot, False)
    _widths(foot, [7.5, 9.0])
    noi, sign = foot.rows[0].cells
    _first(noi)
    _first(sign)
    _para(noi, [("bi", "Nơi nhận:")], size=12, before=12)
    for line in spec.noi_nhan:
        if line.startswith("{% if"):
            cond = line[: line.index("%}") + 2].replace("{%", "{%p", 1)
            text = line[line.index("%}") + 2 : line.rindex("{% endif %}")]
            _para(noi, cond, size=11)
            _para(noi, text, size=11)
            _para(noi, "{%p endif %}", size=11)
        else:
            _para(noi, line, size=11)
    _para(noi, "{%p for item in office.archive %}", size=11)
    _para(noi, "- {{ item }}{{ '.' if loop.last else ';' }}", size=11)
    _para(noi, "{%p endfor %}", size=11)
    if spec.signature is None:
        _para(sign, "{%p for line in office.authority_lines %}", size=13, align=center)
        _para(sign, [("b", "{{ line }}")], size=13, align=center, before=12)
        _para(sign, "{%p endfor %}", size=13, align=center)
        _para(sign, [("b", "{{ office.signer_position or '' }}")], size=13, align=center)
        for _ in range(4):
            _para(sign, "", size=13)
        _para(sign, [("b", "{{ office.signer_name or '' }}")], size=14, align=center)
    else:
        for i, line in enumerate(spec.signature):
            _para(
                sign,
                [("b", line)] if line else "",
                size=13,
                align=center,
                before=12 if i == 0 else 0,
            )
    return doc


def document_xml(template_id: str) -> bytes:
    """The main part of a template as this script builds it (the drift test compares it)."""
    doc = build(SPECS[template_id])
    return bytes(doc.element.xml, "utf-8")


def main(out: Path = OUT) -> None:
    for template_id, spec in SPECS.items():
        path = out / f"{template_id}.docx"
        build(spec).save(str(path))
        print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
