"""The dondoc command line, run as a real process (exit codes and streams as a script sees them)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dondoc.core.spec import bundled_workflow_files

PEOPLE = Path(__file__).parent / "data" / "people.yaml"
REMEDIATION = next(p for p in bundled_workflow_files() if p.stem == "remediation_self_assessment")


def dondoc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dondoc.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_validate_bundled_ok() -> None:
    r = dondoc("validate", *map(str, bundled_workflow_files()))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count(".yaml  (") == len(bundled_workflow_files())
    assert "đạt  mẫu văn bản: chasing_letter, escalation, explanation_request, reminder" in r.stdout
    assert dondoc("validate").returncode == 0  # no argument: the bundled ones


def test_validate_broken_copy_reports_line_and_exits_1(tmp_path: Path) -> None:
    lines = REMEDIATION.read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines) if "dest: self_assessment_submitted" in line)
    lines[n] = lines[n].replace("self_assessment_submitted", "self_assesment_submited")
    broken = tmp_path / "broken.yaml"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = dondoc("validate", str(broken))
    assert r.returncode == 1
    assert f"{broken}:{n + 1}:" in r.stdout
    assert "có phải 'self_assessment_submitted'?" in r.stdout
    assert "Traceback" not in r.stderr


def test_graph_mermaid_and_dot() -> None:
    r = dondoc("graph", "remediation_self_assessment")
    assert r.returncode == 0 and r.stdout.startswith("stateDiagram-v2")
    assert "self_assessment_submitted --> reviewed: accept" in r.stdout
    r = dondoc("graph", "remediation_self_assessment", "--format", "dot")
    assert r.returncode == 0 and "digraph" in r.stdout and "peripheries=2" in r.stdout
    r = dondoc("graph", "nope")
    assert r.returncode == 3 and "không tìm thấy quy trình 'nope'" in r.stderr


def test_directive_lifecycle_from_the_shell(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert dondoc("people", "load", str(PEOPLE), "--db", db).returncode == 0
    r = dondoc(
        "directives",
        "create",
        "remediation_self_assessment",
        "--title",
        "Báo cáo tự đánh giá",
        "--as",
        "thang",
        "--assignee",
        "phuong",
        "--reviewer",
        "thang",
        "--due",
        "2024-06-30",
        "--due-text",
        "Trước ngày 01/07/2024",
        "--db",
        db,
        "--json",
    )
    assert r.returncode == 0, r.stderr
    did = str(json.loads(r.stdout)["id"])
    # out of order -> 5, wrong person -> 4, bad payload -> 2; each with a message, no traceback
    r = dondoc("directives", "fire", did, "accept", "--as", "thang", "--db", db)
    assert r.returncode == 5 and "các lệnh được phép lúc này: start" in r.stderr
    r = dondoc("directives", "fire", did, "start", "--as", "luyen", "--db", db)
    assert r.returncode == 4 and "cần một trong [assignee]" in r.stderr
    r = dondoc(
        "directives",
        "fire",
        did,
        "submit_self_assessment",
        "--as",
        "phuong",
        "-d",
        "report=x",
        "-d",
        "shortcomings_fixed=maybe",
        "--db",
        db,
    )
    assert r.returncode == 2 and "shortcomings_fixed" in r.stderr
    assert all("Traceback" not in x for x in (r.stderr, r.stdout))
    r = dondoc(
        "directives",
        "fire",
        did,
        "submit_self_assessment",
        "--as",
        "phuong",
        "--payload",
        '{"report": "Đã khắc phục", "shortcomings_fixed": true}',
        "--db",
        db,
    )
    assert r.returncode == 0 and "Đã nộp báo cáo tự đánh giá" in r.stdout
    r = dondoc("directives", "list", "--db", db, "--json")
    assert [d["state"] for d in json.loads(r.stdout)] == ["self_assessment_submitted"]
    r = dondoc("directives", "show", did, "--db", db, "--json")
    shown = json.loads(r.stdout)
    assert [e["trigger"] for e in shown["history"]] == [None, "submit_self_assessment"]
    assert dondoc("audit", "verify", "--db", db).returncode == 0

    # Tamper with the stored trail behind dondoc's back: verify notices and exits 1.
    con = sqlite3.connect(tmp_path / "cli.db")
    con.execute(
        'UPDATE events SET payload = \'{"report": "forged", "shortcomings_fixed": true}\' WHERE seq = 2'
    )
    con.commit()
    con.close()
    r = dondoc("audit", "verify", "--db", db)
    assert r.returncode == 1 and "BỊ SỬA nhiệm vụ #1, sự kiện #2" in r.stdout


def test_render_and_outbox_from_the_shell(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert dondoc("people", "load", str(PEOPLE), "--db", db).returncode == 0
    r = dondoc(
        "directives",
        "create",
        "remediation_self_assessment",
        "--title",
        "Báo cáo tự đánh giá",
        "--as",
        "thang",
        "--assignee",
        "luyen",
        "--deadline",
        "trước ngày 01/07/2024",
        "--issued",
        "2024-03-18",
        "--db",
        db,
        "--json",
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["due"] == "2024-06-30"
    office = tmp_path / "office.yaml"
    office.write_text(
        "name: SỞ THÔNG TIN VÀ TRUYỀN THÔNG\nplace: Đắk Nông\nabbreviation: STTTT\n",
        encoding="utf-8",
    )
    r = dondoc(
        "render",
        "chasing_letter",
        "--directive",
        "1",
        "--format",
        "html",
        "--office",
        str(office),
        "--db",
        db,
    )
    assert (
        r.returncode == 0
        and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in r.stdout
        and "/CV-STTTT" in r.stdout
    )
    pdf = tmp_path / "l.pdf"
    r = dondoc("render", "chasing_letter", "--directive", "1", "-o", str(pdf), "--db", db)
    assert r.returncode == 0 and pdf.read_bytes().startswith(b"%PDF")
    r = dondoc("render", "chasing_letter", "--directive", "99", "--format", "txt", "--db", db)
    assert r.returncode == 3 and "không tìm thấy nhiệm vụ #99" in r.stderr
    office.write_text("nam: x\n", encoding="utf-8")
    r = dondoc(
        "render",
        "reminder",
        "--directive",
        "1",
        "--format",
        "txt",
        "--office",
        str(office),
        "--db",
        db,
    )
    assert r.returncode == 2 and "unknown key" in r.stderr
    r = dondoc("outbox", "--db", db, "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_validate_reports_template_problems_with_lines(tmp_path: Path) -> None:
    admin = tmp_path / "templates"
    admin.mkdir()
    (admin / "reminder.txt.j2").write_text(
        "Nhắc {{ directive.title }}\n{{ directive.due | ngayy }}\n", encoding="utf-8"
    )
    r = dondoc("validate", "--templates", str(admin))
    assert r.returncode == 1
    assert f"{admin / 'reminder.txt.j2'}:2:1: lỗi cú pháp mẫu: No filter named 'ngayy'" in r.stdout
    (admin / "reminder.txt.j2").write_text("Nhắc {{ directive.titel }}\nx\n", encoding="utf-8")
    r = dondoc("validate", "--templates", str(admin))
    assert (
        r.returncode == 1
        and f"{admin / 'reminder.txt.j2'}:1:1: chưa định nghĩa" in r.stdout
        and "titel" in r.stdout
    )


def test_extract_and_import_from_the_shell(tmp_path: Path) -> None:
    seeds = Path(__file__).resolve().parent / "data" / "seeds"
    doc = next(seeds.glob("002_*.txt"))
    units = Path(__file__).parent / "data" / "units.yaml"
    r = dondoc("extract", str(doc), "--units", str(units), "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["document"]["number"] == "547" and len(got["directives"]) == 6
    db = f"sqlite:///{tmp_path / 'imp.db'}"
    assert dondoc("people", "load", str(PEOPLE), "--db", db).returncode == 0
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "dondoc.cli",
            "import",
            str(doc),
            "--workflow",
            "inspection_review_meeting",
            "--as",
            "thanhtra",
            "--units",
            str(units),
            "--db",
            db,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 2 and "--yes" in r.stderr  # no terminal: nothing imported without --yes
    r = dondoc(
        "import",
        str(doc),
        "--workflow",
        "inspection_review_meeting",
        "--as",
        "thanhtra",
        "--units",
        str(units),
        "--yes",
        "--db",
        db,
    )
    assert r.returncode == 0 and "6 nhiệm vụ thuộc nó" in r.stdout
    r = dondoc(
        "directives", "list", "--db", db, "--json", "--workflow", "inspection_review_meeting"
    )
    assert len(json.loads(r.stdout)) == 6
    assert dondoc("extract", str(tmp_path / "missing.txt")).returncode == 2


def test_workflows_list_json() -> None:
    r = dondoc("workflows", "list", "--json")
    ids = {w["workflow"] for w in json.loads(r.stdout)}
    assert "monthly_briefing_task" in ids


@pytest.mark.slow
def test_built_wheel_ships_workflows_and_templates(tmp_path: Path) -> None:
    import zipfile

    root = Path(__file__).resolve().parents[1]
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = tmp_path.glob("dondoc-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for wf in bundled_workflow_files():
        assert f"dondoc/workflows/{wf.name}" in names
    assert "dondoc/__init__.py" in names and "dondoc/templates/__init__.py" in names
    assert not any(n.startswith("engine/") for n in names)  # no bare top-level 'engine' package
