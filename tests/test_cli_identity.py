"""The command line acts as a person of the directory under the API's permission checks, warns
about a directive late on creation, says how late one is, and shows people by name (issue 17,
and issue 16's leftover)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dondoc import Engine
from dondoc.cli import app
from dondoc.web.api import create_app

PEOPLE = Path(__file__).parent / "data" / "people.yaml"
WF = "remediation_self_assessment"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'who.db'}"
    assert run("people", "load", str(PEOPLE), "--db", url)[0] == 0
    return url


def create(db: str, *who: str, due: str = "2099-06-30") -> tuple[int, str, str]:
    return run(
        "directives", "create", WF, "--title", "Báo cáo tự đánh giá", "--assignee", "luyen",
        "--reviewer", "thang", "--due", due, "--db", db, "--json", *who,
    )  # fmt: skip


def test_a_person_acts_with_the_roles_the_directory_gives(db: str) -> None:
    code, out, _ = create(db, "--as", "thang")  # roles: [assigner, reviewer]
    assert code == 0 and json.loads(out)["assigner"] == "thang"
    code, _, err = create(db, "--as", "luyen")  # no global role: may not create (as in the API)
    assert code == 4 and "luyen không có quyền 'create'" in err and "assigner" in err
    code, _, err = create(db, "--as", "nobody")
    assert code == 3 and "không tìm thấy người 'nobody'" in err
    assert "dondoc people load" in err and "--as-admin" in err
    code, _, err = create(db)
    assert code == 2 and "--as MÃ_ĐĂNG_NHẬP" in err


def test_claiming_a_role_is_refused_with_what_to_do(db: str) -> None:
    code, _, err = create(db, "--as", "luyen", "--role", "admin")
    assert code == 2 and "--role" in err and "không dùng nữa" in err and "danh bạ" in err
    code, _, err = create(db, "--as", "luyen", "--unit", "Thanh tra Sở")
    assert code == 2 and "--unit" in err
    code, _, err = create(db, "--as", "thang", "--as-admin")
    assert code == 2 and "chọn một" in err


def test_the_admin_override_is_explicit_and_recorded(db: str) -> None:
    code, out, _ = create(db, "--as-admin")
    assert code == 0
    did = str(json.loads(out)["id"])
    code, out, _ = run("directives", "show", did, "--db", db, "--json")
    assert json.loads(out)["history"][0]["actor"] == f"admin:{getpass.getuser()}"
    code, out, _ = run("directives", "show", did, "--db", db)
    assert f"Quản trị viên ({getpass.getuser()})" in out
    assert run("audit", "verify", "--db", db)[0] == 0
    # the override holds the admin role, not the assignee's: it does not act for someone else
    code, _, err = run("directives", "fire", did, "start", "--as-admin", "--db", db)
    assert code == 4 and "admin:" in err


def test_a_directive_late_on_creation_is_warned_and_shown_late(db: str) -> None:
    code, _, err = create(db, "--as", "thang")
    assert code == 0 and "cảnh báo" not in err
    code, out, err = create(db, "--as", "thang", due="2024-06-30")
    assert code == 0 and json.loads(out)["id"] == 2
    assert err.startswith("cảnh báo: hạn 30/06/2024 đã qua ") and "quá hạn ngay khi tạo" in err
    days = json.loads(run("directives", "show", "2", "--db", db, "--json")[1])["directive"][
        "days_late"
    ]
    assert days > 500
    code, out, _ = run("directives", "list", "--db", db)
    assert f"30/06/2024 (quá hạn {days} ngày)" in out
    code, out, _ = run("directives", "show", "2", "--db", db)
    assert f"hạn: 30/06/2024 — quá hạn {days} ngày" in out
    code, out, _ = run("directives", "show", "1", "--db", db)
    assert "quá hạn" not in out


def test_people_are_shown_by_name_and_position(db: str) -> None:
    create(db, "--as", "thang")
    code, out, _ = run("directives", "list", "--db", db)
    assert "Hoàng Thị Luyến" in out and "luyen" not in out
    code, out, _ = run("directives", "show", "1", "--db", db)
    assert "thực hiện: Hoàng Thị Luyến – Phó Chánh Thanh tra" in out
    assert "người xem xét: Hoàng Mạnh Thắng – Phó Giám đốc Sở" in out
    assert "Hoàng Mạnh Thắng – Phó Giám đốc Sở" in out.split("#", 2)[-1]  # the history's actor
    code, out, _ = run("stats", "--by", "assignee", "--db", db)
    assert code == 0 and "Hoàng Thị Luyến" in out and "luyen" not in out


def test_the_api_warns_about_a_directive_late_on_creation(tmp_path: Path) -> None:
    engine = Engine(f"sqlite:///{tmp_path / 'api.db'}")
    token = engine.create_token("thang", roles=("assigner",))
    client = TestClient(create_app(engine))
    body = {"workflow": WF, "title": "Báo cáo", "assignee": "luyen", "due": "2024-06-30"}
    r = client.post("/api/directives", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201
    (warning,) = r.json()["warnings"]
    assert warning.startswith("hạn 30/06/2024 đã qua") and "quá hạn ngay khi tạo" in warning
    body["due"] = "2099-06-30"
    r = client.post("/api/directives", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201 and r.json()["warnings"] == []
    engine.db.dispose()
