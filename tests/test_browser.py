"""End to end in a real headless browser (Debian's chromium driven by Playwright): log in, see
seed 000's directives with progress bars, open one, submit a self-assessment, see the timeline.

Screenshots go to docs/img/ when DONDOC_SNAPSHOTS=1 (to refresh the README's pictures),
otherwise to a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dondoc import Actor, Engine, FakeClock
from dondoc.cli.demo import load_demo_data
from dondoc.clock import VN_TZ

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no chromium on this machine (Debian package 'chromium'; .ci/run installs it)",
    ),
]
DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Engine]]:
    import uvicorn

    from dondoc.web.api import create_app

    clock = FakeClock(datetime(2024, 6, 25, 9, tzinfo=VN_TZ).astimezone(UTC))
    engine = Engine(f"sqlite:///{tmp_path / 'web.db'}", clock=clock)
    tokens = dict(zip(("thang", "phuong", "luyen"), load_demo_data(engine).values(), strict=True))
    # Mid-story: some work done, some started.
    ids = {d.title[:20]: d.id for d in engine.directives()}
    for d in engine.directives():
        who = Actor.of(d.assignee or "", unit="Thanh tra Sở")
        if d.due is not None:
            engine.fire(d.id, "start", who)
    seal = next(i for t, i in ids.items() if t.startswith("Bàn giao"))
    engine.fire(
        seal, "report_result", Actor.of("phuong", unit="Thanh tra Sở"), {"result": "Đã bàn giao"}
    )
    case1 = next(i for t, i in ids.items() if t.startswith("Làm rõ"))
    engine.fire(case1, "report_progress", Actor.of("phuong", unit="Thanh tra Sở"), {"progress": 70})
    port = _free_port()
    srv = uvicorn.Server(
        uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tokens, engine
    srv.should_exit = True
    thread.join(timeout=10)
    engine.db.dispose()


def test_login_list_open_submit_and_see_the_timeline(
    server: tuple[str, dict[str, str], Engine], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    base, tokens, engine = server
    shots = DOCS_IMG if os.environ.get("DONDOC_SNAPSHOTS") == "1" else tmp_path
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page.goto(f"{base}/")
        assert page.url.endswith("/login")
        page.fill("#token", tokens["luyen"])
        page.click("button[type=submit]")
        page.wait_for_selector("#directives")
        rows = page.locator("tr.directive")
        assert rows.count() == 7
        assert (
            page.locator("tr.directive .bar").count() == 7
        )  # every directive has its progress bar
        assert "Không có thời hạn" in page.content() and "Sắp đến hạn" in page.content()
        page.screenshot(path=str(shots / "dashboard_list.png"), full_page=True)

        mine = next(
            d
            for d in engine.directives(workflow="remediation_self_assessment")
            if d.assignee == "luyen"
        )
        page.click(f"tr.directive[data-id='{mine.id}'] a")
        page.wait_for_selector("#timeline")
        assert page.locator("#timeline li").count() == 2  # created, started
        form = page.locator("form[data-trigger='submit_self_assessment']")
        form.locator("textarea[name=report]").fill(
            "Đã khắc phục một phần; còn chậm giải quyết đơn thư."
        )
        form.locator("select[name=shortcomings_fixed]").select_option("false")
        form.locator("select[name=proposed_discipline]").select_option("khien_trach")
        form.locator("button[type=submit]").click()
        page.wait_for_selector(".flash.ok")
        assert "Đã nộp báo cáo tự đánh giá" in page.locator("#state").inner_text()
        timeline = page.locator("#timeline li")
        assert timeline.count() == 3
        assert "Gửi báo cáo tự đánh giá" in timeline.nth(2).inner_text()
        assert "Đã khắc phục một phần" in timeline.nth(2).inner_text()
        page.screenshot(path=str(shots / "dashboard_directive.png"), full_page=True)
        browser.close()
    assert engine.get(mine.id).data["proposed_discipline"] == "khien_trach"
