"""The dashboard: what must be done, who does it, by when — and a progress bar (seed 001).

Server-rendered pages from ``templates/dashboard/`` through the same sandboxed Jinja2 setup
as documents; no JavaScript build, no CDN. Forms post back and redirect (flash messages in
the query string). Thin: every page calls Engine methods only.
"""

from __future__ import annotations

from dataclasses import asdict
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..core.actors import Actor
from ..core.records import Directive
from ..deadlines.status import Status
from ..errors import DondocError
from ..service.engine import Engine
from ..service.worklist import DUE_SOON_DAYS
from .actions import explanation_forms, move_forms
from .actions import install as install_actions
from .admin import install as install_admin
from .auth import TOKEN_COOKIE
from .ops import SchedulerBanner
from .stats import STATUS_COLOURS
from .stats import install as install_stats
from .timeline import readable

PAGE_SIZE = 50  # directives per dashboard page
#: The list counts this many matches at most ("trên 10.000": filter to see further); an exact
#: count of a province's whole table is what made a page slow on PostgreSQL.
COUNT_CAP = 10_000


def _css() -> str:
    return (resources.files("dondoc.templates") / "dashboard" / "dashboard.css").read_text(
        encoding="utf-8"
    )


def install(app: FastAPI, engine: Engine, auth: Any) -> None:
    css = _css()
    banner = SchedulerBanner(engine)  # administrators: the scheduler is down or late

    def page(name: str, request: Request, who: Actor | None, **context: Any) -> HTMLResponse:
        counts = context.pop("counts", None)
        status_code = int(context.pop("status_code", 200))
        if who is not None and counts is None:
            counts = engine.my_work(who).counts()
        html = engine.renderer.render_page(
            f"dashboard/{name}.html.j2",
            {
                "me": {
                    "id": who.id,
                    "name": who.name or who.id,
                    "unit": who.unit,
                    "roles": sorted(who.roles),
                }
                if who
                else None,
                # Only fixed messages are shown: the query carries a code, never text a link
                # could make the page say.
                "msg": MESSAGES.get(request.query_params.get("msg", "")),
                "err": _error_text(request),
                "colours": STATUS_COLOURS,
                "statuses": [{"value": s.value, "label": s.label} for s in Status],
                "today": engine.clock.now(),
                "path": request.url.path,
                "counts": counts,
                "display": engine.display,  # a login id → "Full name – Position"
                "ops_banner": banner(who),
                **context,
            },
        )
        return HTMLResponse(html, status_code=status_code)

    def row(d: Directive) -> dict[str, Any]:
        return {
            **engine._directive_context(d, engine.clock.now())["directive"],
            "days_left": _days_left(engine, d),
        }

    @app.get("/static/dashboard.css", include_in_schema=False)
    def stylesheet() -> Response:
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    install_actions(app, engine, auth)
    install_admin(app, engine, auth, page)
    install_stats(app, engine, auth, page)

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request) -> HTMLResponse:
        return page("login", request, None)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        token = str(form.get("token", "")).strip()
        if not token or engine.authenticate(token) is None:
            return RedirectResponse("/login?err=login", status_code=303)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            TOKEN_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            max_age=SESSION_SECONDS,
        )
        return response

    @app.post("/logout", include_in_schema=False)
    @app.get("/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        """Log out: the token behind the cookie is revoked, not only forgotten by the browser."""
        token = request.cookies.get(TOKEN_COOKIE)
        if token:
            engine.revoke_token(token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(TOKEN_COOKIE)
        return response

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        """Việc của tôi: what I must do, decide, chase and watch."""
        who = auth(request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        work = engine.my_work(who)
        sections = [
            ("todo", "Việc phải làm", [row(d) for d in work.todo]),
            ("queue", "Hàng chờ của đơn vị (chưa có người nhận)", [row(d) for d in work.queue]),
            ("review", "Chờ tôi xem xét, phê duyệt", [row(d) for d in work.review]),
            ("late", "Tôi giao, đã quá hạn", [row(d) for d in work.late_assigned]),
            ("soon", f"Sắp đến hạn (trong {DUE_SOON_DAYS} ngày)", [row(d) for d in work.due_soon]),
        ]
        return page("mywork", request, who, sections=sections, counts=work.counts())

    @app.get("/directives", include_in_schema=False)
    def index(
        request: Request,
        state: str = "",
        status: str = "",
        unit: str = "",
        q: str = "",
        page_arg: Annotated[str, Query(alias="page", max_length=9)] = "1",
    ) -> Response:
        who = auth(request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        filters = {"state": state, "status": status, "unit": unit, "q": q}
        chosen: dict[str, Any] = {
            "state": state[:64] or None,
            "unit": unit[:200] or None,
            "status": status if status in {s.value for s in Status} else None,
            "text": q[:200] or None,
        }
        total = engine.count_visible(who, cap=COUNT_CAP + 1, **chosen)
        more = total > COUNT_CAP
        total = min(total, COUNT_CAP)
        pages = max(1, -(-total // PAGE_SIZE))
        page_no = min(max(1, int(page_arg) if page_arg.isdigit() else 1), pages)
        items = engine.visible_directives(
            who, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE, **chosen
        )
        states = sorted(
            {(s.id, s.label) for c in engine.workflows for s in c.spec.states}, key=lambda x: x[1]
        )
        query = {k: v for k, v in filters.items() if v}
        return page(
            "list",
            request,
            who,
            items=[row(d) for d in items],
            total=total,
            more=more,
            paging=_page_links(page_no, pages, query),
            filters=filters,
            states=[{"id": i, "label": label} for i, label in states],
        )

    @app.get("/directives/{directive_id}", include_in_schema=False)
    def detail(request: Request, directive_id: int) -> Response:
        who = auth(request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        try:
            d = engine.get_visible(directive_id, who)
        except DondocError:
            return page("missing", request, who, directive_id=directive_id)
        spec = engine.workflows.get(d.workflow, d.workflow_version).spec
        actions = []
        for trigger in engine.allowed_triggers(directive_id, who):
            t = spec.transition(trigger, d.state)
            assert t is not None
            actions.append(
                {
                    "trigger": trigger,
                    "label": t.label or trigger,
                    "fields": [{"name": n, **f.model_dump()} for n, f in t.payload.items()],
                }
            )
        history = readable(engine.history(directive_id), spec, engine.directory)
        kids, roll = engine.children(directive_id)
        return page(
            "directive",
            request,
            who,
            d=row(d),
            actions=actions,
            history=history,
            children=[row(k) for k in kids],
            roll=asdict(roll),
            explain=explanation_forms(engine, who, d),
            moves=move_forms(engine, who, d),
            can_claim=d.assignee is None and d.is_open and d.lead_unit == who.unit,
        )

    @app.get("/queue", include_in_schema=False)
    def queue(request: Request) -> Response:
        """The unit's queue: directives addressed to my unit (or units I head), unclaimed."""
        who = auth(request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        return page("queue", request, who, items=[row(d) for d in engine.queue(who)])

    @app.post("/directives/{directive_id}/claim", include_in_schema=False)
    def claim(request: Request, directive_id: int) -> Response:
        who = auth(request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        try:
            engine.get_visible(directive_id, who)
            engine.claim(directive_id, who)
        except DondocError as exc:
            return RedirectResponse(f"/queue?err={exc.code}", status_code=303)
        return RedirectResponse(f"/directives/{directive_id}?msg=claimed", status_code=303)

    @app.post("/directives/{directive_id}/fire", include_in_schema=False)
    async def fire(request: Request, directive_id: int) -> Response:
        who = auth(request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        form = await request.form()
        trigger = str(form.get("trigger", ""))
        payload = {
            k: str(v)
            for k, v in form.items()
            if k not in ("trigger", "expected_version") and str(v).strip() != ""
        }
        version = str(form.get("expected_version", ""))
        try:
            engine.get_visible(directive_id, who)
            engine.fire(
                directive_id,
                trigger,
                who,
                payload,
                expected_version=int(version) if version.isdigit() else None,
            )
        except DondocError as exc:
            field = getattr(exc, "field", None)
            extra = f"&field={quote(field)}" if isinstance(field, str) else ""
            return RedirectResponse(
                f"/directives/{directive_id}?err={exc.code}{extra}", status_code=303
            )
        return RedirectResponse(f"/directives/{directive_id}?msg=updated", status_code=303)


def _page_links(current: int, pages: int, query: dict[str, str]) -> dict[str, Any]:
    """Links to the first, last and nearby pages of a list (with its filters)."""

    def href(n: int) -> str:
        return "/directives?" + urlencode({**query, "page": n})

    shown = sorted({1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)})
    links: list[dict[str, Any]] = []
    for n in shown:
        if links and n > links[-1]["n"] + 1:
            links.append({"n": None, "href": None, "current": False})  # a gap: …
        links.append({"n": n, "href": href(n), "current": n == current})
    return {
        "current": current,
        "pages": pages,
        "links": [link for link in links if pages > 1],
        "prev": href(current - 1) if current > 1 else None,
        "next": href(current + 1) if current < pages else None,
    }


#: How long the dashboard's cookie lives (a working day and a half), not the token's life.
SESSION_SECONDS = 12 * 3600
MESSAGES = {
    "updated": "Đã cập nhật.",
    "claimed": "Đã nhận xử lý nhiệm vụ.",
    "explanation_requested": "Đã gửi yêu cầu giải trình.",
    "explanation_answered": "Đã gửi giải trình.",
    "explanation_assessed": "Đã đánh giá giải trình.",
    "letter_sent": "Đã gửi công văn đôn đốc; văn bản được lưu trong mục Văn bản đã gửi.",
    "delegated": "Đã giao việc tiếp.",
    "assigned": "Đã phân công người xử lý.",
    "reassigned": "Đã chuyển xử lý.",
    "workflow_published": "Đã công bố phiên bản mới của quy trình; nhiệm vụ giao từ nay dùng "
    "phiên bản này, nhiệm vụ đang xử lý giữ phiên bản cũ.",
}
ERRORS = {
    "login": "Mã đăng nhập không đúng hoặc đã bị thu hồi.",
    "permission_denied": "Bạn không có quyền thực hiện thao tác này.",
    "invalid_transition": "Thao tác không thực hiện được ở trạng thái hiện tại.",
    "validation_error": "Thông tin nhập chưa hợp lệ",
    "conflict": "Nhiệm vụ vừa được người khác cập nhật; vui lòng tải lại trang.",
    "not_found": "Không tìm thấy nhiệm vụ.",
    "not_applicable": "Văn bản không phù hợp với tình trạng nhiệm vụ (đã kết thúc hoặc đã báo "
    "cáo kết quả).",
}


def _error_text(request: Request) -> str | None:
    text = ERRORS.get(request.query_params.get("err", ""))
    field = request.query_params.get("field", "")
    if text is not None and field and field.isidentifier() and len(field) <= 64:
        text += f" (trường “{field}”)."
    elif text is not None and not text.endswith("."):
        text += "."
    return text


def _days_left(engine: Engine, d: Directive) -> int | None:
    if d.due is None:
        return None
    from ..clock import local_date

    return (d.due - local_date(engine.clock.now())).days
