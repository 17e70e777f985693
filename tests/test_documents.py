"""Rendering: every bundled template for a seed-000 directive, Decree 30 elements, Vietnamese
dates, PDF with intact diacritics, and the sandbox holding against template escapes."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.documents.office import Office
from dondoc.documents.render import Renderer, TemplateError, doc_number, long_date, place_date
from dondoc.errors import DocumentNotApplicable

OFFICE = Office(
    parent="UBND TỈNH ĐẮK NÔNG",
    name="SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
    name_in_text="Sở Thông tin và Truyền thông",
    abbreviation="STTTT",
    place="Đắk Nông",
    authority="KT. GIÁM ĐỐC",
    signer="thang",
    signer_position="PHÓ GIÁM ĐỐC",
    archive=("Lưu: VT, TTr",),
)
# Seed 000: "đồng chí Hoàng Thị Luyến - Phó Chánh Thanh tra", "Hoàng Mạnh Thắng - Phó Giám đốc Sở".
PEOPLE = {
    "luyen": {"name": "Hoàng Thị Luyến", "position": "Phó Chánh Thanh tra", "unit": "Thanh tra Sở"},
    "thang": {"name": "Hoàng Mạnh Thắng", "position": "Phó Giám đốc Sở"},
}
ISSUER = "Sở Thông tin và Truyền thông tỉnh Đắk Nông"
BOARD, LUYEN = Actor.of("thang", "reviewer"), Actor.of("luyen")


def _new(engine: Engine, title: str, deadline: str | None, **kw: object) -> int:
    return engine.create_directive(
        BOARD,
        "remediation_self_assessment",
        NewDirective(
            title=title,
            assignee="luyen",
            reviewer="thang",
            lead_unit="Thanh tra Sở",
            deadline=deadline,
            doc_number="/TB-STTTT",
            doc_date=date(2024, 3, 18),
            doc_issuer=ISSUER,
            content="Trước ngày 01/07/2024, từng đồng chí lãnh đạo phòng Thanh tra có báo cáo tự đánh giá…",
            **kw,  # type: ignore[arg-type]
        ),
    ).id


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Engine, dict[str, int]]:
    """On 05/07/2024: one self-assessment overdue (due 30/06), one due soon (10/07), one
    submitted with a proposed discipline, one closed, one standing duty without a deadline."""
    clock = FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC))
    engine = Engine(f"sqlite:///{tmp_path / 'd.db'}", clock=clock)
    engine.set_directory({"people": PEOPLE})
    engine.set_office(OFFICE)
    ids = {
        "overdue": _new(
            engine, "Báo cáo tự đánh giá việc khắc phục tồn tại, hạn chế", "Trước ngày 01/07/2024"
        ),
        "soon": _new(engine, "Báo cáo bổ sung", "trước ngày 11/07/2024"),
        "submitted": _new(engine, "Báo cáo tự đánh giá (đã nộp)", "Trước ngày 01/07/2024"),
        "closed": _new(engine, "Báo cáo đã xem xét", "Trước ngày 01/07/2024"),
        "standing": _new(engine, "Theo dõi, đôn đốc việc xử lý sai phạm", None),
    }
    engine.fire(ids["overdue"], "start", LUYEN)
    payload = {
        "report": "Chưa khắc phục được việc chậm giải quyết đơn.",
        "shortcomings_fixed": False,
        "proposed_discipline": "khien_trach",
    }
    engine.fire(ids["submitted"], "submit_self_assessment", LUYEN, payload)
    engine.fire(ids["closed"], "submit_self_assessment", LUYEN, payload)
    engine.fire(ids["closed"], "discipline", BOARD, {"form": "khien_trach"})
    clock.set(datetime(2024, 7, 5, 2, tzinfo=UTC))
    return engine, ids


def test_vietnamese_filters() -> None:
    assert long_date(date(2024, 2, 5)) == "ngày 05 tháng 02 năm 2024"
    assert long_date(date(2024, 3, 18)) == "ngày 18 tháng 3 năm 2024"  # no zero for months 3-12
    assert long_date(date(2024, 1, 9)) == "ngày 09 tháng 01 năm 2024"
    assert place_date("Đắk Nông", date(2024, 11, 3)) == "Đắk Nông, ngày 03 tháng 11 năm 2024"
    assert doc_number(5, "TB", "STTTT") == "Số: 05/TB-STTTT"
    assert doc_number(547, "KL", "TT") == "Số: 547/KL-TT"
    assert doc_number(None, "CV", "STTTT").startswith("Số: ") and doc_number(
        None, "CV", "STTTT"
    ).endswith("/CV-STTTT")


DECREE_30 = [
    "UBND TỈNH ĐẮK NÔNG",
    "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Đắk Nông, ngày 05 tháng 7 năm 2024",
    "Kính gửi",
    "Nơi nhận:",
    "Lưu: VT, TTr.",
]
SIGNATURE = ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Hoàng Mạnh Thắng"]
#: Which directive of the fixture each letter fits.
FITS = {
    "chasing_letter": "overdue",
    "escalation": "overdue",
    "reminder": "soon",
    "self_assessment": "submitted",
}


@pytest.mark.parametrize("template", sorted(FITS))
def test_directive_documents_have_the_decree_30_elements(
    seeded: tuple[Engine, dict[str, int]], template: str
) -> None:
    engine, ids = seeded
    did = ids[FITS[template]]
    html = engine.render_document(template, directive_id=did).decode()
    for element in DECREE_30 + (SIGNATURE if template != "self_assessment" else ["NGƯỜI BÁO CÁO"]):
        assert element in html, f"{template}: missing {element!r}"
    assert "Hoàng Thị Luyến" in html and "luyen" not in html
    text = engine.render_document(template, directive_id=did, fmt="txt").decode()
    assert "Hoàng Thị Luyến" in text and "luyen" not in text


def test_chasing_letter_is_addressed_by_name_and_position(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = seeded
    html = engine.render_document("chasing_letter", directive_id=ids["overdue"]).decode()
    assert "Kính gửi: Hoàng Thị Luyến – Phó Chánh Thanh tra." in html
    assert "V/v đôn đốc thực hiện nhiệm vụ tại Thông báo số /TB-STTTT" in html
    assert f"Thông báo số /TB-STTTT ngày 18 tháng 3 năm 2024 của {ISSUER}" in html
    # 30/06 → 05/07: five days late; the body names the office in proper case, not lowered.
    assert "đã quá hạn 5 ngày" in html
    assert "Sở Thông tin và Truyền thông đề nghị đồng chí khẩn trương" in html
    assert "sở thông tin" not in html
    assert "Hoàng Mạnh Thắng – Phó Giám đốc Sở (để b/c)" in html  # Nơi nhận


def test_chasing_letter_wording_follows_the_case(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = seeded
    soon = engine.render_document("chasing_letter", directive_id=ids["soon"], fmt="txt").decode()
    # 05/07 (Fri) → 10/07 (Wed): 3 working days left; not "quá hạn".
    assert "còn 3 ngày làm việc" in soon and "quá hạn" not in soon
    standing = engine.render_document("chasing_letter", directive_id=ids["standing"]).decode()
    assert "nhiệm vụ thường xuyên, không ấn định thời hạn" in standing
    assert "thời hạn hoàn thành —" not in standing and "có thời hạn hoàn thành" not in standing
    assert "báo cáo kết quả theo dõi, đôn đốc" in standing


def test_an_extension_is_said(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = seeded
    did = ids["soon"]
    engine.fire(
        did, "request_extension", LUYEN, {"reason": "Chờ số liệu", "proposed_due": "2024-07-31"}
    )
    engine.fire(did, "approve_extension", BOARD, {"new_due": "2024-07-31"})
    html = engine.render_document("chasing_letter", directive_id=did).decode()
    assert "thời hạn hoàn thành 31/07/2024" in html
    assert "đã được gia hạn từ thời hạn ban đầu 10/07/2024" in html


@pytest.mark.parametrize(
    ("template", "which", "why"),
    [
        ("chasing_letter", "closed", "nhiệm vụ đã kết thúc ngày 18/03/2024"),
        ("chasing_letter", "submitted", "đang chờ xem xét"),
        ("reminder", "standing", "không có thời hạn"),
        ("reminder", "overdue", "đã quá hạn 5 ngày"),
        ("escalation", "soon", "chưa quá hạn"),
    ],
)
def test_a_letter_that_does_not_fit_is_refused_saying_why(
    seeded: tuple[Engine, dict[str, int]], template: str, which: str, why: str
) -> None:
    engine, ids = seeded
    with pytest.raises(DocumentNotApplicable) as info:
        engine.render_document(template, directive_id=ids[which], fmt="docx")
    assert why in str(info.value) and "\n" not in str(info.value)


def test_escalation_goes_up_the_line(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = seeded
    html = engine.render_document("escalation", directive_id=ids["overdue"]).decode()
    assert "Kính gửi: Hoàng Mạnh Thắng – Phó Giám đốc Sở." in html
    assert "giao đồng chí Hoàng Thị Luyến – Phó Chánh Thanh tra" in html


def test_self_assessment_form_shows_choices_by_their_labels(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = seeded
    html = engine.render_document("self_assessment", directive_id=ids["submitted"]).decode()
    assert "BÁO CÁO TỰ ĐÁNH GIÁ" in html and "Chưa khắc phục được việc chậm giải quyết đơn." in html
    assert "☒</span> Chưa khắc phục được" in html
    row = html[html.index("Khiển trách") : html.index("Cảnh cáo")]
    assert "☒" in row
    text = engine.render_document("self_assessment", directive_id=ids["submitted"], fmt="txt")
    assert "Khiển trách" in text.decode() and "khien_trach" not in text.decode()


def test_progress_report_grid_and_overdue_list(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    late = engine.create_directive(
        BOARD,
        "monthly_briefing_task",
        NewDirective(
            title="Bàn giao con dấu cho Văn thư Sở",
            lead_unit="Văn phòng",
            assignee="vp",
            due=date(2024, 6, 20),
        ),
    )
    html = engine.render_document("progress_report").decode()
    assert "Tình hình thực hiện nhiệm vụ" in html and "Đúng hạn" in html and "Sắp đến hạn" in html
    assert "Bàn giao con dấu cho Văn thư Sở" in html and ">15<" in html  # 20/06 → 05/07
    assert "Hoàng Thị Luyến – Phó Chánh Thanh tra" in html  # per person
    text = engine.render_document("progress_report", fmt="txt").decode()
    assert "Văn phòng: tổng 1" in text and f"1. {late.title}" in text
    doc = engine.document("progress_report", fmt="html")
    assert doc.warnings and "vp" in doc.warnings[0]  # 'vp' is not in the directory: flagged


def test_pdf_keeps_vietnamese_diacritics(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = seeded
    pdf = engine.render_document("chasing_letter", directive_id=ids["overdue"], fmt="pdf")
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = " ".join((reader.pages[0].extract_text() or "").split())
    for words in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hoàng Thị Luyến",
        "đôn đốc thực hiện nhiệm vụ",
        "Đắk Nông, ngày 05 tháng 7 năm 2024",
    ):
        assert words in text, words
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert fonts  # fonts are embedded in the file


# --- sandbox ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ directive.__class__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ [1, 2].append(3) }}",
        "{% for x in range(10**9) %}{% endfor %}",
    ],
)
def test_template_escapes_fail_with_a_clear_error(tmp_path: Path, source: str) -> None:
    (tmp_path / "evil.txt.j2").write_text(source + "\n", encoding="utf-8")
    renderer = Renderer(tmp_path)
    with pytest.raises(TemplateError) as info:
        renderer.render_text("evil", {"directive": {"title": "x"}})
    assert info.value.template.startswith("evil")


def test_no_file_system_access_from_templates(tmp_path: Path) -> None:
    (tmp_path / "peek.txt.j2").write_text("{% include '/etc/passwd' %}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="không có mẫu văn bản"):
        Renderer(tmp_path).render_text("peek", {})
    (tmp_path / "up.txt.j2").write_text(
        "{% include '../../../../etc/passwd' %}\n", encoding="utf-8"
    )
    with pytest.raises(TemplateError, match="không có mẫu văn bản"):
        Renderer(tmp_path).render_text("up", {})


def test_admin_folder_overrides_bundled_by_name(tmp_path: Path) -> None:
    (tmp_path / "reminder.txt.j2").write_text(
        "Riêng: {{ directive.title }}\nthân\n", encoding="utf-8"
    )
    msg = Renderer(tmp_path).render_text("reminder", {"directive": {"title": "Việc A"}})
    assert msg.subject == "Riêng: Việc A"


def test_html_is_autoescaped(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    evil = engine.create_directive(
        Actor.of("thang"),
        "monthly_briefing_task",
        NewDirective(title="<script>alert(1)</script>", assignee="luyen", due=date(2024, 7, 20)),
    )
    html = engine.render_document("reminder", directive_id=evil.id).decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_every_bundled_template_passes_the_check() -> None:
    renderer = Renderer()
    for template_id in sorted(renderer.template_ids()):
        assert renderer.check(template_id) == [], template_id
