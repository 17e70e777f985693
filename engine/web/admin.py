"""The dashboard's page for workflow administrators: paste a YAML definition, see each problem
at its line (the validator ``dondoc validate`` uses), see its state diagram (SVG drawn here, no
Graphviz), and the versions in use with how many directives each holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from ..core.graph import to_svg
from ..core.limits import MAX_YAML_BYTES
from ..core.spec import parse_workflow
from ..errors import WorkflowError
from ..service.engine import Engine


def check(engine: Engine, text: str) -> dict[str, Any]:
    """Validate ``text``: its problems (line, column, message) or its diagram."""
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        return {"problems": [{"line": 1, "column": 1, "message": "quá lớn"}], "svg": None}
    try:
        lw = parse_workflow(text, "workflow.yaml", templates=engine.renderer.template_ids())
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
        return [
            {"workflow": w, "version": v, "title": titles.get((w, v), ""), "n": n, "open": o}
            for w, v, n, o in engine.workflow_usage()
        ]

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
        who = admin_only(request)
        if isinstance(who, Response):
            return who
        text = str((await request.form()).get("yaml", ""))
        return page("admin", request, who, versions=usage(), text=text, result=check(engine, text))
