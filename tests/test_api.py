"""The HTTP API through httpx (FastAPI's TestClient): endpoints, error codes, permissions."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

from dondoc import Engine, FakeClock  # noqa: E402
from dondoc.cli.demo import load_demo_data  # noqa: E402
from dondoc.web.api import create_app  # noqa: E402


class Api:
    def __init__(self, tmp: Path) -> None:
        self.clock = FakeClock(datetime(2024, 3, 20, 2, tzinfo=UTC))
        self.engine = Engine(f"sqlite:///{tmp / 'api.db'}", clock=self.clock)
        tokens = load_demo_data(self.engine)  # seed 000: 7 directives for the Inspection office
        self.board, self.phuong, self.luyen = tokens.values()
        self.outsider = self.engine.create_token("vp", unit="Văn phòng", name="Văn phòng")
        self.client = TestClient(create_app(self.engine))

    def h(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, token: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.h(token), **kw)

    def post(self, path: str, token: str, **kw: Any) -> Any:
        headers = {**self.h(token), **kw.pop("headers", {})}
        return self.client.post(path, headers=headers, **kw)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    a = Api(tmp_path)
    yield a
    a.engine.db.dispose()


def _id_of(api: Api, assignee: str, workflow: str = "remediation_self_assessment") -> int:
    return next(d.id for d in api.engine.directives(workflow=workflow) if d.assignee == assignee)


def test_unauthenticated_and_bad_tokens_get_401(api: Api) -> None:
    for r in (
        api.client.get("/api/directives"),
        api.get("/api/directives", "not-a-token"),
        api.client.get("/api/me", headers={"Authorization": "Basic abc"}),
    ):
        assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
    api.engine.revoke_tokens("luyen")
    assert api.get("/api/me", api.luyen).status_code == 401


def test_me(api: Api) -> None:
    assert api.get("/api/me", api.luyen).json() == {
        "id": "luyen",
        "name": "Hoàng Thị Luyến – Phó Chánh Thanh tra",
        "unit": "Thanh tra Sở",
        "roles": [],
    }


def test_list_filters_and_visibility(api: Api) -> None:
    assert len(api.get("/api/directives", api.board).json()) == 7
    assert len(api.get("/api/directives", api.luyen).json()) == 7  # her unit leads all of them
    assert api.get("/api/directives", api.outsider).json() == []  # another unit sees nothing
    mine = api.get("/api/directives", api.board, params={"assignee": "luyen"}).json()
    assert {d["assignee"] for d in mine} == {"luyen"} and len(mine) == 2
    assert (
        len(
            api.get(
                "/api/directives", api.board, params={"workflow": "remediation_self_assessment"}
            ).json()
        )
        == 2
    )
    assert len(api.get("/api/directives", api.board, params={"status": "no_deadline"}).json()) == 1
    april = api.get(
        "/api/directives", api.board, params={"due_from": "2024-04-30", "due_to": "2024-04-30"}
    ).json()
    assert len(april) == 3
    assert (
        len(
            api.get(
                "/api/directives", api.board, params={"doc_number": "/TB-STTTT", "limit": 2}
            ).json()
        )
        == 2
    )
    r = api.get("/api/directives", api.board, params={"limit": 0})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = api.get("/api/directives", api.board, params={"due_from": "hôm qua"})
    assert r.status_code == 422 and "due_from" in r.json()["message"]


def test_get_directive_with_history_and_the_actors_triggers(api: Api) -> None:
    did = _id_of(api, "luyen")
    body = api.get(f"/api/directives/{did}", api.luyen).json()
    assert (
        body["directive"]["due"] == "2024-06-30"
        and body["directive"]["due_text"] == "Trước ngày 01/07/2024"
    )
    assert [e["kind"] for e in body["history"]] == ["created"]
    assert set(body["allowed_triggers"]) == {"start", "submit_self_assessment", "request_extension"}
    assert set(api.get(f"/api/directives/{did}", api.board).json()["allowed_triggers"]) >= {
        "cancel",
        "mark_overdue",
    }
    r = api.get(f"/api/directives/{did}", api.outsider)
    assert r.status_code == 404 and r.json()["code"] == "not_found"  # existence not revealed
    assert api.get("/api/directives/9999", api.board).status_code == 404


def test_fire_and_every_error_code(api: Api) -> None:
    did = _id_of(api, "luyen")
    r = api.post(
        f"/api/directives/{did}/fire",
        api.luyen,
        json={"trigger": "accept", "payload": {"conclusion": "x"}},
    )
    assert (
        r.status_code == 409
        and r.json()["code"] == "invalid_transition"
        and "start" in r.json()["allowed"]
    )
    r = api.post(f"/api/directives/{did}/fire", api.phuong, json={"trigger": "start"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    r = api.post(f"/api/directives/{did}/fire", api.luyen, json={"trigger": "start"})
    assert r.status_code == 200 and r.json()["state"] == "in_progress" and r.json()["version"] == 2
    r = api.post(
        f"/api/directives/{did}/fire",
        api.luyen,
        json={"trigger": "report_progress", "payload": {"progress": 60}, "expected_version": 1},
    )
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    r = api.post(
        f"/api/directives/{did}/fire",
        api.luyen,
        json={"trigger": "report_progress", "payload": {"progress": 160}},
    )
    assert (
        r.status_code == 422
        and r.json()["code"] == "validation_error"
        and r.json()["field"] == "progress"
    )
    r = api.post(f"/api/directives/{did}/fire", api.luyen, json={"trigger": "start", "bogus": 1})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = api.post(
        f"/api/directives/{did}/fire",
        api.luyen,
        content=b"{not json",
        headers={**api.h(api.luyen), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    r = api.post(
        f"/api/directives/{did}/fire",
        api.luyen,
        json={
            "trigger": "submit_self_assessment",
            "payload": {
                "report": "Chưa xong",
                "shortcomings_fixed": False,
                "proposed_discipline": "khien_trach",
            },
        },
    )
    assert r.status_code == 200 and r.json()["state"] == "self_assessment_submitted"
    r = api.post(
        f"/api/directives/{did}/fire",
        api.board,
        json={"trigger": "discipline", "payload": {"form": "khien_trach"}},
    )
    assert (
        r.status_code == 200
        and r.json()["state"] == "disciplined"
        and r.json()["outcome"] == "completed"
    )


def test_extension_request_and_approval(api: Api) -> None:
    did = _id_of(api, "luyen")
    r = api.post(
        f"/api/directives/{did}/extension",
        api.luyen,
        json={"reason": "Chờ số liệu", "proposed_due": "2024-07-31"},
    )
    assert r.status_code == 200 and r.json()["state"] == "extension_requested"
    r = api.post(
        f"/api/directives/{did}/extension/approve", api.luyen, json={"new_due": "2024-07-31"}
    )
    assert r.status_code == 403
    r = api.post(
        f"/api/directives/{did}/extension/approve", api.board, json={"new_due": "2024-07-31"}
    )
    body = r.json()
    assert r.status_code == 200 and (body["due"], body["original_due"]) == (
        "2024-07-31",
        "2024-06-30",
    )
    seal = next(d.id for d in api.engine.directives() if d.title.startswith("Bàn giao con dấu"))
    r = api.post(
        f"/api/directives/{seal}/extension",
        api.phuong,
        json={"reason": "x", "proposed_due": "2024-07-31"},
    )
    assert r.status_code == 409  # that workflow has no extension step


def test_create_requires_the_assigner_role(api: Api) -> None:
    body = {
        "workflow": "monthly_briefing_task",
        "title": "Chuẩn bị cuộc thanh tra tại Sở GD&ĐT",
        "deadline": "trong tháng 9/2024",
        "lead_unit": "Phòng Nghiệp vụ 1",
        "assignee": "tp1",
    }
    r = api.post("/api/directives", api.luyen, json=body)
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    r = api.post("/api/directives", api.board, json=body)
    assert (
        r.status_code == 201 and r.json()["due"] == "2024-09-30" and r.json()["assigner"] == "thang"
    )
    r = api.post("/api/directives", api.board, json={**body, "deadline": "vào dịp thích hợp"})
    assert (
        r.status_code == 422
        and r.json()["code"] == "validation_error"
        and "thời hạn" in r.json()["message"]
    )
    r = api.post("/api/directives", api.board, json={**body, "workflow": "no_such"})
    assert r.status_code == 404
    r = api.post(
        "/api/directives", api.board, json={"workflow": "monthly_briefing_task", "title": ""}
    )
    assert r.status_code == 422


def test_workflows_and_validation(api: Api) -> None:
    ids = {w["workflow"] for w in api.get("/api/workflows", api.luyen).json()}
    assert {
        "remediation_self_assessment",
        "monthly_briefing_task",
        "inspection_review_meeting",
    } <= ids
    spec = api.get("/api/workflows/remediation_self_assessment", api.luyen).json()
    assert spec["version"] == 2 and any(s["id"] == "disciplined" for s in spec["states"])
    assert api.get("/api/workflows/nope", api.luyen).status_code == 404
    bad = "workflow: x\nversion: 1\ntitle: T\nroles: {a: {label: A}}\nstates:\n  - {id: s, label: S, initial: true}\n  - {id: e, label: E, final: true}\ntransitions:\n  - {trigger: go, source: s, dest: ee, roles: [a]}\n"
    r = api.post(
        "/api/workflows/validate",
        api.board,
        content=bad.encode(),
        headers={**api.h(api.board), "Content-Type": "text/plain"},
    )
    assert r.status_code == 200
    (problem,) = r.json()["problems"]
    assert (problem["line"], r.json()["valid"]) == (9, False) and "có phải 'e'" in problem[
        "message"
    ]
    good = bad.replace("dest: ee", "dest: e")
    r = api.post(
        "/api/workflows/validate",
        api.board,
        content=good.encode(),
        headers={**api.h(api.board), "Content-Type": "text/plain"},
    )
    assert r.json() == {"valid": True, "workflow": "x", "version": 1, "problems": []}


def test_statistics_documents_and_reports(api: Api) -> None:
    rows = api.get("/api/statistics", api.board).json()
    assert rows == [
        {
            "key": "Thanh tra Sở",
            "total": 7,
            "counts": {
                **dict.fromkeys(
                    [
                        "completed_on_time",
                        "completed_late",
                        "due_soon",
                        "in_progress_overdue",
                        "cancelled",
                    ],
                    0,
                ),
                "in_progress_on_time": 6,
                "no_deadline": 1,
            },
        }
    ]
    assert api.get("/api/statistics", api.outsider).json() == []  # not its unit
    did = _id_of(api, "luyen")
    r = api.get(
        f"/api/directives/{did}/documents/chasing_letter", api.luyen, params={"format": "html"}
    )
    assert r.status_code == 200 and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in r.text
    r = api.get(
        f"/api/directives/{did}/documents/self_assessment", api.luyen, params={"format": "pdf"}
    )
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    r = api.get(f"/api/directives/{did}/documents/no_such", api.luyen, params={"format": "txt"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert (
        api.get(f"/api/directives/{did}/documents/chasing_letter", api.outsider).status_code == 404
    )
    r = api.get("/api/reports/progress_report", api.board, params={"format": "txt"})
    assert r.status_code == 200 and "Thanh tra Sở: tổng 7" in r.text
    assert api.get("/api/reports/progress_report", api.luyen).status_code == 403
    assert api.get("/api/directives", api.board, params={"limit": "x"}).status_code == 422


def test_openapi_is_published(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    assert {
        "/api/directives",
        "/api/directives/{directive_id}/fire",
        "/api/workflows/validate",
        "/api/statistics",
        "/api/reports/{template}",
    } <= set(schema["paths"])


def test_dashboard_pages(api: Api) -> None:
    assert api.client.get("/", follow_redirects=False).status_code == 303
    r = api.client.post("/login", data={"token": "sai"}, follow_redirects=False)
    assert r.status_code == 303 and "err=" in r.headers["location"]
    r = api.client.post("/login", data={"token": api.luyen}, follow_redirects=False)
    assert r.status_code == 303 and "dondoc_token" in r.headers["set-cookie"]
    page = api.client.get("/directives", cookies={"dondoc_token": api.luyen}).text
    assert (
        page.count('class="directive"') == 7
        and 'class="bar"' in page
        and "Không có thời hạn" in page
    )
    did = _id_of(api, "luyen")
    page = api.client.get(f"/directives/{did}", cookies={"dondoc_token": api.luyen}).text
    assert 'data-trigger="submit_self_assessment"' in page and "Gửi báo cáo tự đánh giá" in page
    r = api.client.post(
        f"/directives/{did}/fire",
        cookies={"dondoc_token": api.luyen},
        headers={"Origin": "http://testserver"},  # a browser's form post says where it is from
        follow_redirects=False,
        data={
            "trigger": "submit_self_assessment",
            "report": "Đã khắc phục",
            "shortcomings_fixed": "true",
            "proposed_discipline": "",
        },
    )
    assert r.status_code == 303 and "msg=" in r.headers["location"]
    assert api.engine.get(did).state == "self_assessment_submitted"
    r = api.client.post(
        f"/directives/{did}/fire",
        cookies={"dondoc_token": api.luyen},
        headers={"Referer": f"http://testserver/directives/{did}"},
        follow_redirects=False,
        data={"trigger": "accept"},
    )
    assert "err=" in r.headers["location"]
    assert "<svg" in api.client.get("/stats", cookies={"dondoc_token": api.board}).text
    assert (
        "không có quyền"
        in api.client.get(f"/directives/{did}", cookies={"dondoc_token": api.outsider}).text
    )


SEEDS = Path(__file__).resolve().parent / "data" / "seeds"


def test_extract_and_import_endpoints(api: Api) -> None:
    text = next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8")
    r = api.post(
        "/api/documents/extract",
        api.board,
        content=text.encode(),
        headers={"Content-Type": "text/plain"},
    )
    body = r.json()
    assert r.status_code == 200 and body["document"]["symbol"] == "TB-STTTT"
    assert {
        "text",
        "unit",
        "assignee",
        "cooperating",
        "deadline_text",
        "due",
        "start",
        "recurrence",
        "confidence",
        "source_span",
    } <= set(body["directives"][0])
    assert body["directives"][0]["due"] == "2024-04-30"
    r = api.post(
        "/api/documents/import", api.luyen, json={"text": text, "workflow": "monthly_briefing_task"}
    )
    assert r.status_code == 403
    r = api.post(
        "/api/documents/import",
        api.board,
        json={"text": text, "workflow": "monthly_briefing_task", "accept": [0, 99]},
    )
    assert r.status_code == 422 and r.json()["field"] == "accept"
    r = api.post(
        "/api/documents/import",
        api.board,
        json={"text": text, "workflow": "monthly_briefing_task", "accept": [0, 7]},
    )
    assert r.status_code == 201
    out = r.json()
    assert out["parent"]["workflow"] == "conclusion" and [d["due"] for d in out["directives"]] == [
        "2024-04-30",
        "2024-03-31",
    ]
