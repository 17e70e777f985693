"""What the API tells a person in its error ``message`` is Vietnamese (issue 17, item 4);
the stable ``code`` and the field names stay as they are for programs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dondoc import Engine, FakeClock
from dondoc.cli.demo import load_demo_data
from dondoc.web.api import create_app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    engine = Engine(
        f"sqlite:///{tmp_path / 'vi.db'}", clock=FakeClock(datetime(2024, 3, 20, 2, tzinfo=UTC))
    )
    board, phuong, luyen = load_demo_data(engine).values()
    yield TestClient(create_app(engine)), {"board": board, "phuong": phuong, "luyen": luyen}
    engine.db.dispose()


def test_error_messages_are_vietnamese(client: tuple[TestClient, dict[str, str]]) -> None:
    http, tokens = client

    def call(method: str, path: str, who: str | None = "board", **kw: object) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        return http.request(method, path, headers=headers, **kw).json()  # type: ignore[arg-type]

    answers = {
        "unauthenticated": call("GET", "/api/directives", who=None),
        "not_found": call("GET", "/api/directives/999"),
        "invalid_transition": call("POST", "/api/directives/7/fire", json={"trigger": "accept"}),
        "permission_denied": call(
            "POST", "/api/directives/7/fire", who="phuong", json={"trigger": "start"}
        ),
        "payload": call(
            "POST",
            "/api/directives/7/fire",
            who="luyen",
            json={"trigger": "start", "payload": {"ghi_chu": "x"}},
        ),
        "query": call("GET", "/api/directives", params={"limit": 0}),
    }
    expected = {
        "unauthenticated": "cần đăng nhập",
        "not_found": "không tìm thấy nhiệm vụ #999",
        "invalid_transition": "các lệnh được phép lúc này",
        "permission_denied": "không có quyền 'start'",
        "payload": "trường 'ghi_chu'",
        "query": "phải lớn hơn hoặc bằng 1",
    }
    for key, answer in answers.items():
        assert expected[key] in answer["message"], (key, answer)
    assert answers["not_found"]["code"] == "not_found"  # codes stay stable for programs
