"""The dashboard's actions beside the workflow's triggers: ask for an explanation, answer it,
assess it (the moves of issue 19). Every action goes through the Engine, which checks the
permission and writes the audit event; the forms shown are a courtesy guess of what the
reader may do (the roles the directive's fields give them), never the check itself."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from ..core.actors import Actor
from ..core.records import Directive
from ..errors import DondocError
from ..service.engine import Engine

CAUSES = {"objective": "Nguyên nhân khách quan", "subjective": "Nguyên nhân chủ quan"}


def roles_on(who: Actor, d: Directive) -> set[str]:
    """The roles a directive's fields give its reader (for choosing which forms to show)."""
    held = set(who.roles)
    for role in ("assignee", "assigner", "reviewer"):
        if getattr(d, role) == who.id:
            held.add(role)
    if who.unit is not None and who.unit == d.lead_unit:
        held.add("lead_unit")
    return held


def explanation_forms(engine: Engine, who: Actor, d: Directive) -> dict[str, Any]:
    """Which explanation forms the directive page offers ``who``: request / answer / assess."""
    spec = engine.workflows.get(d.workflow, d.workflow_version).spec
    explain = spec.moves.explain if spec.moves is not None else None
    forms: dict[str, Any] = {"request": False, "answer": None, "assess": None, "causes": CAUSES}
    if explain is None or not d.is_open:
        return forms
    held = roles_on(who, d)
    xs = engine.explanations(directive_id=d.id)
    pending = next((x for x in reversed(xs) if x.status in ("requested", "lapsed")), None)
    answered = next((x for x in reversed(xs) if x.status == "answered"), None)
    if pending is None and answered is None and d.days_late and held & set(explain.roles):
        forms["request"] = True
    if pending is not None and (who.id == pending.owed_by or held & set(explain.answer_roles)):
        forms["answer"] = pending
    if answered is not None and held & set(explain.decide_roles) and who.id != answered.answered_by:
        forms["assess"] = answered
    return forms


def install(app: FastAPI, engine: Engine, auth: Any) -> None:
    """Cross-site posts are refused before they get here (web/hardening.py)."""

    def back(directive_id: int, key: str, text: str) -> Response:
        return RedirectResponse(f"/directives/{directive_id}?{key}=" + quote(text), status_code=303)

    async def act(request: Request, directive_id: int, what: str) -> Response:
        who = auth(request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        form = {k: str(v).strip() for k, v in (await request.form()).items()}
        try:
            engine.get_visible(directive_id, who)
            if what == "request":
                engine.request_explanation(directive_id, who, form.get("note") or None)
                done = "explanation_requested"
            elif what == "answer":
                engine.answer_explanation(
                    directive_id,
                    who,
                    reason=form.get("reason", ""),
                    cause=form.get("cause", ""),
                    proposed_due=_date(form.get("proposed_due")),
                )
                done = "explanation_answered"
            else:
                engine.assess_explanation(
                    directive_id,
                    who,
                    verdict=form.get("verdict", ""),
                    note=form.get("note") or None,
                    new_due=_date(form.get("new_due")),
                )
                done = "explanation_assessed"
        except DondocError as exc:
            return back(directive_id, "err", exc.code)
        except ValueError:
            return back(directive_id, "err", "validation_error")
        return back(directive_id, "msg", done)

    @app.post("/directives/{directive_id}/explain", include_in_schema=False)
    async def request_explanation(request: Request, directive_id: int) -> Response:
        return await act(request, directive_id, "request")

    @app.post("/directives/{directive_id}/answer", include_in_schema=False)
    async def answer_explanation(request: Request, directive_id: int) -> Response:
        return await act(request, directive_id, "answer")

    @app.post("/directives/{directive_id}/assess", include_in_schema=False)
    async def assess_explanation(request: Request, directive_id: int) -> Response:
        return await act(request, directive_id, "assess")


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
