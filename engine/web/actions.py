"""The dashboard's actions beside the workflow's triggers: ask for an explanation, answer it,
assess it; delegate, reassign (the moves of issue 19); send a chasing letter. Every action goes
through the Engine, which checks the permission and writes the audit event; the forms shown
are a courtesy guess of what the reader may do (the roles the directive's fields give them),
never the check itself."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from ..core.actors import Actor
from ..core.movespec import UNIT_HEAD
from ..core.permissions import Permission, can
from ..core.records import Directive
from ..errors import DondocError, PayloadError
from ..service.engine import Engine, SubDirective
from ..service.letters import LETTER_ROLES

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


def move_forms(engine: Engine, who: Actor, d: Directive) -> dict[str, Any]:
    """Which of delegate / reassign / send a letter the directive page offers ``who``, with
    the people and units to choose from (from the people directory)."""
    spec = engine.workflows.get(d.workflow, d.workflow_version).spec
    held = roles_on(who, d)
    if d.lead_unit and engine._head_of(d.lead_unit) == who.id:
        held.add(UNIT_HEAD)
    working = d.is_open and d.done_at is None
    delegate = spec.moves.delegate
    reassign = spec.moves.reassign
    claim = spec.moves.claim
    people = [
        {"id": pid, "label": engine.display(pid), "unit": p.get("unit")}
        for pid, p in sorted(
            getattr(engine.directory, "people", {}).items(), key=lambda kv: str(kv[1].get("name"))
        )
    ]
    units = sorted({str(p["unit"]) for p in people if p["unit"]})
    return {
        "delegate": working
        and delegate is not None
        and bool(held & set(delegate.roles))
        and (delegate.states is None or d.state in delegate.states),
        "reassign": d.is_open and reassign is not None and bool(held & set(reassign.roles)),
        "assign": d.is_open
        and d.assignee is None
        and claim is not None
        and bool(held & set(claim.assign_roles)),
        "letter": working
        and (
            bool(held & set(LETTER_ROLES))
            or can(who, Permission.REVIEW)
            or can(who, Permission.ADMIN)
        ),
        "people": people,
        "members": [p for p in people if not d.lead_unit or p["unit"] == d.lead_unit],
        "units": units,
        "letters": engine.letters(d.id),
    }


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

    async def move(request: Request, directive_id: int, what: str) -> Response:
        who = auth(request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        form = {k: str(v).strip() for k, v in (await request.form()).items()}
        try:
            engine.get_visible(directive_id, who)
            if what == "letter":
                engine.send_letter(directive_id, who, form.get("template") or "chasing_letter")
                done = "letter_sent"
            elif what == "assign":
                engine.assign(directive_id, who, form.get("person", ""))
                done = "assigned"
            elif what == "delegate":
                child = SubDirective(
                    title=form.get("title", ""),
                    assignee=form.get("assignee") or None,
                    due=_date(form.get("due")),
                    content=form.get("content", ""),
                )
                if not child.title:
                    raise PayloadError("title", "không được để trống")
                engine.delegate(directive_id, who, [child])
                done = "delegated"
            else:
                engine.reassign(
                    directive_id,
                    who,
                    reason=form.get("reason", ""),
                    assignee=form.get("assignee") or None,
                    lead_unit=form.get("lead_unit") or None,
                    due=_date(form.get("due")),
                )
                done = "reassigned"
        except DondocError as exc:
            field = getattr(exc, "field", None)
            extra = f"&field={quote(field)}" if isinstance(field, str) and field else ""
            return RedirectResponse(
                f"/directives/{directive_id}?err={exc.code}{extra}", status_code=303
            )
        except ValueError:
            return back(directive_id, "err", "validation_error")
        return back(directive_id, "msg", done)

    @app.post("/directives/{directive_id}/letters", include_in_schema=False)
    async def send_letter(request: Request, directive_id: int) -> Response:
        return await move(request, directive_id, "letter")

    @app.post("/directives/{directive_id}/assign", include_in_schema=False)
    async def assign(request: Request, directive_id: int) -> Response:
        return await move(request, directive_id, "assign")

    @app.post("/directives/{directive_id}/delegate", include_in_schema=False)
    async def delegate(request: Request, directive_id: int) -> Response:
        return await move(request, directive_id, "delegate")

    @app.post("/directives/{directive_id}/reassign", include_in_schema=False)
    async def reassign(request: Request, directive_id: int) -> Response:
        return await move(request, directive_id, "reassign")

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
