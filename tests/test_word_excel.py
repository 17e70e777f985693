"""Word and Excel output on the demo's database, opened as a clerk's software would open it
(python-docx, openpyxl): people by full name and position, never a login id; the Decree 30
parts; dates as date cells. The demo database is used as `dondoc demo --db` leaves it: no
directory or office file is passed afterwards."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from lxml import etree
from pypdf import PdfReader
from rich.console import Console

from dondoc import Engine
from dondoc.cli.demo import at, run_demo
from dondoc.documents.render import bundled_template_dir

LOGIN_IDS = ("luyen", "phuong", "thang")
# Seed 000 names them "đồng chí Hoàng Thị Luyến - Phó Chánh Thanh tra", "Nguyễn Phương - Chánh
# Thanh tra", "Hoàng Mạnh Thắng - Phó Giám đốc Sở".
LUYEN = "Hoàng Thị Luyến – Phó Chánh Thanh tra"
THANG = "Hoàng Mạnh Thắng – Phó Giám đốc Sở"
PHUONG = "Nguyễn Phương – Chánh Thanh tra"
DECREE_30 = (
    "UBND TỈNH ĐẮK NÔNG",
    "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Đắk Nông, ngày 05 tháng 7 năm 2024",
    "Kính gửi:",
    "Nơi nhận:",
    "- Lưu: VT, TTr.",
)


def dondoc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dondoc.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`dondoc demo --db URL --until 2024-07-05`: Hoàng Thị Luyến's self-assessment (#7) is
    five days overdue; Nguyễn Phương's (#6) was accepted."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    r = dondoc("demo", "--db", url, "--until", "2024-07-05")
    assert r.returncode == 0, r.stderr
    return url


@pytest.fixture(scope="module")
def engine(demo_db: str) -> Engine:
    return Engine(demo_db)  # no directory, office or clock given: all kept with the database


@pytest.fixture(scope="module")
def before_due(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The demo up to 26/06/2024, when the reminder for #7 goes out (due 30/06)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'early.db'}"
    run_demo(url, Console(file=io.StringIO()), until=at(26, 6, 12))
    return Engine(url)


def docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def xlsx_cells(data: bytes) -> list[object]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def text_of(fmt: str, data: bytes) -> str:
    if fmt == "docx":
        return docx_text(data)
    if fmt == "xlsx":
        return "\n".join(str(v) for v in xlsx_cells(data) if v is not None)
    if fmt == "pdf":
        reader = PdfReader(io.BytesIO(data))
        return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    return data.decode()


def no_login_ids(text: str) -> bool:
    words = set(text.replace("(", " ").replace(")", " ").replace(",", " ").split())
    return not words & set(LOGIN_IDS)


#: Each bundled document on the demo data: (template, directive, demo, formats).
CASES = [
    ("chasing_letter", 7, "engine", ("docx", "pdf", "html", "txt")),
    ("escalation", 7, "engine", ("docx", "pdf", "html", "txt")),
    ("self_assessment", 6, "engine", ("docx", "pdf", "html", "txt")),
    ("reminder", 7, "before_due", ("docx", "pdf", "html", "txt")),
    ("progress_report", None, "engine", ("xlsx", "docx", "pdf", "html", "txt")),
]


@pytest.mark.parametrize(
    ("template", "directive", "demo", "fmt"),
    [(t, d, e, f) for t, d, e, fmts in CASES for f in fmts],
    ids=lambda v: str(v),
)
def test_every_bundled_document_in_every_format_on_the_demo_data(
    request: pytest.FixtureRequest, template: str, directive: int | None, demo: str, fmt: str
) -> None:
    eng: Engine = request.getfixturevalue(demo)
    doc = eng.document(template, fmt=fmt, directive_id=directive)
    assert doc.data and doc.warnings == ()
    text = text_of(fmt, doc.data)
    assert no_login_ids(text), text
    people = {"chasing_letter": LUYEN, "escalation": THANG, "reminder": LUYEN}
    if template in people and fmt != "pdf":  # PDF text extraction breaks lines anywhere
        assert people[template] in text
    if template == "self_assessment":
        assert "Nguyễn Phương" in text
    if template == "progress_report" and fmt != "pdf":
        assert LUYEN in text and PHUONG in text


def test_word_letter_has_the_decree_30_layout(engine: Engine) -> None:
    data = engine.render_document("chasing_letter", fmt="docx", directive_id=7)
    d = docx.Document(io.BytesIO(data))
    section = d.sections[0]
    # A4; margins top 20, bottom 20, left 30, right 15 mm (Decree 30/2020, appendix I).
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [
        round(m.mm)
        for m in (
            section.top_margin,
            section.bottom_margin,
            section.left_margin,
            section.right_margin,
        )
    ] == [20, 20, 30, 15]
    fonts = {r.font.name for p in d.paragraphs for r in p.runs if r.text.strip()}
    sizes = {r.font.size.pt for p in d.paragraphs for r in p.runs if r.text.strip()}
    assert fonts == {"Times New Roman"} and sizes <= {13.0, 14.0}
    text = docx_text(data)
    for part in (*DECREE_30, "Số:", "/CV-STTTT", "V/v đôn đốc thực hiện nhiệm vụ"):
        assert part in text, part
    header, footer = d.tables[0], d.tables[-1]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header.rows[0].cells[1].text
    assert "SỞ THÔNG TIN VÀ TRUYỀN THÔNG" in header.rows[0].cells[0].text
    signature = footer.rows[0].cells[1].text
    assert "KT. GIÁM ĐỐC" in signature and "PHÓ GIÁM ĐỐC" in signature
    assert "Hoàng Mạnh Thắng" in signature  # the signer comes from the directory
    assert f"Kính gửi: {LUYEN}." in text
    assert "đã quá hạn 5 ngày" in text  # due 30/06, on 05/07
    assert "Sở Thông tin và Truyền thông đề nghị" in text


def test_word_report_tables(engine: Engine) -> None:
    d = docx.Document(io.BytesIO(engine.render_document("progress_report", fmt="docx")))
    grid = d.tables[1]
    assert [c.text for c in grid.rows[0].cells][:2] == ["Đơn vị", "Tổng số"]
    # The demo's seven directives all belong to Thanh tra Sở; on 05/07 one is overdue
    # (#7) and one has no deadline (#5).
    row = [c.text for c in grid.rows[1].cells]
    assert row[0] == "Thanh tra Sở" and row[1] == "7" and row[6] == "1" and row[7] == "1"
    overdue = d.tables[3]
    assert [c.text for c in overdue.rows[1].cells][3:] == [LUYEN, "30/06/2024", "5"]


def test_excel_report_has_real_dates_frozen_headers_and_filters(engine: Engine) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(engine.render_document("progress_report", fmt="xlsx")))
    assert wb.sheetnames == ["Theo đơn vị", "Theo người", "Theo kỳ", "Danh sách nhiệm vụ"]
    for ws in wb.worksheets:
        assert (
            ws.freeze_panes == "A4" and ws.auto_filter.ref and ws.auto_filter.ref.startswith("A3")
        )
    items = wb["Danh sách nhiệm vụ"]
    header = [c.value for c in items[3]]
    assert header[:6] == [
        "TT",
        "Nhiệm vụ",
        "Đơn vị chủ trì",
        "Người thực hiện",
        "Hạn ban đầu",
        "Hạn hiện tại",
    ]
    rows = {r[1]: r for r in items.iter_rows(min_row=4, values_only=True)}
    luyen = next(r for t, r in rows.items() if t.endswith("Hoàng Thị Luyến"))
    assert luyen[3] == LUYEN
    assert isinstance(luyen[4], datetime) and luyen[4].date() == date(2024, 6, 30)
    assert luyen[header.index("Số ngày quá hạn")] == 5
    assert items.cell(4, 5).number_format == "DD/MM/YYYY"
    standing = next(r for t, r in rows.items() if t.startswith("Theo dõi, đôn đốc"))
    assert standing[4] is None and standing[header.index("Đánh giá")] == "Không có thời hạn"
    people = {r[0]: r for r in wb["Theo người"].iter_rows(min_row=4, values_only=True)}
    assert people[LUYEN][1] == 2 and people[PHUONG][1] == 5 and people["Cộng"][1] == 7
    periods = [r[0] for r in wb["Theo kỳ"].iter_rows(min_row=4, values_only=True)]
    assert periods == ["Tháng 3/2024", "Tháng 4/2024", "Tháng 6/2024", "Không có thời hạn", "Cộng"]


def test_render_commands_work_on_the_demo_database_as_the_readme_says(
    demo_db: str, tmp_path: Path
) -> None:
    letter, report = tmp_path / "cong_van.docx", tmp_path / "bao_cao.xlsx"
    r = dondoc("render", "chasing_letter", "--directive", "7", "--db", demo_db, "-o", str(letter))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert LUYEN in docx_text(letter.read_bytes())
    r = dondoc("render", "progress_report", "--format", "xlsx", "--db", demo_db, "-o", str(report))
    assert r.returncode == 0, r.stderr
    assert LUYEN in xlsx_cells(report.read_bytes())
    r = dondoc("render", "chasing_letter", "--directive", "6", "--db", demo_db, "-o", str(letter))
    assert r.returncode == 5 and r.stderr.count("\n") == 1
    assert "nhiệm vụ đã kết thúc ngày 28/06/2024" in r.stderr  # accepted on 28/06
    r = dondoc("people", "list", "--db", demo_db, "--json")
    assert r.returncode == 0 and "Phó Chánh Thanh tra" in r.stdout


def _build_script() -> object:
    path = Path(__file__).parent.parent / "docs" / "make_docx_templates.py"
    spec = importlib.util.spec_from_file_location("make_docx_templates", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_shipped_word_templates_are_what_the_script_builds() -> None:
    script = _build_script()
    parser = etree.XMLParser(remove_blank_text=True)
    for template_id in script.SPECS:  # type: ignore[attr-defined]
        shipped = zipfile.ZipFile(bundled_template_dir() / f"{template_id}.docx")
        built = script.document_xml(template_id)  # type: ignore[attr-defined]
        canon = [
            etree.tostring(etree.fromstring(x, parser), method="c14n")
            for x in (shipped.read("word/document.xml"), built)
        ]
        assert canon[0] == canon[1], f"{template_id}.docx: run python docs/make_docx_templates.py"


def test_the_api_serves_the_same_formats(engine: Engine) -> None:
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from fastapi.testclient import TestClient

    from dondoc.web.api import create_app

    token = engine.create_token("thang", roles=("admin", "reviewer"), name=THANG)
    client = TestClient(create_app(engine))
    auth = {"Authorization": f"Bearer {token}"}
    word = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    r = client.get("/api/directives/7/documents/chasing_letter", headers={**auth, "Accept": word})
    assert r.status_code == 200 and r.headers["content-type"] == word
    assert LUYEN in docx_text(r.content)
    assert 'filename="chasing_letter_7.docx"' in r.headers["content-disposition"]
    r = client.get("/api/reports/progress_report", headers=auth, params={"format": "xlsx"})
    assert r.status_code == 200 and r.headers["content-type"].endswith("spreadsheetml.sheet")
    assert LUYEN in xlsx_cells(r.content)
    r = client.get("/api/directives/6/documents/chasing_letter", headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "not_applicable"
    r = client.get("/api/directives/7/documents/chasing_letter?format=xlsx", headers=auth)
    assert r.status_code == 422
