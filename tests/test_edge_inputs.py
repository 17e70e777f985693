"""Finding 8 of issue 14: plausible but impossible input is a 422 naming the field, never a
500 — dates in year 1 or 9999, strings longer than their column, NUL characters (which
PostgreSQL refuses). Runs on SQLite and PostgreSQL, through the app of `dondoc serve`."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

from dondoc import Actor, Engine, FakeClock, NewDirective, errors  # noqa: E402
from dondoc.web.api import create_app  # noqa: E402

WF = "remediation_self_assessment"


class _Api:
    def __init__(self, url: str) -> None:
        self.engine = Engine(url, clock=FakeClock(datetime(2024, 3, 20, 2, tzinfo=UTC)))
        self.board = self.engine.create_token("thang", roles=("admin", "assigner", "reviewer"))
        self.leader = self.engine.create_token("phuong", unit="Thanh tra Sở")
        self.client = TestClient(create_app(self.engine))
        self.did = self.engine.create_directive(
            Actor.of("thang", "assigner"),
            WF,
            NewDirective(title="Khắc phục", assignee="phuong", lead_unit="Thanh tra Sở"),
        ).id

    def call(self, method: str, path: str, token: str, **kw: Any) -> Any:
        kw = dict(kw)  # the cases' dicts are shared between backends
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)


@pytest.fixture
def api(db_url: str) -> Iterator[_Api]:
    a = _Api(db_url)
    yield a
    a.engine.db.dispose()


def _create(**fields: Any) -> dict[str, Any]:
    return {"workflow": WF, "title": "Việc", **fields}


# (method, path, who, request keywords, the field the 422 names)
CASES: list[tuple[str, str, str, dict[str, Any], str]] = [
    # years 0001 / 9999
    ("POST", "/api/directives", "board", {"json": _create(due="0001-01-01")}, "due"),
    ("POST", "/api/directives", "board", {"json": _create(due="9999-12-31")}, "due"),
    ("POST", "/api/directives", "board", {"json": _create(doc_date="9999-12-31")}, "doc_date"),
    (
        "POST",
        "/api/directives",
        "board",
        {"json": _create(deadline="trong 15 ngày làm việc", doc_date="2199-12-31")},
        "deadline",
    ),
    ("GET", "/api/directives", "board", {"params": {"due_from": "0001-01-01"}}, "due_from"),
    ("GET", "/api/directives", "board", {"params": {"due_to": "9999-12-31"}}, "due_to"),
    (
        "POST",
        "/api/directives/{did}/extension",
        "leader",
        {"json": {"reason": "x", "proposed_due": "9999-12-31"}},
        "proposed_due",
    ),
    (
        "POST",
        "/api/directives/{did}/fire",
        "leader",
        {
            "json": {
                "trigger": "request_extension",
                "payload": {"reason": "x", "proposed_due": "0001-01-01"},
            }
        },
        "proposed_due",
    ),
    (
        "POST",
        "/api/documents/extract",
        "board",
        {
            "content": b"x",
            "params": {"issued": "9999-12-31"},
            "headers": {"Content-Type": "text/plain"},
        },
        "issued",
    ),
    # strings too long for their column, or with NUL
    ("POST", "/api/directives", "board", {"json": _create(title="t" * 501)}, "title"),
    ("POST", "/api/directives", "board", {"json": _create(assignee="a" * 201)}, "assignee"),
    ("POST", "/api/directives", "board", {"json": _create(lead_unit="Phòng\x00A")}, "lead_unit"),
    ("POST", "/api/directives", "board", {"json": _create(content="nội\x00dung")}, "content"),
    ("POST", "/api/directives", "board", {"json": _create(doc_number="1" * 101)}, "doc_number"),
    ("POST", "/api/directives", "board", {"json": _create(cooperating_units=["u" * 201])}, "0"),
    ("POST", "/api/directives", "board", {"json": _create(title="a\x00b")}, "title"),
    ("GET", "/api/directives", "leader", {"params": {"unit": "\x00"}}, "unit"),
    ("GET", "/api/directives", "leader", {"params": {"assignee": "a" * 300}}, "assignee"),
    ("GET", "/api/directives", "leader", {"params": {"doc_number": "x\x00"}}, "doc_number"),
    ("GET", "/api/directives", "leader", {"params": {"state": "\x00"}}, "state"),
    (
        "POST",
        "/api/directives/{did}/extension",
        "leader",
        {"json": {"reason": "lý do\x00", "proposed_due": "2024-09-30"}},
        "reason",
    ),
    (
        "POST",
        "/api/directives/{did}/fire",
        "leader",
        {
            "json": {
                "trigger": "request_extension",
                "payload": {"reason": "\x00", "proposed_due": "2024-09-30"},
            }
        },
        "reason",
    ),
    (
        "POST",
        "/api/directives/{did}/fire",
        "leader",
        {"json": {"trigger": "report_progress", "payload": {"note": "n" * 100_001, "progress": 5}}},
        "note",
    ),
    ("POST", "/api/directives/{did}/fire", "leader", {"json": {"trigger": "s\x00"}}, "trigger"),
]


@pytest.mark.parametrize(
    ("method", "path", "who", "kw", "field"),
    CASES,
    ids=[f"{c[0]} {c[1]} {c[4]}" for c in CASES],
)
def test_impossible_input_is_a_422_naming_the_field(
    api: _Api, method: str, path: str, who: str, kw: dict[str, Any], field: str
) -> None:
    if "report_progress" in str(kw):
        api.engine.fire(api.did, "start", Actor.of("phuong"))
    r = api.call(method, path.format(did=api.did), getattr(api, who), **kw)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    # and the server is fine afterwards
    assert api.call("GET", f"/api/directives/{api.did}", api.board).status_code == 200


def test_the_engine_checks_the_same_for_an_embedding_back_end(api: _Api) -> None:
    board = Actor.of("thang", "assigner")
    for new, field in [
        (NewDirective(title="x", due=__import__("datetime").date(9999, 12, 31)), "due"),
        (NewDirective(title="x", assignee="a" * 201), "assignee"),
        (NewDirective(title="x\x00"), "title"),
        (NewDirective(title="x", parent_id=2**40), "parent_id"),
    ]:
        with pytest.raises(errors.PayloadError) as caught:
            api.engine.create_directive(board, WF, new)
        assert caught.value.field == field
