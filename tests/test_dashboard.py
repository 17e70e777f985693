"""The dashboard's "Việc của tôi" (issue 22, item 2) for each role of seed 000, and the CSRF
origin check on its forms (a form posted from another site is refused)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dondoc import Actor, Engine, FakeClock
from dondoc.cli.demo import load_demo_data
from dondoc.web.api import create_app

UNIT = "Thanh tra Sở"
SAME_SITE = {"Origin": "http://testserver"}  # a browser's form post says where it is from


class Office:
    def __init__(self, tmp: Path) -> None:
        # 25/06/2024: the April directives are late, the self-assessments due 30/06 are near.
        self.clock = FakeClock(datetime(2024, 6, 25, 2, tzinfo=UTC))
        self.engine = Engine(f"sqlite:///{tmp / 'dash.db'}", clock=self.clock)
        tokens = load_demo_data(self.engine)
        self.thang, self.phuong, self.luyen = tokens.values()
        self.client = TestClient(create_app(self.engine))
        self.ids = {d.title: d.id for d in self.engine.directives()}

    def id(self, prefix: str) -> int:
        return next(i for t, i in self.ids.items() if t.startswith(prefix))

    def section(self, token: str, key: str) -> set[int]:
        """Directive ids listed in one section of the home page ('' when it is absent)."""
        html = self.client.get("/", cookies={"dondoc_token": token}).text
        m = re.search(rf'<section class="mywork" id="{key}".*?</section>', html, re.S)
        return {int(i) for i in re.findall(r'data-id="(\d+)"', m.group(0))} if m else set()


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    o = Office(tmp_path)
    yield o
    o.engine.db.dispose()


def test_my_work_for_the_assignee_the_board_member_and_a_decision(office: Office) -> None:
    e = office.engine
    luyen = Actor.of("luyen", unit=UNIT)
    sa_luyen = office.id("Báo cáo tự đánh giá việc khắc phục tồn tại, hạn chế - Hoàng Thị Luyến")
    case3 = office.id("Theo dõi việc thực hiện Kết luận")
    # The assignee: her open work (case 3 and her self-assessment), the latter due within 7 days.
    todo = office.section(office.luyen, "todo")
    assert {sa_luyen, case3} <= todo
    assert all(e.get(i).assignee == "luyen" for i in todo)
    assert sa_luyen in office.section(office.luyen, "soon")
    assert case3 not in office.section(office.luyen, "soon")  # late, not "due soon"
    # The board member assigned everything: what is open and past its due date is "late".
    late = office.section(office.thang, "late")
    assert case3 in late and sa_luyen not in late
    assert office.section(office.thang, "review") == set()
    # She asks for an extension: it waits for the board member's decision, not hers.
    e.fire(sa_luyen, "start", luyen)
    e.fire(
        sa_luyen,
        "request_extension",
        luyen,
        {"reason": "Chờ kết quả kiểm tra", "proposed_due": "2024-07-15"},
    )
    assert sa_luyen in office.section(office.thang, "review")
    assert sa_luyen not in office.section(office.luyen, "review")
    # the batched permission read says what the one-by-one read says, requester rule included
    for who in (luyen, Actor.of("thang", "reviewer"), Actor.of("luyen", "reviewer", unit=UNIT)):
        ids = [d.id for d in e.directives()]
        assert e.allowed_triggers_many(ids, who) == {i: e.allowed_triggers(i, who) for i in ids}
    assert "approve_extension" not in e.allowed_triggers(sa_luyen, Actor.of("luyen", "reviewer"))
    page = office.client.get("/", cookies={"dondoc_token": office.thang}).text
    assert re.search(r'aria-label="1 việc chờ duyệt"', page)  # the count in the header
    # Decided: it leaves the review section.
    e.fire(
        sa_luyen,
        "approve_extension",
        Actor.of("thang", "reviewer"),
        {"new_due": "2024-07-15"},
    )
    assert office.section(office.thang, "review") == set()


def test_forms_posted_from_another_site_are_refused(office: Office) -> None:
    sa = office.id("Báo cáo tự đánh giá việc khắc phục tồn tại, hạn chế - Hoàng Thị Luyến")
    cookies = {"dondoc_token": office.luyen}
    form = {"trigger": "start"}
    r = office.client.post(
        f"/directives/{sa}/fire",
        data=form,
        cookies=cookies,
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and office.engine.get(sa).state == "assigned"
    r = office.client.post(
        f"/directives/{sa}/fire",
        data=form,
        cookies=cookies,
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and office.engine.get(sa).state == "in_progress"


def test_the_stylesheet_is_served_from_the_package(office: Office) -> None:
    r = office.client.get("/static/dashboard.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert "@media (min-width: 760px)" in r.text


def test_explanation_asked_answered_and_assessed_from_the_directive_page(tmp_path: Path) -> None:
    """Issue 22, item 3: on an overdue directive the assigner asks for an explanation, the
    assignee answers, the assigner assesses it — each from the directive page, each through
    the Engine with its audit event."""
    from dondoc.core.directory import SimpleDirectory

    tt = "Thanh tra Sở"
    clock = FakeClock(datetime(2024, 3, 19, 2, tzinfo=UTC))
    engine = Engine(
        f"sqlite:///{tmp_path / 'x.db'}",
        clock=clock,
        directory=SimpleDirectory(
            {"phuong": {"name": "Nguyễn Phương", "unit": tt}}, {tt: "phuong"}
        ),
    )
    board = engine.create_token("thang", roles=["assigner", "reviewer"])
    phuong = engine.create_token("phuong", unit=tt)
    c = TestClient(create_app(engine))
    r = c.post(
        "/api/directives",
        headers={"Authorization": f"Bearer {board}"},
        json={
            "workflow": "unit_task",
            "title": "Giải quyết dứt điểm các vụ, việc",
            "due": "2024-03-22",
            "assignee": "phuong",
            "lead_unit": tt,
        },
    )
    assert r.status_code == 201, r.text
    did = r.json()["id"]

    def page(token: str) -> str:
        return c.get(f"/directives/{did}", cookies={"dondoc_token": token}).text

    assert 'data-move="request_explanation"' not in page(board)  # not late yet
    clock.set(datetime(2024, 3, 26, 2, tzinfo=UTC))
    assert 'data-move="request_explanation"' in page(board)
    assert 'data-move="request_explanation"' not in page(phuong)  # the assignee does not ask
    r = c.post(
        f"/directives/{did}/explain",
        data={"note": "Đề nghị giải trình việc chậm"},
        cookies={"dondoc_token": board},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "msg=" in r.headers["location"], r.headers["location"]
    assert 'data-move="answer_explanation"' in page(phuong)
    r = c.post(
        f"/directives/{did}/answer",
        data={"reason": "Chờ hồ sơ của doanh nghiệp", "cause": "objective"},
        cookies={"dondoc_token": phuong},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert "msg=" in r.headers["location"], r.headers["location"]
    assert 'data-move="assess_explanation"' in page(board)
    r = c.post(
        f"/directives/{did}/assess",
        data={"verdict": "objective", "new_due": "2024-04-05"},
        cookies={"dondoc_token": board},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert "msg=" in r.headers["location"], r.headers["location"]
    (x,) = engine.explanations(directive_id=did)
    assert (x.status, x.verdict, x.new_due) == ("assessed", "objective", date(2024, 4, 5))
    moves = [e.trigger for e in engine.history(did) if e.kind == "move"]
    assert moves[-3:] == ["request_explanation", "answer_explanation", "assess_explanation"]
    # A refusal is one line on the page, not a 500.
    r = c.post(
        f"/directives/{did}/assess",
        data={"verdict": "objective"},
        cookies={"dondoc_token": phuong},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "err=" in r.headers["location"]


def test_the_timeline_names_people_labels_events_and_folds_repeats(office: Office) -> None:
    """Issue 22, item 4: names and positions, not ids; the workflow's Vietnamese labels for
    timers and triggers; the three escalations to the assigner folded into one line."""
    from dondoc.worker import Worker

    sa = office.id("Báo cáo tự đánh giá việc khắc phục tồn tại, hạn chế - Nguyễn Phương")
    # Due 30/06/2024 and never submitted: overdue, the unit head told after 2 working days,
    # the assigner after 5, then every 5 working days, 3 times in all (the workflow's timers).
    Worker(office.engine).advance(office.clock, datetime(2024, 9, 30, 2, tzinfo=UTC))
    assert office.engine.get(sa).state == "overdue"
    page = office.client.get(f"/directives/{sa}", cookies={"dondoc_token": office.thang}).text
    timeline = re.search(r'<ol class="timeline" id="timeline">.*?</ol>', page, re.S)
    assert timeline is not None
    text = re.sub(r"<[^>]+>", "", timeline.group(0))
    assert "3 lần báo cáo vượt cấp lên người giao nhiệm vụ" in text
    assert text.count("Báo cáo vượt cấp") + text.count("báo cáo vượt cấp") == 1
    assert "Chuyển quá hạn khi hết hạn" in text and "Báo cáo Trưởng đơn vị chủ trì" in text
    assert "Hoàng Mạnh Thắng – Phó Giám đốc Sở" in text  # the assigner, by name and position
    assert "Hệ thống" in text
    assert "system:scheduler" not in text and "escalate_to_assigner" not in text


def test_admin_checks_a_definition_at_its_lines_and_draws_its_diagram(office: Office) -> None:
    """Issue 22, item 5: a broken definition shows its problems with line numbers; a valid one
    shows its state diagram (SVG, drawn without Graphviz); versions in use with their counts."""
    admin = office.engine.create_token("admin", roles=["admin"], name="Quản trị")
    cookies = {"dondoc_token": admin}
    assert (
        office.client.get("/admin/workflows", cookies={"dondoc_token": office.luyen}).status_code
        == 403
    )
    page = office.client.get("/admin/workflows", cookies=cookies).text
    # seed 000: five monthly briefing tasks and two self-assessments
    assert re.search(
        r'data-key="monthly_briefing_task:\d+">.*?<td data-label="Số nhiệm vụ">5<', page
    )
    assert re.search(
        r'data-key="remediation_self_assessment:\d+">.*?<td data-label="Số nhiệm vụ">2<', page
    )

    source = (Path(__file__).parents[1] / "workflows" / "unit_task.yaml").read_text(
        encoding="utf-8"
    )
    lines = source.splitlines()
    target = next(i for i, line in enumerate(lines) if "dest: done" in line)
    broken = "\n".join(
        line.replace("dest: done", "dest: nowhere") if i == target else line
        for i, line in enumerate(lines)
    )
    page = office.client.post(
        "/admin/workflows", data={"yaml": broken}, cookies=cookies, headers=SAME_SITE
    ).text
    problems = re.findall(r"<li>Dòng (\d+), cột \d+: ([^<]*)</li>", page)
    assert problems and any(int(n) == target + 1 and "nowhere" in m for n, m in problems), problems
    assert 'id="diagram"' not in page

    page = office.client.post(
        "/admin/workflows", data={"yaml": source}, cookies=cookies, headers=SAME_SITE
    ).text
    assert 'id="valid"' in page and "<svg" in page
    diagram = re.search(r'<div class="diagram" id="diagram">(.*?)</div>', page, re.S)
    assert diagram is not None
    states = re.findall(r'data-state="([^"]+)"', diagram.group(1))
    assert set(states) == {"assigned", "in_progress", "overdue", "reported", "done", "cancelled"}
    assert "Đánh giá hoàn thành" in diagram.group(1)  # a transition's label on its arrow
