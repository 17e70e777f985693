"""Bulk creation, paging through the API, dashboard and CLI, and the parent_id leak (issue 14)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import get_args

import pytest

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.core.machine import WorkflowRegistry
from dondoc.deadlines.status import Status
from dondoc.errors import NotFound, PayloadError

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

from dondoc.web.api import StatusName, create_app  # noqa: E402

BOARD = Actor.of("thang", "admin", "assigner", "reviewer")
T0 = datetime(2024, 3, 18, 2, tzinfo=UTC)
WF = "remediation_self_assessment"


def _news(n: int) -> list[NewDirective]:
    return [
        NewDirective(
            title=f"Báo cáo tự đánh giá {i}",
            assignee=f"can_bo_{i % 3}",
            lead_unit=("Thanh tra Sở", "Văn phòng")[i % 2],
            cooperating_units=("Văn phòng",) if i % 3 == 0 else (),
            deadline="Trước ngày 01/07/2024" if i % 4 else None,
            doc_date=date(2024, 3, 18),
        )
        for i in range(n)
    ]


def test_bulk_create_writes_what_one_by_one_writes(
    tmp_path: Path, registry: WorkflowRegistry
) -> None:
    """create_directives gives the same directives, audit trails and timers as the same
    create_directive calls, in one transaction."""
    one = Engine(f"sqlite:///{tmp_path / 'one.db'}", workflows=registry, clock=FakeClock(T0))
    bulk = Engine(f"sqlite:///{tmp_path / 'bulk.db'}", workflows=registry, clock=FakeClock(T0))
    singles = [one.create_directive(BOARD, WF, n) for n in _news(9)]
    made = bulk.create_directives(BOARD, WF, _news(9))
    assert made == singles
    for d in made:
        assert bulk.history(d.id) == one.history(d.id)
        assert bulk.timers(d.id) == one.timers(d.id)
    assert bulk.verify_audit().ok and bulk.verify_audit().events_checked == 9
    for e in (one, bulk):
        e.db.dispose()


def test_bulk_create_is_all_or_nothing(engine: Engine) -> None:
    bad = [*_news(3), NewDirective(title="  ")]
    with pytest.raises(PayloadError):
        engine.create_directives(BOARD, WF, bad)
    with pytest.raises(NotFound):
        engine.create_directives(BOARD, WF, [replace(_news(1)[0], parent_id=424242)])
    assert engine.directives() == []
    assert engine.create_directives(BOARD, WF, []) == []


def test_a_hidden_parent_is_reported_like_a_missing_one(engine: Engine) -> None:
    """Issue 14 (low): creating under parent_id told whether a hidden directive exists."""
    hidden = engine.create_directive(
        BOARD, WF, NewDirective(title="Việc của Văn phòng", lead_unit="Văn phòng")
    )
    clerk = Actor.of("hoa", "assigner", unit="Thanh tra Sở")
    for parent in (hidden.id, 424242):
        with pytest.raises(NotFound) as missing:
            engine.create_directive(clerk, WF, NewDirective(title="x", parent_id=parent))
        assert str(missing.value) == str(NotFound("directive", parent))
        with pytest.raises(NotFound):
            engine.create_directives(clerk, WF, [NewDirective(title="x", parent_id=parent)])
    mine = engine.create_directive(clerk, WF, NewDirective(title="Việc của tôi"))
    child = engine.create_directive(clerk, WF, NewDirective(title="Việc con", parent_id=mine.id))
    assert child.parent_id == mine.id
    assert engine.visible_directives(clerk, parent_id=hidden.id) == []


def test_the_api_status_names_are_the_grid(engine: Engine) -> None:
    assert set(get_args(StatusName)) == {s.value for s in Status}


@pytest.fixture
def client(tmp_path: Path, registry: WorkflowRegistry) -> tuple[Engine, TestClient, str, str]:
    engine = Engine(f"sqlite:///{tmp_path / 'api.db'}", workflows=registry, clock=FakeClock(T0))
    engine.create_directives(BOARD, WF, _news(23))
    board = engine.create_token("thang", roles=("admin", "assigner", "reviewer"))
    clerk = engine.create_token("hoa", roles=("assigner",), unit="Thanh tra Sở")
    return engine, TestClient(create_app(engine)), board, clerk


def test_api_keyset_pages_follow_the_link_header(
    client: tuple[Engine, TestClient, str, str],
) -> None:
    engine, http, board, clerk = client
    seen: list[int] = []
    url: str | None = "/api/directives?limit=5&unit=Thanh%20tra%20S%E1%BB%9F"
    while url is not None:
        r = http.get(url, headers={"Authorization": f"Bearer {board}"})
        assert r.status_code == 200
        seen += [d["id"] for d in r.json()]
        link = r.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    assert seen == [d.id for d in engine.directives(unit="Thanh tra Sở")] and len(seen) == 12
    r = http.get(
        "/api/directives", params={"after": seen[-1]}, headers={"Authorization": f"Bearer {board}"}
    )
    assert r.json() == []
    r = http.get("/api/directives?status=late", headers={"Authorization": f"Bearer {board}"})
    assert r.status_code == 422 and "status" in r.json()["message"]
    r = http.get("/api/directives?q=" + "x" * 201, headers={"Authorization": f"Bearer {board}"})
    assert r.status_code == 422 and "q" in r.json()["message"]
    hidden = engine.create_directive(
        BOARD, WF, NewDirective(title="Việc của Văn phòng", lead_unit="Văn phòng")
    )
    for parent in (hidden.id, 999_999):
        r = http.post(
            "/api/directives",
            json={"workflow": WF, "title": "x", "parent_id": parent},
            headers={"Authorization": f"Bearer {clerk}"},
        )
        assert r.status_code == 404 and r.json() == {
            "code": "not_found",
            "message": str(NotFound("directive", parent)),
        }
    # the clerk's unit leads the even-numbered 12; every fourth has no deadline
    r = http.get("/api/statistics?by=month", headers={"Authorization": f"Bearer {clerk}"})
    assert [(row["key"], row["total"]) for row in r.json()] == [
        ("(chưa xác định)", 6),
        ("2024-06", 6),
    ]


def test_dashboard_pages_have_links(client: tuple[Engine, TestClient, str, str]) -> None:
    engine, http, board, _clerk = client
    engine.create_directives(BOARD, WF, _news(40))
    http.cookies.set("dondoc_token", board)
    first = http.get("/directives").text
    assert first.count('class="directive"') == 50 and "Trang 1/2" in first
    assert 'href="/directives?page=2"' in first
    second = http.get("/directives?page=2").text
    assert second.count('class="directive"') == 13 and "Trang 2/2" in second
    filtered = http.get("/directives", params={"q": "TỰ ĐÁNH GIÁ 1", "unit": "Văn phòng"}).text
    # titles "… 1", "… 11", "… 13", … of Văn phòng (odd numbers), in both batches
    expected = [
        d for d in engine.directives(unit="Văn phòng") if "tự đánh giá 1" in d.title.lower()
    ]
    assert filtered.count('class="directive"') == len(expected) > 0
    assert http.get("/directives?page=abc").status_code == 200


def test_dashboard_counts_up_to_a_cap(
    client: tuple[Engine, TestClient, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the cap the list says "trên N" and asks for a filter; the pages cover the cap."""
    from dondoc.web import dashboard

    engine, http, board, _clerk = client  # 23 directives
    monkeypatch.setattr(dashboard, "COUNT_CAP", 20)
    http.cookies.set("dondoc_token", board)
    page = http.get("/directives").text
    assert "Nhiệm vụ được giao (trên 20)" in page and "hãy lọc" in page
    monkeypatch.setattr(dashboard, "COUNT_CAP", 23)
    page = http.get("/directives").text
    assert "Nhiệm vụ được giao (23)" in page and "hãy lọc" not in page
    assert engine.count_visible(BOARD, cap=5) == 5 and engine.count_visible(BOARD) == 23


def test_cli_list_pages(tmp_path: Path, registry: WorkflowRegistry) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = Engine(url, workflows=registry, clock=FakeClock(T0))
    made = engine.create_directives(BOARD, WF, _news(7))
    engine.db.dispose()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dondoc.cli", "directives", "list", "--db", url, *args],
            capture_output=True,
            text=True,
        )

    r = run("--limit", "3", "--page", "3", "--json")
    assert r.returncode == 0 and [d["id"] for d in json.loads(r.stdout)] == [made[6].id]
    r = run("--limit", "3", "--page", "2")
    assert r.returncode == 0 and "trang 2/3, 7 nhiệm vụ; trang sau: --page 3" in r.stdout
    r = run("--limit", "0")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert [asdict(d)["id"] for d in made] == sorted(d.id for d in made)


def test_api_due_order_pages_follow_the_link_header(
    tmp_path: Path, registry: WorkflowRegistry
) -> None:
    """sort=due: earliest due first, no due last, ties by creation; the Link header keeps the
    order from page to page."""
    engine = Engine(f"sqlite:///{tmp_path / 'due.db'}", workflows=registry, clock=FakeClock(T0))
    dues = [date(2024, 6, 30), None, date(2024, 4, 1), date(2024, 6, 30), None, date(2024, 5, 15)]
    made = engine.create_directives(
        BOARD, WF, [NewDirective(title=f"Việc {i}", due=due) for i, due in enumerate(dues)]
    )
    ids = [d.id for d in made]
    # by hand: 01/04 (#2), 15/05 (#5), 30/06 (#0, then #3), then no due (#1, #4)
    expected = [ids[2], ids[5], ids[0], ids[3], ids[1], ids[4]]
    token = engine.create_token("thang", roles=("admin",))
    http = TestClient(create_app(engine))
    seen: list[int] = []
    url: str | None = "/api/directives?limit=2&sort=due"
    while url is not None:
        r = http.get(url, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        seen += [d["id"] for d in r.json()]
        link = r.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    assert seen == expected
    r = http.get("/api/directives?sort=title", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422
    engine.db.dispose()
    cli = [sys.executable, "-m", "dondoc.cli", "directives", "list", "--db", str(engine.db.url)]
    r = subprocess.run([*cli, "--sort", "due", "--json"], capture_output=True, text=True)
    assert r.returncode == 0 and [d["id"] for d in json.loads(r.stdout)] == expected
    r = subprocess.run([*cli, "--sort", "title"], capture_output=True, text=True)
    assert r.returncode != 0 and "Traceback" not in r.stderr


def test_sqlite_planner_statistics_follow_the_table(
    tmp_path: Path, registry: WorkflowRegistry
) -> None:
    """ANALYZE runs once the table is big enough (a bulk import), not again until its size
    doubles; an engine opened on a grown database refreshes them."""
    from dondoc.store.schema import STATISTICS_FROM, refresh_statistics

    url = f"sqlite:///{tmp_path / 'stats.db'}"
    engine = Engine(url, workflows=registry, clock=FakeClock(T0))
    few = [NewDirective(title=f"Việc {i}") for i in range(10)]
    engine.create_directives(BOARD, WF, few)
    assert refresh_statistics(engine.db) is False  # too small to need them
    engine.create_directives(BOARD, WF, [NewDirective(title="x")] * STATISTICS_FROM)
    assert refresh_statistics(engine.db) is False  # the import refreshed them already
    with engine.db.connect() as conn:
        stat = conn.exec_driver_sql(
            "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_directives_assignee'"
        ).scalar()
    assert stat is not None and int(stat.split()[0]) == STATISTICS_FROM + 10
    engine.create_directives(BOARD, WF, [NewDirective(title="y")] * 100)
    assert refresh_statistics(engine.db) is False  # 10 % more: not stale
    assert refresh_statistics(engine.db, force=True) is True
    engine.db.dispose()


def test_a_bulk_import_refreshes_the_planner_statistics(engine: Engine) -> None:
    """On either database, a bulk import of STATISTICS_FROM directives leaves the planner
    statistics current (PostgreSQL's autovacuum would take minutes to notice)."""
    from dondoc.store.schema import STATISTICS_FROM

    engine.create_directives(BOARD, WF, [NewDirective(title="x")] * STATISTICS_FROM)
    with engine.db.connect() as conn:
        if engine.db.dialect.name == "postgresql":
            analyzed = conn.exec_driver_sql(
                "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'directives'"
            ).scalar()
            assert analyzed is not None
        else:
            stat = conn.exec_driver_sql(
                "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_directives_assignee'"
            ).scalar()
            assert stat is not None and int(stat.split()[0]) == STATISTICS_FROM
