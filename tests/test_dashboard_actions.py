"""The directive page's actions beyond the workflow's triggers (issue 22, item 3): a board member
sends a chasing letter (Word and PDF, kept as sent, recorded in the history, queued in the
outbox, downloadable from the page); the unit head delegates, the assigner reassigns, a member
claims — each through the Engine with its permission check and audit event."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.cli.demo import load_demo_data
from dondoc.web.api import create_app

UNIT = "Thanh tra Sở"
SAME_SITE = {"Origin": "http://testserver"}


class Office:
    def __init__(self, tmp: Path) -> None:
        # 25/06/2024: the April cases are late
        self.clock = FakeClock(datetime(2024, 6, 25, 2, tzinfo=UTC))
        self.engine = Engine(f"sqlite:///{tmp / 'actions.db'}", clock=self.clock)
        self.thang, self.phuong, self.luyen = load_demo_data(self.engine).values()
        self.client = TestClient(create_app(self.engine))
        self.ids = {d.title: d.id for d in self.engine.directives()}

    def id(self, prefix: str) -> int:
        return next(i for t, i in self.ids.items() if t.startswith(prefix))

    def page(self, token: str, directive_id: int, query: str = "") -> str:
        self.client.cookies.set("dondoc_token", token)
        return self.client.get(f"/directives/{directive_id}{query}").text

    def post(self, token: str, path: str, data: dict[str, str]) -> str:
        """Post a form as a browser does; returns where it redirects to."""
        self.client.cookies.set("dondoc_token", token)
        r = self.client.post(path, data=data, headers=SAME_SITE, follow_redirects=False)
        assert r.status_code == 303, r.text
        return str(r.headers["location"])


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    o = Office(tmp_path)
    yield o
    o.engine.db.dispose()


def test_board_member_sends_a_chasing_letter_from_the_page(office: Office) -> None:
    e = office.engine
    case3 = office.id("Theo dõi việc thực hiện Kết luận")  # Luyến's, due 30/04: late
    assert 'data-move="send_letter"' in office.page(office.thang, case3)
    assert 'data-move="send_letter"' not in office.page(office.luyen, case3)  # the assignee
    where = office.post(
        office.thang, f"/directives/{case3}/letters", {"template": "chasing_letter"}
    )
    assert where == f"/directives/{case3}?msg=letter_sent"
    (letter,) = e.letters(case3)
    assert (letter.sent_by, letter.recipient, letter.template) == (
        "thang",
        "luyen",
        "chasing_letter",
    )
    # the history: a 'letter' event with the digest of the Word file kept
    last = e.history(case3)[-1]
    assert (last.kind, last.actor, last.payload["letter"]) == ("letter", "thang", letter.id)
    docx = e.letter_file(case3, letter.id, "docx").data
    assert last.payload["sha256"] == hashlib.sha256(docx).hexdigest() == letter.sha256
    body = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    assert "Hoàng Thị Luyến" in body and "ĐÔN ĐỐC" in body.upper()
    # the outbox: the letter's text to the assignee
    sent = [m for m in e.outbox() if m.template == "chasing_letter"]
    assert [m.recipient for m in sent] == ["luyen"]
    assert e.verify_audit().ok
    # the page: the timeline says so, and the letter is there to download as sent
    page = office.page(office.thang, case3, "?msg=letter_sent")
    assert "Đã gửi công văn đôn đốc" in page
    assert "Gửi công văn đôn đốc — gửi Hoàng Thị Luyến – Phó Chánh Thanh tra" in page
    link = re.search(rf'href="(/api/directives/{case3}/letters/{letter.id}\?format=docx)"', page)
    assert link is not None
    r = office.client.get(link.group(1))
    assert r.status_code == 200 and r.content == docx
    if letter.has_pdf:
        r = office.client.get(f"/api/directives/{case3}/letters/{letter.id}?format=pdf")
        assert r.content.startswith(b"%PDF")
    # a file swapped behind dondoc's back no longer matches the digest in the chain
    with e.db.begin() as conn:
        conn.execute(sa.text("UPDATE letters SET docx = :x"), {"x": b"PK forged"})
    report = e.verify_audit()
    assert not report.ok
    assert any(
        b.startswith(f"nhiệm vụ #{case3}: công văn #{letter.id} đã lưu không phải tệp")
        for b in report.breaks
    ), report.breaks


def test_a_letter_is_refused_to_whoever_may_not_send_it_or_when_it_does_not_fit(
    office: Office,
) -> None:
    e = office.engine
    case3 = office.id("Theo dõi việc thực hiện Kết luận")
    where = office.post(office.luyen, f"/directives/{case3}/letters", {})
    assert where == f"/directives/{case3}?err=permission_denied"
    assert e.letters(case3) == [] and e.history(case3)[-1].kind == "created"
    luyen = Actor.of("luyen", unit=UNIT)
    e.fire(case3, "start", luyen)
    e.fire(case3, "report_result", luyen, {"result": "Đã có báo cáo theo dõi."})
    where = office.post(office.thang, f"/directives/{case3}/letters", {})
    assert where == f"/directives/{case3}?err=not_applicable"  # reported done: nothing to chase
    assert "Văn bản không phù hợp với tình trạng nhiệm vụ" in office.page(
        office.thang, case3, "?err=not_applicable"
    )
    assert e.letters(case3) == []


def test_delegate_reassign_and_claim_from_the_page(office: Office) -> None:
    e = office.engine
    board = Actor.of("thang", "reviewer", "assigner")
    task = e.create_directive(
        board,
        "unit_task",
        NewDirective(
            title="Rà soát hồ sơ thanh tra năm 2023",
            lead_unit=UNIT,
            assigner="thang",
            due=date(2024, 7, 31),
        ),
    )
    # in the unit's queue: a member claims it from the page
    assert f'action="/directives/{task.id}/claim"' in office.page(office.luyen, task.id)
    office.post(office.luyen, f"/directives/{task.id}/claim", {})
    assert e.get(task.id).assignee == "luyen"
    # the member may neither delegate nor reassign; the unit head (Phương) may delegate
    mine = office.page(office.luyen, task.id)
    assert 'data-move="reassign"' not in mine
    head = office.page(office.phuong, task.id)
    assert 'data-move="delegate"' in head and 'data-move="reassign"' in head
    where = office.post(
        office.phuong,
        f"/directives/{task.id}/delegate",
        {"title": "Kiểm tra hồ sơ vụ việc 1", "assignee": "luyen", "due": "2024-07-15"},
    )
    assert where == f"/directives/{task.id}?msg=delegated"
    kids, _roll = e.children(task.id)
    assert [(k.title, k.assignee, k.due, k.workflow) for k in kids] == [
        ("Kiểm tra hồ sơ vụ việc 1", "luyen", date(2024, 7, 15), "specialist_task")
    ]
    # a child due after the parent is refused, naming the field
    where = office.post(
        office.phuong,
        f"/directives/{task.id}/delegate",
        {"title": "Quá hạn cha", "assignee": "luyen", "due": "2024-08-15"},
    )
    assert "err=validation_error" in where and len(e.children(task.id)[0]) == 1
    # the assigner reassigns it to the head, with a reason
    where = office.post(
        office.thang,
        f"/directives/{task.id}/reassign",
        {"assignee": "phuong", "lead_unit": "", "due": "", "reason": "Đồng chí Luyến đi công tác"},
    )
    assert where == f"/directives/{task.id}?msg=reassigned"
    d = e.get(task.id)
    assert (d.assignee, d.original_assignee) == ("phuong", None)  # created for the unit's queue
    where = office.post(
        office.luyen, f"/directives/{task.id}/reassign", {"assignee": "luyen", "reason": "x"}
    )
    assert "err=permission_denied" in where
    # another one in the queue: the head gives it to a member from the page
    other = e.create_directive(
        board,
        "unit_task",
        NewDirective(
            title="Tổng hợp kiến nghị", lead_unit=UNIT, assigner="thang", due=date(2024, 7, 31)
        ),
    )
    assert 'data-move="assign"' not in office.page(office.luyen, other.id)
    assert 'data-move="assign"' in office.page(office.phuong, other.id)
    where = office.post(office.phuong, f"/directives/{other.id}/assign", {"person": "luyen"})
    assert where == f"/directives/{other.id}?msg=assigned"
    assert e.get(other.id).assignee == "luyen"
    assert e.history(other.id)[-1].trigger == "assign"
    kinds = [(ev.kind, ev.trigger, ev.actor) for ev in e.history(task.id)]
    assert ("move", "claim", "luyen") in kinds
    assert ("move", "delegate", "phuong") in kinds
    assert ("move", "reassign", "thang") in kinds
    assert e.verify_audit().ok
