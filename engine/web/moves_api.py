"""HTTP endpoints of the moves: delegate, children with roll-up, reassign, claim/assign, the
unit's queue, explanation requests, and per-unit lead vs cooperate statistics.

Installed by :func:`dondoc.web.api.create_app`; the directive's wire shape comes from there
(``directive_out``) so this module does not import the API module. Each endpoint checks that the
actor may see the directive, then calls one Engine method; the Engine checks the workflow's roles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ..core.actors import Actor
from ..core.records import Directive, Explanation
from ..service.engine import Engine, SentLetter, SubDirective
from .auth import current_actor

Me = Annotated[Actor, Depends(current_actor)]
DirectiveId = Annotated[int, Path(ge=1, le=2**31 - 1, description="directive id")]
Person = Annotated[str, Field(min_length=1, max_length=200)]
# Deadlines of real directives: bounded so date arithmetic (working days, timers) cannot overflow.
Day = Annotated[date, Field(ge=date(1990, 1, 1), le=date(2199, 12, 31))]


class SubDirectiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=500)
    assignee: Person | None = None
    due: Day | None = Field(default=None, description="default: the parent's; never after it")
    deadline: str | None = Field(default=None, max_length=500, description="as written")
    content: str = Field(default="", max_length=20000)
    lead_unit: Person | None = None
    reviewer: Person | None = None


class DelegateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    children: list[SubDirectiveIn] = Field(min_length=1, max_length=200)


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    assignee: Person | None = None
    lead_unit: Person | None = None
    due: Day | None = None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: Person


class ExplanationRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=20000)


class ExplanationAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=20000)
    cause: Literal["objective", "subjective"]
    proposed_due: Day | None = None


class LetterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: Literal["chasing_letter", "reminder", "escalation"] = "chasing_letter"


class ExplanationAssessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["objective", "subjective"]
    note: str | None = Field(default=None, max_length=20000)
    new_due: Day | None = None


def _explanation(x: Explanation) -> dict[str, Any]:
    out = asdict(x)
    for k, v in out.items():
        if isinstance(v, date):
            out[k] = v.isoformat()
    return out


def _letter(x: SentLetter) -> dict[str, Any]:
    out = asdict(x)
    out["sent_at"] = x.sent_at.isoformat()
    out["files"] = {
        f: f"/api/directives/{x.directive_id}/letters/{x.id}?format={f}"
        for f in (("docx", "pdf") if x.has_pdf else ("docx",))
    }
    return out


LETTER_MEDIA = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/pdf",
)


def install(
    app: FastAPI,
    engine: Engine,
    directive_out: Callable[[Directive], dict[str, Any]],
    responses: dict[int | str, dict[str, Any]],
) -> None:
    @app.post(
        "/api/directives/{directive_id}/delegate",
        status_code=201,
        responses=responses,
        tags=["moves"],
    )
    def delegate(who: Me, directive_id: DirectiveId, body: DelegateIn) -> list[dict[str, Any]]:
        """Split a directive into sub-directives (giao việc tiếp), each due no later than it."""
        engine.get_visible(directive_id, who)
        subs = [SubDirective(**c.model_dump()) for c in body.children]
        return [directive_out(d) for d in engine.delegate(directive_id, who, subs)]

    @app.get("/api/directives/{directive_id}/children", responses=responses, tags=["moves"])
    def children(who: Me, directive_id: DirectiveId) -> dict[str, Any]:
        """The sub-directives and contributions, with the roll-up (progress, who is missing)."""
        engine.get_visible(directive_id, who)
        kids, roll = engine.children(directive_id)
        return {"children": [directive_out(k) for k in kids], "roll_up": asdict(roll)}

    @app.post("/api/directives/{directive_id}/reassign", responses=responses, tags=["moves"])
    def reassign(who: Me, directive_id: DirectiveId, body: ReassignIn) -> dict[str, Any]:
        """Move the directive to another person or unit (chuyển xử lý), with a reason."""
        engine.get_visible(directive_id, who)
        return directive_out(engine.reassign(directive_id, who, **body.model_dump()))

    @app.post("/api/directives/{directive_id}/claim", responses=responses, tags=["moves"])
    def claim(who: Me, directive_id: DirectiveId) -> dict[str, Any]:
        """Take a directive from the unit's queue."""
        engine.get_visible(directive_id, who)
        return directive_out(engine.claim(directive_id, who))

    @app.post("/api/directives/{directive_id}/assign", responses=responses, tags=["moves"])
    def assign(who: Me, directive_id: DirectiveId, body: AssignIn) -> dict[str, Any]:
        """Give a directive from the unit's queue to a member (the head of the unit)."""
        engine.get_visible(directive_id, who)
        return directive_out(engine.assign(directive_id, who, body.person))

    @app.get("/api/queue", responses=responses, tags=["moves"])
    def queue(who: Me) -> list[dict[str, Any]]:
        """What waits, unclaimed, in the queues of my unit and the units I head."""
        return [directive_out(d) for d in engine.queue(who)]

    @app.post(
        "/api/directives/{directive_id}/explanation",
        status_code=201,
        responses=responses,
        tags=["explanations"],
    )
    def request_explanation(
        who: Me, directive_id: DirectiveId, body: ExplanationRequestIn
    ) -> dict[str, Any]:
        """Ask for an explanation of an overdue directive (yêu cầu giải trình)."""
        engine.get_visible(directive_id, who)
        return _explanation(engine.request_explanation(directive_id, who, body.note))

    @app.post(
        "/api/directives/{directive_id}/explanation/answer",
        responses=responses,
        tags=["explanations"],
    )
    def answer_explanation(
        who: Me, directive_id: DirectiveId, body: ExplanationAnswerIn
    ) -> dict[str, Any]:
        engine.get_visible(directive_id, who)
        return _explanation(engine.answer_explanation(directive_id, who, **body.model_dump()))

    @app.post(
        "/api/directives/{directive_id}/explanation/assess",
        responses=responses,
        tags=["explanations"],
    )
    def assess_explanation(
        who: Me, directive_id: DirectiveId, body: ExplanationAssessIn
    ) -> dict[str, Any]:
        engine.get_visible(directive_id, who)
        return _explanation(engine.assess_explanation(directive_id, who, **body.model_dump()))

    @app.get("/api/explanations", responses=responses, tags=["explanations"])
    def explanations(
        who: Me,
        directive_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
        status: Literal["requested", "lapsed", "answered", "assessed"] | None = None,
        verdict: Literal["objective", "subjective"] | None = None,
    ) -> list[dict[str, Any]]:
        """Explanations of the directives I may see (e.g. ``verdict=objective``)."""
        items = engine.explanations(directive_id=directive_id, status=status, verdict=verdict)
        seen: dict[int, bool] = {}
        out = []
        for x in items:
            if x.directive_id not in seen:
                seen[x.directive_id] = engine.can_see(who, engine.get(x.directive_id))
            if seen[x.directive_id]:
                out.append(_explanation(x))
        return out

    @app.post(
        "/api/directives/{directive_id}/letters",
        status_code=201,
        responses=responses,
        tags=["documents"],
    )
    def send_letter(who: Me, directive_id: DirectiveId, body: LetterIn) -> dict[str, Any]:
        """Send a chasing letter (công văn đôn đốc): written as Word and PDF, kept as sent,
        recorded in the directive's history, queued to the assignee."""
        engine.get_visible(directive_id, who)
        return _letter(engine.send_letter(directive_id, who, body.template))

    @app.get("/api/directives/{directive_id}/letters", responses=responses, tags=["documents"])
    def letters(who: Me, directive_id: DirectiveId) -> list[dict[str, Any]]:
        """The letters sent on the directive (their files at ``…/letters/{id}?format=``)."""
        engine.get_visible(directive_id, who)
        return [_letter(x) for x in engine.letters(directive_id)]

    @app.get(
        "/api/directives/{directive_id}/letters/{letter_id}",
        responses={**responses, 200: {"content": {m: {} for m in LETTER_MEDIA}}},
        tags=["documents"],
    )
    def letter_file(
        who: Me,
        directive_id: DirectiveId,
        letter_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
        format: Literal["docx", "pdf"] = "docx",
    ) -> Response:
        """A sent letter's file, exactly as it was sent."""
        engine.get_visible(directive_id, who)
        doc = engine.letter_file(directive_id, letter_id, format)
        return Response(
            doc.data,
            media_type=doc.media_type,
            headers={"Content-Disposition": f'attachment; filename="{doc.filename}"'},
        )

    @app.get("/api/statistics/units", responses=responses, tags=["statistics"])
    def unit_involvement(who: Me) -> list[dict[str, Any]]:
        """Per unit: what it leads against what it cooperates on."""
        rows = engine.unit_involvement()
        if "admin" not in who.roles and "reviewer" not in who.roles:
            rows = [r for r in rows if r.unit == who.unit]
        return [asdict(r) for r in rows]
