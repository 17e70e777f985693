"""Statistics and the progress report for one reporting period (issue 20, item 3: "the
dashboard's statistics page selects a period").

Seed 000 run by the demo to 15/07/2024. The expected grids, worked out by hand from the demo's
script (cli/demo.py): the Thanh tra Sở leads every directive;

| directive | due | reported done |
|---|---|---|
| seal handover | 31/03 | 29/03 |
| case 1, case 2 | 30/04 | 22/04, 26/04 |
| case 3 (Luyến) | 30/04 | 08/05 |
| self-assessment, Phương | 30/06 | 24/06 |
| self-assessment, Luyến | 30/06 | 09/07 |
| standing duty | — | — |

- Q2/2024 (01/04–30/06, as of 30/06): cases 1–2 and Phương's on time (3), case 3 late (1),
  Luyến's self-assessment not yet submitted on 30/06, due that day: due soon (1). Total 5.
- Q2/2024 with Decree 09's window (15/03–14/06, as of 14/06): the seal (due 31/03) on time,
  cases 1–2 on time, case 3 late. Total 4.
- 04/2024 (as of 30/04): cases 1–2 on time; case 3, reported on 08/05, still open on 30/04 and
  due that day: due soon.
- Q3/2024 (running; as of 15/07): nothing is due in it.
- No period (as of 15/07): 4 on time, 2 late, 1 without deadline (the demo's own grid).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from dondoc.cli.demo import run_demo
from dondoc.deadlines.status import Status
from dondoc.service.engine import Engine
from dondoc.web.api import create_app

UNIT = "Thanh tra Sở"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('period') / 'demo.db'}"
    e = run_demo(url, Console(file=io.StringIO()))
    yield e
    e.db.dispose()


def grid(engine: Engine, period: str | None, cutoff_day: int = 1) -> dict[str, int]:
    scope = engine.period_scope(period, cutoff_day=cutoff_day) if period else None
    rows = engine.statistics(period=scope)
    if not rows:
        return {}
    (row,) = rows
    assert row.key == UNIT
    return {s.value: n for s, n in row.counts.items() if n} | {"total": row.total}


def test_grids_per_period_as_they_stood_at_its_end(engine: Engine) -> None:
    assert grid(engine, "2024-Q2") == {
        "completed_on_time": 3,
        "completed_late": 1,
        "due_soon": 1,
        "total": 5,
    }
    assert grid(engine, "2024-Q2", cutoff_day=15) == {
        "completed_on_time": 3,
        "completed_late": 1,
        "total": 4,
    }
    assert grid(engine, "2024-04") == {"completed_on_time": 2, "due_soon": 1, "total": 3}
    assert grid(engine, "2024-Q3") == {}
    assert grid(engine, None) == {
        "completed_on_time": 4,
        "completed_late": 2,
        "no_deadline": 1,
        "total": 7,
    }
    scope = engine.period_scope("2024-Q2", cutoff_day=15)
    assert (scope.start.isoformat(), scope.end.isoformat(), scope.as_of.isoformat()) == (
        "2024-03-15",
        "2024-06-14",
        "2024-06-14",
    )
    assert engine.period_scope("2024-Q3").as_of.isoformat() == "2024-07-15"  # running: today
    # the grid per assignee of the period agrees: Luyến has case 3 (late) and her open one
    per = {r.key: r for r in engine.statistics(by="assignee", period="2024-Q2")}
    assert per["luyen"].counts[Status.COMPLETED_LATE] == 1
    assert per["luyen"].counts[Status.DUE_SOON] == 1
    assert per["phuong"].counts[Status.COMPLETED_ON_TIME] == 3


def test_the_report_for_a_period(engine: Engine) -> None:
    text = engine.render_document("progress_report", fmt="txt", period="2024-04")
    assert "tháng 04/2024 (số liệu từ 01/04/2024 đến 30/04/2024)" in text.decode()
    ctx = engine.document_context("progress_report", period="2024-04")
    assert ctx["totals"]["total"] == 3 and ctx["totals"]["due_soon"] == 1
    case3 = next(i for i in ctx["items"] if i["title"].startswith("Theo dõi việc thực hiện"))
    assert case3["done_on"] is None and case3["status"] == "due_soon"  # as it stood on 30/04
    assert ctx["overdue"] == []
    # Q2 by Decree 09's window, as of 14/06: nothing open was overdue
    ctx = engine.document_context(
        "progress_report", period=engine.period_scope("2024-Q2", cutoff_day=15)
    )
    assert {i["title"][:20] for i in ctx["items"]} == {
        "Bàn giao con dấu, hồ",
        "Làm rõ việc in ấn, p",
        "Xử lý sai phạm của T",
        "Theo dõi việc thực h",
    }
    doc = engine.document("progress_report", fmt="xlsx", period="2024-Q2")
    assert doc.filename == "progress_report_2024-Q2.xlsx"


def test_the_statistics_page_selects_a_period(engine: Engine) -> None:
    token = engine.create_token("thang", roles=["reviewer", "admin"], name="Hoàng Mạnh Thắng")
    client = TestClient(create_app(engine))
    cookies = {"dondoc_token": token}

    def cells(html: str) -> dict[str, int]:
        return {
            k: int(v) for k, v in re.findall(r'data-status="(\w+)">(?:<b>)?(\d+)', html) if int(v)
        }

    page = client.get("/stats", cookies=cookies).text
    assert '<option value="2024-Q3" selected' not in page and 'value="2024-Q2"' in page
    assert cells(page) == {
        "completed_on_time": 4,
        "completed_late": 2,
        "no_deadline": 1,
        "total": 7,
    }
    page = client.get("/stats?period=2024-Q2", cookies=cookies).text
    assert '<option value="2024-Q2" selected' in page and "quý II/2024" in page
    assert "Nhiệm vụ có hạn từ 01/04/2024 đến 30/06/2024; tình hình đến ngày 30/06/2024" in page
    assert cells(page) == {"completed_on_time": 3, "completed_late": 1, "due_soon": 1, "total": 5}
    assert "period=2024-Q2" in page  # the report links carry the period
    page = client.get("/stats?period=2024-Q2&nd09=1", cookies=cookies).text
    assert "Nhiệm vụ có hạn từ 15/03/2024 đến 14/06/2024" in page
    assert cells(page) == {"completed_on_time": 3, "completed_late": 1, "total": 4}
    page = client.get("/stats?period=2024-Q9", cookies=cookies).text
    assert "Không đọc được kỳ báo cáo" in page  # a mistake: one Vietnamese line
    r = client.get(
        "/api/reports/progress_report?format=txt&period=2024-Q2&cutoff_day=15",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200 and "quý II/2024 (số liệu từ 15/03/2024 đến 14/06/2024)" in r.text
    r = client.get("/api/statistics?period=2024-04", headers={"Authorization": f"Bearer {token}"})
    assert r.json()[0]["counts"]["due_soon"] == 1


def test_the_period_grid_in_sql_on_each_backend(db_url: str) -> None:
    """The historical status (done or cancelled after the period's end: still open then) is
    SQL on both backends, with the local day of ``done_at``."""
    e = run_demo(db_url, Console(file=io.StringIO()))
    try:
        assert grid(e, "2024-04") == {"completed_on_time": 2, "due_soon": 1, "total": 3}
        assert grid(e, "2024-Q2", cutoff_day=15)["total"] == 4
        open_then = e.directives(status="due_soon")  # today (15/07): nothing is due soon
        assert open_then == []
    finally:
        e.db.dispose()
