"""The moves through the HTTP API and the command line (seed 000's Inspection office)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

from dondoc import Engine, FakeClock  # noqa: E402
from dondoc.core.directory import SimpleDirectory  # noqa: E402
from dondoc.web.api import create_app  # noqa: E402

TT, VP = "Thanh tra Sở", "Văn phòng Sở"


def test_api_delegate_children_reassign_claim_explain(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2024, 3, 19, 2, tzinfo=UTC))
    engine = Engine(
        f"sqlite:///{tmp_path / 'a.db'}",
        clock=clock,
        directory=SimpleDirectory(
            {
                "phuong": {"name": "Nguyễn Phương", "unit": TT},
                "vt": {"name": "Văn thư", "unit": VP},
            },
            {TT: "phuong"},
        ),
    )
    board = engine.create_token("thang", roles=["assigner", "reviewer"])
    phuong = engine.create_token("phuong", unit=TT)
    an = engine.create_token("an", unit=TT)
    vt = engine.create_token("vt", unit=VP)
    c = TestClient(create_app(engine, dashboard=True))

    def h(t: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {t}"}

    r = c.post(
        "/api/directives",
        headers=h(board),
        json={
            "workflow": "unit_task",
            "title": "Giải quyết dứt điểm các vụ, việc",
            "due": "2024-04-30",
            "assignee": "phuong",
            "lead_unit": TT,
            "cooperating_units": [VP],
        },
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]

    r = c.post(
        f"/api/directives/{pid}/delegate",
        headers=h(phuong),
        json={"children": [{"title": "(1) Sổ tay", "assignee": "an", "due": "2024-05-02"}]},
    )
    assert r.status_code == 422 and r.json()["field"] == "children[0].due"
    r = c.post(
        f"/api/directives/{pid}/delegate",
        headers=h(phuong),
        json={"children": [{"title": "(1) Sổ tay", "assignee": "an", "due": "2024-04-15"}]},
    )
    assert r.status_code == 201, r.text
    (child,) = r.json()
    assert (child["kind"], child["parent_id"], child["due"]) == ("delegated", pid, "2024-04-15")
    assert (
        c.post(
            f"/api/directives/{pid}/delegate", headers=h(an), json={"children": [{"title": "x"}]}
        ).status_code
        == 403
    )

    r = c.get(f"/api/directives/{pid}/children", headers=h(phuong))
    body = r.json()
    assert [k["kind"] for k in body["children"]] == ["contribution", "delegated"]
    assert body["roll_up"]["delegated"] == 1 and body["roll_up"]["missing"] == [VP]

    # the cooperating unit's member finds the contribution in the queue and claims it
    (waiting,) = c.get("/api/queue", headers=h(vt)).json()
    assert waiting["lead_unit"] == VP
    r = c.post(f"/api/directives/{waiting['id']}/claim", headers=h(vt))
    assert r.status_code == 200 and r.json()["assignee"] == "vt"
    assert c.post(f"/api/directives/{waiting['id']}/claim", headers=h(vt)).status_code == 409

    r = c.post(f"/api/directives/{child['id']}/reassign", headers=h(phuong), json={"reason": ""})
    assert r.status_code == 422
    r = c.post(
        f"/api/directives/{child['id']}/reassign",
        headers=h(phuong),
        json={"reason": "Nghỉ phép", "assignee": "binh"},
    )
    assert r.status_code == 200 and r.json()["original_assignee"] == "an"

    # not overdue yet: 409; then overdue → request, answer, assess
    assert (
        c.post(f"/api/directives/{child['id']}/explanation", headers=h(phuong), json={}).status_code
        == 409
    )
    clock.set(datetime(2024, 4, 16, 3, tzinfo=UTC))
    binh = engine.create_token("binh", unit=TT)
    r = c.post(f"/api/directives/{child['id']}/explanation", headers=h(phuong), json={"note": "?"})
    assert r.status_code == 201, r.text
    assert r.json()["answer_due"] == "2024-04-19" and r.json()["owed_by"] == "binh"
    r = c.post(
        f"/api/directives/{child['id']}/explanation/answer",
        headers=h(binh),
        json={"reason": "Mới nhận bàn giao", "cause": "weather"},
    )
    assert r.status_code == 422
    r = c.post(
        f"/api/directives/{child['id']}/explanation/answer",
        headers=h(binh),
        json={"reason": "Mới nhận bàn giao", "cause": "objective", "proposed_due": "2024-04-25"},
    )
    assert r.status_code == 200 and r.json()["status"] == "answered"
    r = c.post(
        f"/api/directives/{child['id']}/explanation/assess",
        headers=h(binh),
        json={"verdict": "objective"},
    )
    assert r.status_code == 403
    r = c.post(
        f"/api/directives/{child['id']}/explanation/assess",
        headers=h(phuong),
        json={"verdict": "objective", "new_due": "2024-04-25"},
    )
    assert r.status_code == 200 and r.json()["new_due"] == "2024-04-25"
    assert [
        x["verdict"] for x in c.get("/api/explanations?verdict=objective", headers=h(phuong)).json()
    ] == ["objective"]
    assert c.get("/api/explanations", headers=h(vt)).json() == []  # not one of VP's directives

    rows = {r["unit"]: r for r in c.get("/api/statistics/units", headers=h(board)).json()}
    assert rows[TT]["leads"] == 1 and rows[VP]["cooperates"] == 1
    assert [r["unit"] for r in c.get("/api/statistics/units", headers=h(vt)).json()] == [VP]

    # the dashboard: the parent's page lists its children with the roll-up; the queue page
    page = c.get(f"/directives/{pid}", cookies={"dondoc_token": phuong}).text
    assert "Giao việc tiếp" in page and "(1) Sổ tay" in page and "Văn phòng Sở" in page
    assert "Hàng chờ" in c.get("/queue", cookies={"dondoc_token": vt}).text
    stats = c.get("/stats", cookies={"dondoc_token": board}).text
    assert "Chủ trì và phối hợp theo đơn vị" in stats and VP in stats
    assert engine.verify_audit().ok
    engine.db.dispose()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dondoc.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_moves(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    people = Path(__file__).parent / "data" / "people.yaml"
    assert _cli("people", "load", str(people), "--db", db).returncode == 0
    r = _cli(
        "directives", "create", "unit_task", "--title", "Giải quyết dứt điểm các vụ, việc",
        "--as", "thang", "--assignee", "phuong", "--unit-lead", TT, "--due", "2099-04-30",
        "--db", db, "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    pid = json.loads(r.stdout)["id"]
    bad = _cli(
        "directives",
        "delegate",
        str(pid),
        "--as",
        "phuong",
        "--child",
        "x|an|2099-05-01",
        "--db",
        db,
    )
    assert bad.returncode == 2 and "children[0].due" in bad.stderr and "Traceback" not in bad.stderr
    r = _cli(
        "directives", "delegate", str(pid), "--as", "phuong",
        "--child", "(1) Sổ tay|an|2099-04-15", "--child", "(2) Tạp chí|binh", "--db", db, "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    first, second = json.loads(r.stdout)
    assert second["due"] == "2099-04-30"
    r = _cli("directives", "children", str(pid), "--db", db)
    assert r.returncode == 0 and "giao việc tiếp: 2" in r.stdout
    r = _cli(
        "directives", "reassign", str(first["id"]), "--as", "phuong", "--to", "binh",
        "--reason", "Nghỉ phép", "--db", db,
    )  # fmt: skip
    assert r.returncode == 0 and "(ban đầu: Trần Văn An – Thanh tra viên)" in r.stdout, r.stderr
    r = _cli(
        "directives",
        "reassign",
        str(first["id"]),
        "--as",
        "an",
        "--to",
        "an",
        "--reason",
        "x",
        "--db",
        db,
    )
    assert r.returncode == 4
    r = _cli("directives", "explain", "request", str(first["id"]), "--as", "phuong", "--db", db)
    assert r.returncode == 5 and "chưa quá hạn" in r.stderr
    r = _cli("directives", "units", "--db", db, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)[0]["unit"] == TT
