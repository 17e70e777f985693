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
from typing import Any

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
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
UNIT_TASK = Path(__file__).resolve().parents[1] / "workflows" / "unit_task.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, str], Engine]]:
    import uvicorn

    from dondoc.web.api import create_app

    tmp_path = tmp_path_factory.mktemp("web")
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
    tokens["admin"] = engine.create_token("admin", roles=["admin"], name="Quản trị hệ thống")
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the whole module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
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
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return DOCS_IMG if os.environ.get("DONDOC_SNAPSHOTS") == "1" else tmp_path


def _log_in(browser: Any, base: str, token: str, width: int, bypass_csp: bool = False) -> Any:
    page = browser.new_page(
        viewport={"width": width, "height": 900}, locale="vi-VN", bypass_csp=bypass_csp
    )
    page.goto(f"{base}/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    return page


def test_every_page_fits_a_phone_and_a_desktop(
    server: tuple[str, dict[str, str], Engine], browser: Any, shots: Path
) -> None:
    """Issue 22: no horizontal scrolling at 360–390 px; lists are cards on phones and tables
    on wide screens; the header bar wraps instead of being cut."""
    base, tokens, engine = server
    mine = next(d for d in engine.directives() if d.assignee == "luyen")
    pages = {
        "mywork": "/",
        "list": "/directives",
        "directive": f"/directives/{mine.id}",
        "queue": "/queue",
        "stats": "/stats",
    }
    for width in (360, 390, 1280):
        page = _log_in(browser, base, tokens["luyen"], width)
        for name, path in {"login": "/login", **pages}.items():
            page.goto(base + path)
            page.wait_for_selector("h1, .card")
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert scroll <= inner, f"{name} overflows at {width} px: {scroll} > {inner}"
            header = page.locator("header.top").bounding_box()
            assert header is not None and header["x"] + header["width"] <= inner
            if width != 360 and name in ("mywork", "directive"):
                suffix = "phone" if width == 390 else "wide"
                page.screenshot(path=str(shots / f"dashboard_{name}_{suffix}.png"), full_page=True)
        page.goto(base + "/directives")
        display = page.locator("#directives tr.directive").first.evaluate(
            "e => getComputedStyle(e).display"
        )
        assert display == ("table-row" if width == 1280 else "block")
        page.close()
        # the administrators' page, with a definition checked and its diagram drawn
        page = _log_in(browser, base, tokens["admin"], width)
        page.goto(base + "/admin/workflows")
        page.fill("#yaml", UNIT_TASK.read_text(encoding="utf-8"))
        page.click("#check button[type=submit]")
        page.wait_for_selector("#diagram svg")
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"admin overflows at {width} px: {scroll} > {inner}"
        if width != 360:
            suffix = "phone" if width == 390 else "wide"
            page.screenshot(path=str(shots / f"dashboard_admin_{suffix}.png"), full_page=True)
        page.close()


def test_login_list_open_submit_and_see_the_timeline(
    server: tuple[str, dict[str, str], Engine], browser: Any, shots: Path
) -> None:
    base, tokens, engine = server
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page.goto(f"{base}/")
    assert page.url.endswith("/login")
    page.fill("#token", tokens["luyen"])
    page.click("button[type=submit]")
    page.wait_for_selector("#todo")
    page.goto(f"{base}/directives")
    page.wait_for_selector("#directives")
    rows = page.locator("tr.directive")
    assert rows.count() == 7
    assert page.locator("tr.directive .bar").count() == 7  # every directive has its progress bar
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
    page.close()
    assert engine.get(mine.id).data["proposed_discipline"] == "khien_trach"


@pytest.mark.skipif(
    not AXE.exists(), reason="axe-core not installed: run 'npm install' at the repository root"
)
def test_no_serious_accessibility_violations(
    server: tuple[str, dict[str, str], Engine], browser: Any
) -> None:
    """Issue 22, item 6: axe-core finds no serious or critical violation (labels on every
    control, contrast, names of links and buttons, landmarks) on any page, phone and desktop."""
    base, tokens, engine = server
    mine = next(d for d in engine.directives() if d.assignee == "luyen")
    late = next(d for d in engine.directives() if d.title.startswith("Theo dõi việc thực hiện"))
    axe = AXE.read_text(encoding="utf-8")
    for token, paths in (
        (tokens["luyen"], ["/", "/directives", f"/directives/{mine.id}", "/queue", "/stats"]),
        (tokens["admin"], ["/admin/workflows"]),
        # the board member: a late directive's page with the chasing letter; a period's grid
        (tokens["thang"], [f"/directives/{late.id}", "/stats?period=2024-Q2&nd09=1"]),
    ):
        for width in (390, 1280):
            # the dashboard's policy forbids scripts; the test's own axe needs leave to run
            page = _log_in(browser, base, token, width, bypass_csp=True)
            for path in ["/login", *paths]:
                page.goto(base + path)
                page.add_script_tag(content=axe)
                found = page.evaluate(
                    "async () => (await axe.run(document, {resultTypes: ['violations']}))"
                    ".violations.filter(v => ['serious', 'critical'].includes(v.impact))"
                    ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"
                )
                assert found == [], f"{path} at {width} px: {found}"
            page.close()


def test_api_docs_render_offline_under_their_policy(
    server: tuple[str, dict[str, str], Engine], browser: Any
) -> None:
    """Issue 17, item 3: /docs draws the API from the package's own Swagger UI, under the
    page's Content-Security-Policy (scripts from this server only); no request leaves it."""
    base, _tokens, _engine = server
    context = browser.new_context()
    outside: list[str] = []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(base)
            else (outside.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    errors_seen: list[str] = []
    page.on("console", lambda m: errors_seen.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 10  # the API's operations are listed
    assert outside == [] and errors_seen == [], (outside, errors_seen)
    context.close()


def _fits(page: Any) -> None:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{page.url} overflows: {scroll} > {inner}"


def test_each_role_acts_end_to_end_on_a_phone(
    server: tuple[str, dict[str, str], Engine], browser: Any, shots: Path
) -> None:
    """Issue 22: per role, an action taken from the page at 390 px, with its audit event — the
    board member sends a chasing letter, the specialist reports the result, the leader
    approves an extension the unit head asked for, the administrator publishes a version."""
    base, tokens, engine = server
    case3 = next(d for d in engine.directives() if d.title.startswith("Theo dõi việc thực hiện"))
    sa_phuong = next(
        d
        for d in engine.directives(workflow="remediation_self_assessment")
        if d.assignee == "phuong"
    )
    # the board member: a chasing letter on the late case, then downloadable as sent
    page = _log_in(browser, base, tokens["thang"], 390)
    page.goto(f"{base}/directives/{case3.id}")
    page.locator("form[data-move='send_letter'] button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    assert "Đã gửi công văn đôn đốc" in page.locator(".flash.ok").inner_text()
    assert page.locator("#letters li").count() == 1
    assert "Gửi công văn đôn đốc" in page.locator("#timeline").inner_text()
    _fits(page)
    with page.expect_download() as download:
        page.locator("#letters a", has_text="Word").click()
    assert download.value.suggested_filename.endswith(".docx")
    page.screenshot(path=str(shots / "dashboard_letter_phone.png"), full_page=True)
    page.close()
    assert engine.history(case3.id)[-1].kind == "letter"

    # the specialist (Luyến): reports the result of her late case
    page = _log_in(browser, base, tokens["luyen"], 390)
    page.goto(f"{base}/directives/{case3.id}")
    form = page.locator("form[data-trigger='report_result']")
    form.locator("textarea[name=result]").fill("Đã có báo cáo theo dõi các doanh nghiệp.")
    form.locator("textarea[name=cause_if_late]").fill("Chờ số liệu doanh nghiệp.")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    assert "Báo cáo kết quả" in page.locator("#timeline").inner_text()
    _fits(page)
    page.close()
    last = engine.history(case3.id)[-1]
    assert (last.trigger, last.actor) == ("report_result", "luyen")

    # the unit head asks for an extension of his self-assessment; the leader approves it
    page = _log_in(browser, base, tokens["phuong"], 390)
    page.goto(f"{base}/directives/{sa_phuong.id}")
    form = page.locator("form[data-trigger='request_extension']")
    form.locator("textarea[name=reason]").fill("Chờ kết quả kiểm tra của Thanh tra tỉnh.")
    form.locator("input[name=proposed_due]").fill("2024-07-15")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    page.close()
    page = _log_in(browser, base, tokens["thang"], 390)
    assert page.locator(f"#review [data-id='{sa_phuong.id}']").count() == 1  # awaits him
    page.goto(f"{base}/directives/{sa_phuong.id}")
    form = page.locator("form[data-trigger='approve_extension']")
    form.locator("input[name=new_due]").fill("2024-07-15")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    assert "15/07/2024" in page.content() and "gia hạn từ 30/06/2024" in page.content()
    _fits(page)
    page.close()
    d = engine.get(sa_phuong.id)
    assert (d.due.isoformat(), d.original_due.isoformat()) == ("2024-07-15", "2024-06-30")
    last = engine.history(sa_phuong.id)[-1]
    assert (last.trigger, last.actor) == ("approve_extension", "thang")

    # the administrator publishes a new version of a workflow
    page = _log_in(browser, base, tokens["admin"], 390)
    page.goto(f"{base}/admin/workflows")
    v2 = UNIT_TASK.read_text(encoding="utf-8").replace("version: 1\n", "version: 2\n", 1)
    page.fill("#yaml", v2)
    page.click("#check button[value=check]")
    page.wait_for_selector("#publish")
    page.click("#publish")
    page.wait_for_selector(".flash.ok")
    row = page.locator("tr[data-key='unit_task:2']")
    assert "Công bố bởi" in row.inner_text()
    _fits(page)
    page.close()
    assert engine.workflows.get("unit_task").spec.version == 2
    assert [e.action for e in engine.admin_events()] == ["publish_workflow"]
    assert engine.verify_audit().ok
