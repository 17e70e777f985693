"""The HTTP API (FastAPI) and the dashboard behind one app: ``create_app(engine)``.

Thin adapter: each route parses its input, calls one Engine method, and shapes the output.
Errors are JSON ``{"code", "message", …}`` with the status from :func:`dondoc.errors.http_status`
(``permission_denied`` 403, ``invalid_transition`` 409, ``conflict`` 409, ``validation_error``
422, ``not_found`` 404, ``unauthenticated`` 401); bad input never yields a 500.

Authentication is a hook: by default a bearer token (``Authorization: Bearer …``, or the
dashboard's cookie) issued by ``dondoc token create``; an embedding back-end passes its own
``authenticate(request) -> Actor | None``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Body, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from .. import errors
from ..clock import local_date
from ..core.actors import Actor
from ..core.limits import (
    MAX_BODY_BYTES,
    MAX_DOCUMENT_CHARS,
    MAX_NAME_CHARS,
    MAX_PHRASE_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    year_problem,
)
from ..core.permissions import Permission, require
from ..core.records import AuditEvent, Directive
from ..core.spec import parse_workflow
from ..core.validation_text import schema_message
from ..deadlines.status import late_at_creation
from ..errors import DondocError, PayloadError, WorkflowError
from ..service.documents import MEDIA_TYPES, RenderedDocument
from ..service.engine import Engine, NewDirective
from .apidocs import install_api_docs
from .auth import Authenticator, Unauthenticated, current_actor, token_authenticator
from .bodylimit import BodyLimit
from .dashboard import install as install_dashboard
from .evaluation_api import install as install_evaluation
from .hardening import Hardening
from .moves_api import install as install_moves
from .ops import install as install_ops
from .reports_api import install as install_reports

StatusName = Literal[
    "completed_on_time",
    "completed_late",
    "in_progress_on_time",
    "due_soon",
    "in_progress_overdue",
    "no_deadline",
    "cancelled",
]


if TYPE_CHECKING:
    from ..extraction.document import Extraction

Me = Annotated[Actor, Depends(current_actor)]
DirectiveId = Annotated[int, Path(ge=1, le=2**31 - 1, description="directive id")]
DocFormat = Literal["pdf", "docx", "xlsx", "html", "txt"]

# Validation at the edge: what the database cannot store (too long for its column, a NUL that
# PostgreSQL refuses) or the calendar cannot handle (year 1, year 9999) is a 422 naming the
# field, not a 500 from deep inside.
_NO_NUL = r"^[^\x00]*$"


PERIOD_DOC = "2024-06 (month), 2024-Q2 (quarter), 2024-H1 (half-year) or 2024 (year)"
CUTOFF_DOC = "1: the calendar period; 15: the data window of Decree 09/2019 art. 12"


def _sane_year(day: date) -> date:
    problem = year_problem(day.year)
    if problem is not None:
        raise ValueError(problem)
    return day


def _text(max_chars: int) -> Any:
    return StringConstraints(max_length=max_chars, pattern=_NO_NUL)


Day = Annotated[date, AfterValidator(_sane_year)]
Name = Annotated[str, _text(MAX_NAME_CHARS)]
Ident = Annotated[str, _text(64)]
QName = Annotated[str | None, Query(max_length=MAX_NAME_CHARS, pattern=_NO_NUL)]


# --- wire models ------------------------------------------------------------------------------


class DirectiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workflow: Ident = Field(description="workflow id, e.g. remediation_self_assessment")
    title: Annotated[str, _text(MAX_TITLE_CHARS)] = Field(min_length=1)
    content: Annotated[str, _text(MAX_TEXT_CHARS)] = ""
    deadline: Annotated[str, _text(MAX_PHRASE_CHARS)] | None = Field(
        default=None, description='as written, e.g. "trước ngày 01/07/2024"'
    )
    due: Day | None = None
    lead_unit: Name | None = None
    cooperating_units: list[Name] = Field(default_factory=list, max_length=100)
    assignee: Name | None = None
    reviewer: Name | None = None
    doc_number: Annotated[str, _text(100)] | None = None
    doc_date: Day | None = None
    doc_issuer: Annotated[str, _text(300)] | None = None
    parent_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class FireIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trigger: Ident
    payload: dict[str, Any] = Field(default_factory=dict)
    expected_version: int | None = Field(
        default=None, description="fail with 409 conflict if the directive changed"
    )


class ExtensionRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, _text(MAX_TEXT_CHARS)] = Field(min_length=1)
    proposed_due: Day


class ExtensionApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    new_due: Day


class DirectiveOut(BaseModel):
    id: int
    workflow: str
    workflow_version: int
    title: str
    content: str
    state: str
    state_label: str
    is_open: bool
    outcome: str | None
    progress: int
    lead_unit: str | None
    cooperating_units: list[str]
    assignee: str | None
    assigner: str | None
    reviewer: str | None
    due: date | None
    due_text: str | None
    original_due: date | None
    start: date | None
    recurrence: str | None
    doc_number: str | None
    doc_date: date | None
    doc_issuer: str | None
    parent_id: int | None
    data: dict[str, Any]
    version: int
    status: str
    status_label: str
    days_late: int
    kind: str = Field(default="directive", description="directive, delegated or contribution")
    original_assignee: str | None = None
    original_lead_unit: str | None = None

    @classmethod
    def of(cls, d: Directive) -> DirectiveOut:
        return cls.model_validate({**asdict(d), "cooperating_units": list(d.cooperating_units)})


class DirectiveCreated(DirectiveOut):
    warnings: list[str] = Field(
        default_factory=list,
        description="What the creator should check (Vietnamese), e.g. a due date already past",
    )


class EventOut(BaseModel):
    seq: int
    at: str
    actor: str
    role: str | None
    kind: str
    trigger: str | None
    from_state: str | None
    to_state: str | None
    payload: dict[str, Any]
    hash: str
    request_id: str | None = Field(default=None, description="the request that wrote it")

    @classmethod
    def of(cls, e: AuditEvent) -> EventOut:
        return cls(
            seq=e.seq,
            at=e.at.isoformat(),
            actor=e.actor,
            role=e.role,
            kind=e.kind,
            trigger=e.trigger,
            from_state=e.from_state,
            to_state=e.to_state,
            payload=e.payload,
            hash=e.hash,
            request_id=e.request_id,
        )


class DirectiveDetail(BaseModel):
    directive: DirectiveOut
    history: list[EventOut]
    allowed_triggers: list[str]


class ProblemOut(BaseModel):
    path: str
    line: int
    column: int
    message: str


class ValidationOut(BaseModel):
    valid: bool
    workflow: str | None = None
    version: int | None = None
    problems: list[ProblemOut]


class GridRowOut(BaseModel):
    key: str
    total: int
    counts: dict[str, int]


class ImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    workflow: Ident
    accept: list[int] | None = Field(
        default=None,
        max_length=1000,
        description="indices of the drafts to create (all when absent; each at most once)",
    )
    issued: Day | None = None


class ErrorOut(BaseModel):
    code: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "unauthenticated"},
    403: {"model": ErrorOut, "description": "permission_denied"},
    404: {"model": ErrorOut, "description": "not_found"},
    409: {"model": ErrorOut, "description": "invalid_transition or conflict"},
    422: {"model": ErrorOut, "description": "validation_error"},
}


# --- the app ----------------------------------------------------------------------------------


def create_app(
    engine: Engine,
    *,
    authenticate: Authenticator | None = None,
    dashboard: bool = True,
    units: Any = None,
    max_body: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The API under ``/api`` (OpenAPI at ``/openapi.json``) and, unless disabled, the dashboard.

    Request bodies over ``max_body`` bytes are refused with 413 before any parsing."""
    auth = authenticate or token_authenticator(engine)
    app = FastAPI(
        title="dondoc",
        version="0.1.0",
        description="Theo dõi, đôn đốc nhiệm vụ: directives, their workflows, deadlines and documents.",
        docs_url=None,  # served offline by install_api_docs, not from a CDN
        redoc_url=None,
    )
    install_api_docs(app)
    app.state.engine = engine
    app.state.authenticate = auth
    app.state.units = units  # a UnitsDirectory for extraction, if the deployment has one
    app.add_middleware(BodyLimit, limit=max_body)
    app.add_middleware(Hardening)  # outermost: headers on every answer, 413s included

    @app.exception_handler(DondocError)
    async def dondoc_error(_request: Request, exc: DondocError) -> JSONResponse:
        body: dict[str, Any] = {"code": exc.code, "message": str(exc)}
        if isinstance(exc, errors.InvalidTransition):
            body["allowed"] = list(exc.allowed)
        if isinstance(exc, errors.PayloadError):
            body["field"] = exc.field
        if isinstance(exc, WorkflowError):
            body["problems"] = [asdict(p) for p in exc.problems]
        status = 401 if isinstance(exc, Unauthenticated) else errors.http_status(exc)
        return JSONResponse(body, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def request_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "message": schema_message(
                    e.get("type", ""),
                    e.get("ctx") or {},
                    e.get("msg", ""),
                    pattern="chứa ký tự không được phép",
                ),
            }
            for e in exc.errors()
        ]
        message = (
            "; ".join(f"{'.'.join(d['loc'])}: {d['message']}" for d in details)
            or "yêu cầu không hợp lệ"
        )
        body = {"code": "validation_error", "message": message, "details": details}
        if details and details[0]["loc"]:
            body["field"] = details[0]["loc"][-1]  # like a PayloadError: the field to fix
        return JSONResponse(body, status_code=422)

    @app.get("/api/me", responses=ERRORS, tags=["access"])
    def me(who: Me) -> dict[str, Any]:
        return {"id": who.id, "name": who.name, "unit": who.unit, "roles": sorted(who.roles)}

    @app.get("/api/directives", responses=ERRORS, tags=["directives"])
    def list_directives(
        who: Me,
        request: Request,
        response: Response,
        unit: QName = None,
        assignee: QName = None,
        state: QName = None,
        workflow: QName = None,
        status: Annotated[
            StatusName | None, Query(description="a status of the grid, e.g. in_progress_overdue")
        ] = None,
        due_from: Day | None = None,
        due_to: Day | None = None,
        doc_number: QName = None,
        parent_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
        q: Annotated[
            str | None,
            Query(max_length=200, pattern=_NO_NUL, description="words of the title or content"),
        ] = None,
        open_only: bool = False,
        sort: Annotated[
            Literal["created", "due"],
            Query(description="order: by creation, or by due date (earliest first, none last)"),
        ] = "created",
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        after: Annotated[
            int | None,
            Query(
                ge=0,
                le=2**31 - 1,
                description="keyset paging: the id of the last directive of the previous page "
                "(the `Link: rel=next` header gives the next page's address)",
            ),
        ] = None,
    ) -> list[DirectiveOut]:
        """Directives the caller may see, in creation or due order, one page at a time."""
        items = engine.visible_directives(
            who,
            unit=unit,
            assignee=assignee,
            state=state,
            workflow=workflow,
            doc_number=doc_number,
            parent_id=parent_id,
            open_only=open_only,
            status=status,
            due_from=due_from,
            due_to=due_to,
            text=q or None,
            after=after,
            limit=limit,
            offset=offset,
            order=sort,
        )
        if len(items) == limit:
            params = {k: v for k, v in request.query_params.items() if k not in ("after", "offset")}
            nxt = request.url.replace_query_params(**params, after=items[-1].id)
            response.headers["Link"] = f'<{nxt}>; rel="next"'
        return [DirectiveOut.of(d) for d in items]

    @app.post("/api/directives", status_code=201, responses=ERRORS, tags=["directives"])
    def create_directive(who: Me, body: DirectiveIn) -> DirectiveCreated:
        require(who, Permission.CREATE, "create")
        fields = body.model_dump(exclude={"workflow"})
        fields["cooperating_units"] = tuple(fields["cooperating_units"])
        d = engine.create_directive(who, body.workflow, NewDirective(**fields))
        late = late_at_creation(d.due, local_date(d.created_at))
        return DirectiveCreated.model_validate(
            {**DirectiveOut.of(d).model_dump(), "warnings": [late] if late else []}
        )

    @app.get("/api/directives/{directive_id}", responses=ERRORS, tags=["directives"])
    def get_directive(who: Me, directive_id: DirectiveId) -> DirectiveDetail:
        d = engine.get_visible(directive_id, who)
        return DirectiveDetail(
            directive=DirectiveOut.of(d),
            history=[EventOut.of(e) for e in engine.history(directive_id)],
            allowed_triggers=engine.allowed_triggers(directive_id, who),
        )

    @app.post("/api/directives/{directive_id}/fire", responses=ERRORS, tags=["directives"])
    def fire(who: Me, directive_id: DirectiveId, body: FireIn) -> DirectiveOut:
        engine.get_visible(directive_id, who)
        return DirectiveOut.of(
            engine.fire(
                directive_id,
                body.trigger,
                who,
                body.payload,
                expected_version=body.expected_version,
            )
        )

    @app.post("/api/directives/{directive_id}/extension", responses=ERRORS, tags=["extensions"])
    def request_extension(
        who: Me, directive_id: DirectiveId, body: ExtensionRequestIn
    ) -> DirectiveOut:
        """Ask for a new deadline (gia hạn): fires the workflow's ``request_extension``."""
        engine.get_visible(directive_id, who)
        payload = {"reason": body.reason, "proposed_due": body.proposed_due.isoformat()}
        return DirectiveOut.of(engine.fire(directive_id, "request_extension", who, payload))

    @app.post(
        "/api/directives/{directive_id}/extension/approve", responses=ERRORS, tags=["extensions"]
    )
    def approve_extension(
        who: Me, directive_id: DirectiveId, body: ExtensionApprovalIn
    ) -> DirectiveOut:
        """Grant the extension: the new due date applies, the original one is kept."""
        engine.get_visible(directive_id, who)
        return DirectiveOut.of(
            engine.fire(
                directive_id, "approve_extension", who, {"new_due": body.new_due.isoformat()}
            )
        )

    @app.get(
        "/api/directives/{directive_id}/documents/{template}",
        responses={**ERRORS, 200: {"content": {m: {} for m in MEDIA_TYPES.values()}}},
        tags=["documents"],
    )
    def document(
        who: Me,
        request: Request,
        directive_id: DirectiveId,
        template: str,
        format: Annotated[
            DocFormat | None,
            Query(description="pdf, docx, html or txt; else from the Accept header; else pdf"),
        ] = None,
    ) -> Response:
        """A letter for the directive (chasing_letter, reminder, escalation, self_assessment,
        or an admin template), with people by name and position and the office's profile."""
        engine.get_visible(directive_id, who)
        if template.endswith("_report"):
            raise PayloadError("template", "báo cáo ở /api/reports/{template}")
        fmt = _negotiate(format, request.headers.get("accept", ""), letters=True)
        return _document(engine.document(template, fmt=fmt, directive_id=directive_id))

    @app.get(
        "/api/reports/{template}",
        responses={**ERRORS, 200: {"content": {m: {} for m in MEDIA_TYPES.values()}}},
        tags=["documents"],
    )
    def report(
        who: Me,
        request: Request,
        template: str,
        format: Annotated[
            DocFormat | None,
            Query(
                description="pdf, docx, xlsx, html or txt; else from the Accept header; else pdf"
            ),
        ] = None,
        against: Literal["current", "original"] = "current",
        period: Annotated[str | None, Query(max_length=10, description=PERIOD_DOC)] = None,
        cutoff_day: Annotated[int, Query(ge=1, le=28, description=CUTOFF_DOC)] = 1,
    ) -> Response:
        """The progress report over every directive, or over those due in ``period`` as they
        stood on its last day (Excel: per unit, person and period)."""
        if not (who.roles & {"admin", "reviewer", "assigner"}):
            raise errors.PermissionDenied(
                who.id, "report", ["admin", "reviewer", "assigner"], sorted(who.roles)
            )
        if not template.endswith("_report"):
            raise PayloadError("template", "mẫu báo cáo có tên dạng *_report")
        fmt = _negotiate(format, request.headers.get("accept", ""), letters=False)
        scope = (
            engine.period_scope(period, cutoff_day=cutoff_day, against=against) if period else None
        )
        return _document(
            engine.document(template, fmt=fmt, against=against, actor=who, period=scope)
        )

    @app.get("/api/statistics", responses=ERRORS, tags=["statistics"])
    def statistics(
        who: Me,
        by: Literal["lead_unit", "assignee", "workflow", "year", "quarter", "month"] = "lead_unit",
        against: Literal["current", "original"] = "current",
        period: Annotated[str | None, Query(max_length=10, description=PERIOD_DOC)] = None,
        cutoff_day: Annotated[int, Query(ge=1, le=28, description=CUTOFF_DOC)] = 1,
    ) -> list[GridRowOut]:
        """The status grid over the directives the caller may see, per unit, person,
        workflow or period of the due date; with ``period``, only those due in it, as they
        stood on its last day."""
        scope = (
            engine.period_scope(period, cutoff_day=cutoff_day, against=against) if period else None
        )
        rows = engine.statistics(by=by, against=against, actor=who, period=scope)
        return [
            GridRowOut(key=r.key, total=r.total, counts={s.value: n for s, n in r.counts.items()})
            for r in rows
        ]

    @app.get("/api/workflows", responses=ERRORS, tags=["workflows"])
    def workflows(_who: Me) -> list[dict[str, Any]]:
        return [
            {
                "workflow": c.spec.workflow,
                "version": c.spec.version,
                "title": c.spec.title,
                "states": [{"id": s.id, "label": s.label, "final": s.final} for s in c.spec.states],
            }
            for c in engine.workflows
        ]

    @app.get("/api/workflows/{workflow}", responses=ERRORS, tags=["workflows"])
    def workflow(_who: Me, workflow: str, version: int | None = None) -> dict[str, Any]:
        return engine.workflows.get(workflow, version).spec.model_dump(
            mode="json", by_alias=True, exclude_none=True
        )

    @app.post("/api/workflows/validate", responses=ERRORS, tags=["workflows"])
    def validate_workflow(
        who: Me,
        yaml_text: Annotated[str, Body(media_type="text/plain", description="the workflow file")],
        filename: str = "workflow.yaml",
    ) -> ValidationOut:
        """Validate an uploaded workflow file (administrators); problems come back with their
        line and column."""
        require(who, Permission.ADMIN, "validate")
        try:
            lw = parse_workflow(yaml_text, filename, templates=engine.renderer.template_ids())
        except WorkflowError as exc:
            return ValidationOut(
                valid=False, problems=[ProblemOut(**asdict(p)) for p in exc.problems]
            )
        return ValidationOut(
            valid=True, workflow=lw.spec.workflow, version=lw.spec.version, problems=[]
        )

    @app.post("/api/documents/extract", responses=ERRORS, tags=["extraction"])
    def extract_document(
        who: Me,
        text: Annotated[str, Body(media_type="text/plain", description="the document's text")],
        issued: Day | None = None,
    ) -> dict[str, Any]:
        """Propose the directives a conclusion document issues, for a clerk to confirm
        (those who may create directives)."""
        require(who, Permission.CREATE, "extract")
        return _extract(text, app.state.units, issued).to_json()

    @app.post("/api/documents/import", status_code=201, responses=ERRORS, tags=["extraction"])
    def import_document(who: Me, body: ImportIn) -> dict[str, Any]:
        """Create the accepted drafts under one parent directive for the document."""
        require(who, Permission.CREATE, "import")
        result = _extract(body.text, app.state.units, body.issued)
        if body.accept is not None and any(not 0 <= i < len(result.drafts) for i in body.accept):
            raise PayloadError("accept", f"số thứ tự phải từ 0 đến {len(result.drafts) - 1}")
        parent, children = engine.import_drafts(who, result, body.workflow, accept=body.accept)
        return {
            "parent": DirectiveOut.of(parent).model_dump(mode="json"),
            "directives": [DirectiveOut.of(c).model_dump(mode="json") for c in children],
        }

    install_moves(app, engine, lambda d: DirectiveOut.of(d).model_dump(mode="json"), ERRORS)
    install_evaluation(app, engine, ERRORS)
    install_reports(app, engine, ERRORS)
    install_ops(app, engine)  # /healthz, /readyz, /metrics, request ids
    if dashboard:
        install_dashboard(app, engine, auth)
    return app


def _extract(text: str, units: Any, issued: date | None) -> Extraction:
    from ..extraction.document import extract

    _check_document(text)
    try:
        return extract(text, units=units, issued=issued)
    except (OverflowError, ValueError) as exc:  # e.g. a date past the calendar's end
        raise PayloadError("text", f"không đọc được: {exc}") from None


def _check_document(text: str) -> None:
    if len(text) > MAX_DOCUMENT_CHARS:
        raise PayloadError("text", f"văn bản có {len(text)} ký tự; tối đa {MAX_DOCUMENT_CHARS}")


def _negotiate(fmt: str | None, accept: str, *, letters: bool) -> str:
    """The format asked for: ``?format=``, else the first known type in ``Accept``, else pdf."""
    if fmt is None:
        by_type = {m.split(";")[0]: f for f, m in MEDIA_TYPES.items()}
        for part in accept.split(","):
            wanted = by_type.get(part.split(";")[0].strip().lower())
            if wanted is not None:
                fmt = wanted
                break
    fmt = fmt or "pdf"
    if letters and fmt == "xlsx":
        raise PayloadError("format", "xlsx chỉ dành cho báo cáo (/api/reports/progress_report)")
    return fmt


def _document(doc: RenderedDocument) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{doc.filename}"'}
    if doc.warnings:
        # People the directory does not know: the clerk should check the names (ASCII-safe).
        headers["X-Dondoc-Warning"] = quote("; ".join(doc.warnings))
    return Response(doc.data, media_type=doc.media_type, headers=headers)
