"""Rendering: every bundled template for a seed-000 directive, Decree 30 elements, Vietnamese
dates, PDF with intact diacritics, and the sandbox holding against template escapes."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.core.directory import SimpleDirectory
from dondoc.documents.office import Office
from dondoc.documents.render import Renderer, TemplateError, doc_number, long_date, place_date

OFFICE = Office(
    parent="UBND TỈNH ĐẮK NÔNG",
    name="SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
    abbreviation="STTTT",
    place="Đắk Nông",
    authority="KT. GIÁM ĐỐC",
    signer_position="PHÓ GIÁM ĐỐC",
    signer_name="Hoàng Mạnh Thắng",
    archive=("Lưu: VT, TTr",),
)
PEOPLE = {"luyen": {"name": "Hoàng Thị Luyến"}, "thang": {"name": "Hoàng Mạnh Thắng"}}


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Engine, int]:
    clock = FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC))
    engine = Engine(
        f"sqlite:///{tmp_path / 'd.db'}", clock=clock, directory=SimpleDirectory(PEOPLE)
    )
    d = engine.create_directive(
        Actor.of("thang", "reviewer"),
        "remediation_self_assessment",
        NewDirective(
            title="Báo cáo tự đánh giá việc khắc phục tồn tại, hạn chế",
            assignee="luyen",
            reviewer="thang",
            lead_unit="Thanh tra Sở",
            deadline="Trước ngày 01/07/2024",
            doc_number="/TB-STTTT",
            doc_date=date(2024, 3, 18),
            doc_issuer="Sở Thông tin và Truyền thông tỉnh Đắk Nông",
            content="Trước ngày 01/07/2024, từng đồng chí lãnh đạo phòng Thanh tra có báo cáo tự đánh giá…",
        ),
    )
    engine.fire(
        d.id,
        "submit_self_assessment",
        Actor.of("luyen"),
        {
            "report": "Chưa khắc phục được việc chậm giải quyết đơn.",
            "shortcomings_fixed": False,
            "proposed_discipline": "khien_trach",
        },
    )
    clock.set(datetime(2024, 7, 5, 2, tzinfo=UTC))
    return engine, d.id


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
    "/CV-STTTT",
    "Đắk Nông, ngày 05 tháng 7 năm 2024",
    "Kính gửi",
    "KT. GIÁM ĐỐC",
    "PHÓ GIÁM ĐỐC",
    "Hoàng Mạnh Thắng",
    "Nơi nhận:",
    "Lưu: VT, TTr.",
]


@pytest.mark.parametrize(
    "template", ["chasing_letter", "reminder", "escalation", "self_assessment"]
)
def test_directive_documents_have_the_decree_30_elements(
    seeded: tuple[Engine, int], template: str
) -> None:
    engine, did = seeded
    html = engine.render_document(template, directive_id=did, office=OFFICE).decode()
    for element in DECREE_30:
        if element == "/CV-STTTT" and template != "chasing_letter":
            continue
        assert element in html, f"{template}: missing {element!r}"
    assert "Hoàng Thị Luyến" in html and "30/06/2024" in html
    text = engine.render_document(template, directive_id=did, office=OFFICE, fmt="txt").decode()
    assert "Hoàng Thị Luyến" in text


def test_chasing_letter_says_what_is_late(seeded: tuple[Engine, int]) -> None:
    engine, did = seeded
    html = engine.render_document("chasing_letter", directive_id=did, office=OFFICE).decode()
    assert "V/v đôn đốc thực hiện nhiệm vụ tại Thông báo số /TB-STTTT" in html
    assert (
        "Thông báo số /TB-STTTT ngày 18 tháng 3 năm 2024 của Sở Thông tin và Truyền thông tỉnh Đắk Nông"
        in html
    )


def test_self_assessment_form_shows_the_submission(seeded: tuple[Engine, int]) -> None:
    engine, did = seeded
    html = engine.render_document("self_assessment", directive_id=did, office=OFFICE).decode()
    assert "BÁO CÁO TỰ ĐÁNH GIÁ" in html and "Chưa khắc phục được việc chậm giải quyết đơn." in html
    assert "☒</span> Chưa khắc phục được" in html
    row = html[html.index("Khiển trách") : html.index("Cảnh cáo")]
    assert "☒" in row


def test_progress_report_grid_and_overdue_list(seeded: tuple[Engine, int]) -> None:
    engine, _ = seeded
    late = engine.create_directive(
        Actor.of("thang"),
        "monthly_briefing_task",
        NewDirective(
            title="Bàn giao con dấu cho Văn thư Sở",
            lead_unit="Văn phòng",
            assignee="vp",
            due=date(2024, 6, 20),
        ),
    )
    html = engine.render_document("progress_report", office=OFFICE).decode()
    assert "Tình hình thực hiện nhiệm vụ" in html and "Đúng hạn" in html and "Sắp đến hạn" in html
    assert (
        "Bàn giao con dấu cho Văn thư Sở" in html and ">15<" in html
    )  # 20/06 → 05/07: 15 days late
    text = engine.render_document("progress_report", fmt="txt").decode()
    assert "Văn phòng: tổng 1" in text and f"1. {late.title}" in text


def test_pdf_keeps_vietnamese_diacritics(seeded: tuple[Engine, int]) -> None:
    engine, did = seeded
    pdf = engine.render_document("chasing_letter", directive_id=did, office=OFFICE, fmt="pdf")
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
    with pytest.raises(TemplateError, match="not found"):
        Renderer(tmp_path).render_text("peek", {})
    (tmp_path / "up.txt.j2").write_text(
        "{% include '../../../../etc/passwd' %}\n", encoding="utf-8"
    )
    with pytest.raises(TemplateError, match="not found"):
        Renderer(tmp_path).render_text("up", {})


def test_admin_folder_overrides_bundled_by_name(tmp_path: Path) -> None:
    (tmp_path / "reminder.txt.j2").write_text(
        "Riêng: {{ directive.title }}\nthân\n", encoding="utf-8"
    )
    msg = Renderer(tmp_path).render_text("reminder", {"directive": {"title": "Việc A"}})
    assert msg.subject == "Riêng: Việc A"


def test_html_is_autoescaped(seeded: tuple[Engine, int]) -> None:
    engine, _ = seeded
    evil = engine.create_directive(
        Actor.of("thang"),
        "monthly_briefing_task",
        NewDirective(title="<script>alert(1)</script>", assignee="luyen"),
    )
    html = engine.render_document("reminder", directive_id=evil.id, office=OFFICE).decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_every_bundled_template_passes_the_check() -> None:
    renderer = Renderer()
    for template_id in sorted(renderer.template_ids()):
        assert renderer.check(template_id) == [], template_id
