"""Findings 2 and 3 of issue 14: bounded YAML, an administrators-only validation endpoint, a
cap on request bodies (413), role-gated extraction. Each test replays the attack first."""

from __future__ import annotations

import tracemalloc
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

from dondoc import Engine, FakeClock  # noqa: E402
from dondoc.core import limits  # noqa: E402
from dondoc.core.spec import load_workflow_file, parse_workflow  # noqa: E402
from dondoc.errors import WorkflowError  # noqa: E402
from dondoc.web.api import create_app  # noqa: E402

# The review's alias bomb: nine levels of nine aliases each (9**7 ≈ 4.8 million strings) in a
# few hundred bytes; it grew the server to 4.9 GB.
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", "a", "b", "c", "d", "e", "f", "g"], "abcdefgh", strict=True)
)


def _problems(text: str) -> list[str]:
    with pytest.raises(WorkflowError) as caught:
        parse_workflow(text, "w.yaml")
    return [str(p) for p in caught.value.problems]


def test_alias_bomb_is_refused_in_bounded_memory() -> None:
    assert len(BOMB) < 600
    tracemalloc.start()
    try:
        (problem,) = _problems(BOMB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem.startswith("w.yaml:") and "mở rộng ra quá" in problem
    assert peak < 64 * 1024 * 1024  # the unbounded loader needed gigabytes


def test_deep_nesting_too_many_aliases_and_size_are_refused_with_their_place(
    tmp_path: Path,
) -> None:
    deep = "workflow: x\nstates: " + "[" * 5000 + "]" * 5000 + "\n"
    (problem,) = _problems(deep)
    assert problem.startswith("w.yaml:2:") and "lồng nhau quá" in problem
    many = "a: &a x\nb: [" + ", ".join(["*a"] * (limits.MAX_YAML_ALIASES + 1)) + "]\n"
    (problem,) = _problems(many)
    assert "bí danh" in problem
    huge = "# " + "x" * limits.MAX_YAML_BYTES + "\n"
    (problem,) = _problems(huge)
    assert "byte; tối đa" in problem
    big = tmp_path / "big.yaml"
    big.write_text(huge, encoding="utf-8")
    with pytest.raises(WorkflowError, match="tối đa"):
        load_workflow_file(big)
    # within the bounds, anchors and aliases still work
    ok = parse_workflow(
        "workflow: w\nversion: 1\ntitle: T\nroles: {a: &lab {label: A}, b: *lab}\n"
        "states:\n  - {id: s, label: S, initial: true}\n"
        "  - {id: e, label: E, final: true}\n"
        "transitions:\n  - {trigger: go, source: s, dest: e, roles: [a, b]}\n",
        "w.yaml",
    )
    assert ok.spec.roles["b"].label == "A"


class _App:
    def __init__(self, tmp: Path) -> None:
        self.engine = Engine(
            f"sqlite:///{tmp / 'l.db'}", clock=FakeClock(datetime(2024, 3, 20, 2, tzinfo=UTC))
        )
        self.admin = self.engine.create_token("root", roles=("admin",))
        self.clerk = self.engine.create_token("vp", unit="Văn phòng")  # no global role
        self.creator = self.engine.create_token("thang", roles=("assigner",))
        self.client = TestClient(create_app(self.engine))

    def post(self, path: str, token: str, **kw: object) -> object:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
        return self.client.post(path, headers=headers, **kw)  # type: ignore[arg-type]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[_App]:
    a = _App(tmp_path)
    yield a
    a.engine.db.dispose()


def test_alias_bomb_through_the_api(app: _App) -> None:
    # the attack: any authenticated user, even without a role, posts the bomb
    r = app.post("/api/workflows/validate", app.clerk, content=BOMB.encode())
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"  # type: ignore[attr-defined]
    # an administrator gets the problem, quickly and in bounded memory; the server stays well
    r = app.post("/api/workflows/validate", app.admin, content=BOMB.encode())
    body = r.json()  # type: ignore[attr-defined]
    assert r.status_code == 200 and body["valid"] is False  # type: ignore[attr-defined]
    assert "mở rộng ra quá" in body["problems"][0]["message"]
    me = app.client.get("/api/me", headers={"Authorization": f"Bearer {app.admin}"})
    assert me.status_code == 200


def test_request_bodies_are_capped_with_413(app: _App) -> None:
    over = b"x" * (limits.MAX_BODY_BYTES + 1)
    # declared length over the cap
    r = app.post("/api/documents/extract", app.creator, content=over)
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"  # type: ignore[attr-defined]
    assert r.json()["limit"] == limits.MAX_BODY_BYTES  # type: ignore[attr-defined]

    # chunked, without a Content-Length: counted as it arrives
    def chunks() -> Iterator[bytes]:
        for _ in range(limits.MAX_BODY_BYTES // 65536 + 2):
            yield b"y" * 65536

    r = app.post("/api/workflows/validate", app.admin, content=chunks())
    assert r.status_code == 413
    # the dashboard's forms too
    r = app.client.post("/login", content=over, headers={"Content-Type": "text/plain"})
    assert r.status_code == 413
    # a deployment may choose its own cap
    small = TestClient(create_app(app.engine, max_body=1000))
    r = small.post(
        "/api/documents/extract",
        content=b"z" * 1001,
        headers={"Authorization": f"Bearer {app.creator}", "Content-Type": "text/plain"},
    )
    assert r.status_code == 413


def test_extraction_is_role_gated_and_its_text_bounded(app: _App) -> None:
    text = "THÔNG BÁO\nKết luận của Giám đốc Sở\n1. Văn phòng báo cáo trước ngày 30/4/2024.\n"
    # the attack: a user without a role makes the server read a document
    r = app.post("/api/documents/extract", app.clerk, content=text.encode())
    assert r.status_code == 403
    r = app.post("/api/documents/extract", app.creator, content=text.encode())
    assert r.status_code == 200
    # under the body cap but over the document limit: 422 naming the field, nothing read
    long_text = "a " * (limits.MAX_DOCUMENT_CHARS // 2 + 1)
    assert len(long_text.encode()) < limits.MAX_BODY_BYTES
    r = app.post("/api/documents/extract", app.creator, content=long_text.encode())
    assert r.status_code == 422 and r.json()["field"] == "text"  # type: ignore[attr-defined]
