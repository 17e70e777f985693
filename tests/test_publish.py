"""Publishing a workflow version from the admin page or the command line (issue 22, item 5):
checked by the validator, stored in the database (admin only, in the administrators' hash-
chained log), loaded by every engine opened on the database later; new directives take it,
existing ones keep their version; the page lists the versions with their directive counts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dondoc import Actor, Engine, FakeClock, NewDirective, errors
from dondoc.cli.main import app as cli
from dondoc.web.api import create_app

SOURCE = (Path(__file__).parents[1] / "workflows" / "unit_task.yaml").read_text(encoding="utf-8")
V2 = SOURCE.replace("version: 1\n", "version: 2\n", 1).replace(
    "label: Báo cáo kết quả", "label: Báo cáo kết quả thực hiện", 1
)
ADMIN = Actor.of("admin", "admin", name="Quản trị")
BOARD = Actor.of("thang", "reviewer", "assigner")
UNIT = "Thanh tra Sở"


def new(title: str) -> NewDirective:
    return NewDirective(
        title=title, lead_unit=UNIT, assignee="luyen", assigner="thang", due=date(2024, 6, 30)
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'publish.db'}"


def clock() -> FakeClock:
    return FakeClock(datetime(2024, 6, 3, 2, tzinfo=UTC))


def test_published_version_is_used_by_new_directives_and_loaded_by_later_engines(
    url: str,
) -> None:
    e = Engine(url, clock=clock())
    old = e.create_directive(BOARD, "unit_task", new("Trước khi công bố"))
    assert old.workflow_version == 1
    done = e.publish_workflow(ADMIN, V2)
    assert (done.workflow, done.version, done.published_by) == ("unit_task", 2, "admin")
    fresh = e.create_directive(BOARD, "unit_task", new("Sau khi công bố"))
    assert fresh.workflow_version == 2 and e.get(old.id).workflow_version == 1
    # the administrators' log: one hash-chained event naming what was published
    (event,) = e.admin_events()
    assert (event.actor, event.action, event.subject) == (
        "admin",
        "publish_workflow",
        "unit_task v2",
    )
    assert e.verify_admin_events() == []
    e.db.dispose()

    # a server, worker or command opened later loads it beside the bundled files
    later = Engine(url, clock=clock())
    assert later.workflows.get("unit_task").spec.version == 2
    t = later.workflows.get("unit_task", 2).spec.transition("report_result", "in_progress")
    assert t is not None and t.label == "Báo cáo kết quả thực hiện"
    luyen = Actor.of("luyen", unit=UNIT)
    assert later.fire(fresh.id, "start", luyen).state == "in_progress"
    assert later.fire(old.id, "start", luyen).workflow_version == 1  # keeps its version
    usage = {(w, v): (n, o) for w, v, n, o in later.workflow_usage()}
    assert usage[("unit_task", 1)] == (1, 1) and usage[("unit_task", 2)] == (1, 1)
    assert later.verify_audit().ok
    # the log is tamper-evident
    with later.db.begin() as conn:
        conn.execute(sa.text("UPDATE admin_events SET subject = 'unit_task v3'"))
    assert later.verify_admin_events() == ["nhật ký quản trị, sự kiện #1: không khớp với chuỗi băm"]
    report = later.verify_audit()  # a full audit run checks the administrators' log too
    assert (
        not report.ok and "nhật ký quản trị, sự kiện #1: không khớp với chuỗi băm" in report.breaks
    )
    later.db.dispose()


def test_publishing_is_for_admins_and_refuses_what_the_validator_refuses(url: str) -> None:
    e = Engine(url, clock=clock())
    with pytest.raises(errors.PermissionDenied):
        e.publish_workflow(BOARD, V2)
    broken = V2.replace("dest: done", "dest: nowhere", 1)
    with pytest.raises(errors.WorkflowError) as bad:
        e.publish_workflow(ADMIN, broken)
    line = next(i for i, ln in enumerate(broken.splitlines(), 1) if "dest: nowhere" in ln)
    assert any(p.line == line and "nowhere" in p.message for p in bad.value.problems)
    with pytest.raises(errors.WorkflowError) as same:
        e.publish_workflow(ADMIN, SOURCE)  # version 1 exists (bundled)
    (p,) = same.value.problems
    assert p.line == 8 and "đã có phiên bản 1" in p.message and "version: 2" in p.message
    assert e.published_workflows() == [] and e.admin_events() == []
    e.publish_workflow(ADMIN, V2)
    with pytest.raises(errors.WorkflowError, match="đã có phiên bản 2"):
        e.publish_workflow(ADMIN, V2)
    e.db.dispose()


def test_the_admin_page_publishes_and_lists_versions(url: str) -> None:
    e = Engine(url, clock=clock())
    e.create_directive(BOARD, "unit_task", new("Một nhiệm vụ"))
    token = e.create_token("admin", roles=["admin"], name="Quản trị")
    client = TestClient(create_app(e))
    cookies = {"dondoc_token": token}
    same_site = {"Origin": "http://testserver"}
    page = client.post(
        "/admin/workflows", data={"yaml": V2, "action": "check"}, cookies=cookies, headers=same_site
    ).text
    assert 'id="valid"' in page and 'id="publish"' in page  # valid: the publish button
    r = client.post(
        "/admin/workflows",
        data={"yaml": V2.replace("dest: done", "dest: nowhere", 1), "action": "publish"},
        cookies=cookies,
        headers=same_site,
    )
    assert "nowhere" in r.text and e.published_workflows() == []  # broken: nothing published
    r = client.post(
        "/admin/workflows",
        data={"yaml": V2, "action": "publish"},
        cookies=cookies,
        headers=same_site,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "msg=workflow_published" in r.headers["location"]
    page = client.get(r.headers["location"], cookies=cookies).text
    assert "Đã công bố phiên bản mới của quy trình" in page
    row = re.search(r'data-key="unit_task:2">(.*?)</tr>', page, re.S)
    assert row is not None and "Công bố bởi" in row.group(1) and "03/06/2024" in row.group(1)
    assert re.search(r'<td data-label="Số nhiệm vụ">0<', row.group(1))
    row1 = re.search(r'data-key="unit_task:1">(.*?)</tr>', page, re.S)
    assert row1 is not None and '<td data-label="Số nhiệm vụ">1<' in row1.group(1)
    # an upload works as a paste does
    v3 = V2.replace("version: 2\n", "version: 3\n", 1)
    r = client.post(
        "/admin/workflows",
        data={"yaml": "", "action": "publish"},
        files={"file": ("unit_task.yaml", v3.encode(), "text/yaml")},
        cookies=cookies,
        headers=same_site,
        follow_redirects=False,
    )
    assert r.status_code == 303 and e.workflows.get("unit_task").spec.version == 3
    e.db.dispose()


def test_cli_publish(url: str, tmp_path: Path) -> None:
    Engine(url).db.dispose()
    f = tmp_path / "unit_task_v2.yaml"
    f.write_text(V2, encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(cli, ["workflows", "publish", str(f), "--db", url, "--as-admin"])
    assert r.exit_code == 0, r.output
    assert "đã công bố unit_task phiên bản 2" in r.output
    r = runner.invoke(cli, ["workflows", "publish", str(f), "--db", url])
    assert r.exit_code == 2 and "--as-admin" in r.output  # who publishes is explicit
    r = runner.invoke(cli, ["workflows", "publish", str(f), "--db", url, "--as-admin"])
    assert r.exit_code == 1 and "Traceback" not in r.output  # the problem at its place
    assert f"{f}:" in r.output and "đã có phiên bản 2" in r.output
