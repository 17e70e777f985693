"""The dashboard's page for workflow administrators: paste or upload a YAML definition, see each
problem at its line (the validator ``dondoc validate`` uses), see its state diagram (SVG drawn
here, no Graphviz), publish it as a new version (through the Engine: admin only, audited), and
the versions in use with how many directives each holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from ..clock import local_date
from ..core.graph import to_svg
from ..core.limits import MAX_YAML_BYTES
from ..errors import DondocError, WorkflowError
from ..service.engine import Engine


def check(engine: Engine, text: str) -> dict[str, Any]:
    """Validate ``text``: its problems (line, column, message) or its diagram."""
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        return {"problems": [{"line": 1, "column": 1, "message": "quá lớn"}], "svg": None}
    try:
        lw = engine.check_workflow(text)
    except WorkflowError as exc:
        problems = [
            {"line": p.line, "column": p.column, "message": p.message} for p in exc.problems
        ]
        return {"problems": problems, "svg": None}
    return {
        "problems": [],
        "svg": to_svg(lw.spec),
        "workflow": lw.spec.workflow,
        "version": lw.spec.version,
        "title": lw.spec.title,
    }


def install(
    app: FastAPI,
    engine: Engine,
    auth: Any,
    page: Callable[..., Response],
) -> None:
    def usage() -> list[dict[str, Any]]:
        titles = {c.key: c.spec.title for c in engine.workflows}
        published = {(p.workflow, p.version): p for p in engine.published_workflows()}
        rows = []
        for w, v, n, o in engine.workflow_usage():
            p = published.get((w, v))
            rows.append(
                {
                    "workflow": w,
                    "version": v,
                    "title": titles.get((w, v), ""),
                    "n": n,
                    "open": o,
                    "published_by": engine.display(p.published_by) if p else None,
                    "published_on": local_date(p.published_at) if p else None,
                }
            )
        return rows

    def admin_only(request: Request) -> Any:
        who = auth(request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        if "admin" not in who.roles:
            return page("forbidden", request, who, status_code=403)
        return who

    @app.get("/admin/workflows", include_in_schema=False)
    def workflows(request: Request) -> Response:
        who = admin_only(request)
        if isinstance(who, Response):
            return who
        return page("admin", request, who, versions=usage(), text="", result=None)

    @app.post("/admin/workflows", include_in_schema=False)
    async def check_workflow(request: Request) -> Response:
        """Check the pasted (or uploaded) definition; with ``action=publish``, publish it."""
        who = admin_only(request)
        if isinstance(who, Response):
            return who
        form = await request.form()
        text = str(form.get("yaml", ""))
        upload = form.get("file")
        if isinstance(upload, StarletteUpload) and upload.filename:
            raw = await upload.read(MAX_YAML_BYTES + 1)
            text = raw.decode("utf-8", errors="replace")
        result = check(engine, text)
        if form.get("action") == "publish" and not result["problems"]:
            try:
                done = engine.publish_workflow(who, text)
            except WorkflowError as exc:
                result = {
                    "problems": [
                        {"line": p.line, "column": p.column, "message": p.message}
                        for p in exc.problems
                    ],
                    "svg": None,
                }
            except DondocError as exc:
                return RedirectResponse(f"/admin/workflows?err={exc.code}", status_code=303)
            else:
                key = quote(f"{done.workflow}:{done.version}")
                return RedirectResponse(
                    f"/admin/workflows?msg=workflow_published&key={key}#versions", status_code=303
                )
        return page("admin", request, who, versions=usage(), text=text, result=result)
