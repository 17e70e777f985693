"""The ``dondoc`` command line: parse arguments, call the Engine, format the result.

No business logic lives here. Errors from :mod:`dondoc.errors` become a message on stderr and
the exit code from :func:`dondoc.errors.exit_code`; nothing a user can type produces a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .. import errors
from ..clock import VN_TZ
from ..core.actors import Actor
from ..core.graph import to_dot, to_mermaid
from ..core.machine import WorkflowRegistry, load_workflows
from ..core.records import Directive
from ..core.spec import bundled_workflow_files, json_schema, load_workflow_files
from ..deadlines.calendar import WorkingCalendar
from ..deadlines.phrases import parse_deadline
from ..deadlines.status import Status
from ..service.engine import DEFAULT_DB, Engine, NewDirective

app = typer.Typer(
    help="dondoc — theo dõi, đôn đốc nhiệm vụ: a workflow engine for directives.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
directives_app = typer.Typer(
    help="Create, list, fire and inspect directives.", no_args_is_help=True
)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
workflows_app = typer.Typer(help="Loaded workflow definitions.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema (Alembic migrations).", no_args_is_help=True)
token_app = typer.Typer(
    help="Bearer tokens for the HTTP API and the dashboard.", no_args_is_help=True
)
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")
app.add_typer(directives_app, name="directives")
app.add_typer(audit_app, name="audit")
app.add_typer(workflows_app, name="workflows")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DbOpt = Annotated[
    str,
    typer.Option("--db", envvar="DONDOC_DB", help="Database URL (SQLite file by default)."),
]
WorkflowsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--workflows",
        "-w",
        envvar="DONDOC_WORKFLOWS",
        help="Admin folder or file of workflow YAML, added to the bundled ones.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
AsOpt = Annotated[str, typer.Option("--as", help="Acting person's id.")]
RoleOpt = Annotated[
    list[str] | None, typer.Option("--role", help="Role granted to the actor (repeatable).")
]
UnitOpt = Annotated[str | None, typer.Option("--unit", help="The actor's unit.")]


def _registry(extra: list[Path] | None) -> WorkflowRegistry:
    return load_workflows(*(str(p) for p in extra or []))


def _engine(db: str, extra: list[Path] | None) -> Engine:
    return Engine(db, workflows=_registry(extra))


def _actor(who: str, roles: list[str] | None, unit: str | None) -> Actor:
    return Actor(who, frozenset(roles or ()), unit)


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(_jsonable(value), ensure_ascii=False, indent=2) + "\n")


def _directive_table(items: list[Directive]) -> Table:
    table = Table(show_lines=False)
    for col in ("id", "tiêu đề", "trạng thái", "chủ trì", "người thực hiện", "hạn", "%"):
        table.add_column(col)
    for d in items:
        due = d.due.strftime("%d/%m/%Y") if d.due else "—"
        table.add_row(
            str(d.id),
            d.title,
            d.state_label,
            d.lead_unit or "—",
            d.assignee or "—",
            due,
            str(d.progress),
        )
    return table


# --- workflow definitions --------------------------------------------------------------------


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Workflow files or folders (default: bundled).")
    ] = None,
    templates_dir: Annotated[
        Path | None,
        typer.Option("--templates", envvar="DONDOC_TEMPLATES", help="Admin template folder."),
    ] = None,
) -> None:
    """Check workflow files and the templates their timers use; one `path:line:column: message`
    line per problem."""
    from ..documents.render import Renderer

    files = list(paths) if paths else bundled_workflow_files()
    renderer = Renderer(templates_dir)
    problems: list[errors.Problem] = []
    loaded = []
    try:
        loaded = load_workflow_files(files, templates=renderer.template_ids())
    except errors.WorkflowError as exc:
        problems.extend(exc.problems)
    used = sorted({n.template for lw in loaded for t in lw.spec.timers for n in t.notify})
    for template_id in used:
        problems.extend(renderer.check(template_id))
    if problems:
        for p in sorted(set(problems)):
            sys.stdout.write(f"{p}\n")
        err.print(f"{len(set(problems))} problem(s) found")
        raise typer.Exit(1)
    for lw in loaded:
        out.print(f"ok  {lw.path}  ({lw.spec.workflow} v{lw.spec.version})")
    if used:
        out.print(f"ok  templates: {', '.join(used)}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of workflow files (for editors)."""
    _print_json(json_schema())


@app.command()
def graph(
    workflow: Annotated[str, typer.Argument(help="Workflow id.")],
    fmt: Annotated[str, typer.Option("--format", help="mermaid or dot.")] = "mermaid",
    version: Annotated[int | None, typer.Option(help="Version (default: latest).")] = None,
    extra: WorkflowsOpt = None,
) -> None:
    """Print the state diagram of a workflow (Mermaid, or Graphviz DOT)."""
    if fmt not in ("mermaid", "dot"):
        err.print(f"unknown format {fmt!r}; use mermaid or dot")
        raise typer.Exit(2)
    spec = _registry(extra).get(workflow, version).spec
    sys.stdout.write(to_mermaid(spec) if fmt == "mermaid" else to_dot(spec))


@workflows_app.command("list")
def workflows_list(extra: WorkflowsOpt = None, as_json: JsonOpt = False) -> None:
    """List loaded workflows."""
    reg = _registry(extra)
    rows = [
        {
            "workflow": c.spec.workflow,
            "version": c.spec.version,
            "title": c.spec.title,
            "path": c.loaded.path,
        }
        for c in reg
    ]
    if as_json:
        _print_json(rows)
        return
    table = Table("workflow", "version", "title")
    for r in rows:
        table.add_row(str(r["workflow"]), str(r["version"]), str(r["title"]))
    out.print(table)


# --- directives ------------------------------------------------------------------------------


def _parse_date(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise errors.PayloadError(field, f"expected YYYY-MM-DD, got {text!r}") from None


@directives_app.command("create")
def directives_create(
    workflow: Annotated[str, typer.Argument(help="Workflow id.")],
    title: Annotated[str, typer.Option(help="What must be done.")],
    who: AsOpt,
    content: Annotated[str, typer.Option(help="Full text of the directive.")] = "",
    assignee: Annotated[str | None, typer.Option()] = None,
    reviewer: Annotated[str | None, typer.Option()] = None,
    assigner: Annotated[str | None, typer.Option()] = None,
    lead_unit: Annotated[str | None, typer.Option("--unit-lead")] = None,
    cooperating: Annotated[list[str] | None, typer.Option("--cooperating")] = None,
    deadline: Annotated[
        str | None, typer.Option(help='Deadline as written, e.g. "trước ngày 01/07/2024".')
    ] = None,
    issued: Annotated[
        str | None, typer.Option(help="Issue date of the source document, YYYY-MM-DD.")
    ] = None,
    due: Annotated[str | None, typer.Option(help="Due date YYYY-MM-DD.")] = None,
    due_text: Annotated[str | None, typer.Option(help="The deadline as written.")] = None,
    doc_number: Annotated[str | None, typer.Option(help="Source document number/symbol.")] = None,
    parent: Annotated[int | None, typer.Option(help="Parent directive id.")] = None,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a directive."""
    engine = _engine(db, extra)
    d = engine.create_directive(
        _actor(who, roles, unit),
        workflow,
        NewDirective(
            title=title,
            content=content,
            assignee=assignee,
            reviewer=reviewer,
            assigner=assigner,
            lead_unit=lead_unit,
            cooperating_units=tuple(cooperating or ()),
            deadline=deadline,
            doc_date=_parse_date(issued, "issued"),
            due=_parse_date(due, "due"),
            due_text=due_text,
            doc_number=doc_number,
            parent_id=parent,
        ),
    )
    if as_json:
        _print_json(asdict(d))
    else:
        out.print(f"created directive {d.id} ({d.state_label})")


@directives_app.command("list")
def directives_list(
    state: Annotated[str | None, typer.Option()] = None,
    unit: Annotated[str | None, typer.Option(help="Lead unit.")] = None,
    assignee: Annotated[str | None, typer.Option()] = None,
    workflow: Annotated[str | None, typer.Option()] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open directives.")] = False,
    status: Annotated[
        str | None, typer.Option(help="A status of the grid, e.g. in_progress_overdue.")
    ] = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List directives."""
    items = _engine(db, extra).directives(
        state=state,
        unit=unit,
        assignee=assignee,
        workflow=workflow,
        open_only=open_only,
        status=status,
    )
    if as_json:
        _print_json([asdict(d) for d in items])
    else:
        out.print(_directive_table(items))


@directives_app.command("show")
def directives_show(
    directive_id: int,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one directive with its history."""
    engine = _engine(db, extra)
    d = engine.get(directive_id)
    hist = engine.history(directive_id)
    if as_json:
        _print_json({"directive": asdict(d), "history": [asdict(e) for e in hist]})
        return
    out.print(f"[bold]#{d.id} {d.title}[/bold]")
    out.print(f"  trạng thái: {d.state_label} ({d.state}), tiến độ {d.progress}%")
    out.print(f"  chủ trì: {d.lead_unit or '—'}; thực hiện: {d.assignee or '—'}")
    if d.due:
        out.print(f"  hạn: {d.due:%d/%m/%Y}" + (f"  ({d.due_text})" if d.due_text else ""))
    table = Table("#", "lúc", "ai", "vai trò", "sự kiện", "từ → đến")
    for e in hist:
        table.add_row(
            str(e.seq),
            e.at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M"),
            e.actor,
            e.role or "",
            e.trigger or e.kind,
            f"{e.from_state or ''} → {e.to_state or ''}",
        )
    out.print(table)


@directives_app.command("fire")
def directives_fire(
    directive_id: int,
    trigger: str,
    who: AsOpt,
    data: Annotated[
        list[str] | None, typer.Option("--data", "-d", help="Payload field as key=value.")
    ] = None,
    payload_json: Annotated[
        str | None, typer.Option("--payload", help="Payload as a JSON object.")
    ] = None,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fire a trigger on a directive as a person."""
    payload: dict[str, Any] = {}
    if payload_json:
        try:
            loaded = json.loads(payload_json)
        except json.JSONDecodeError as exc:
            raise errors.PayloadError("--payload", f"not valid JSON: {exc.msg}") from None
        if not isinstance(loaded, dict):
            raise errors.PayloadError("--payload", "must be a JSON object")
        payload.update(loaded)
    for item in data or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise errors.PayloadError(item, "expected key=value")
        payload[key.strip()] = value
    d = _engine(db, extra).fire(directive_id, trigger, _actor(who, roles, unit), payload)
    if as_json:
        _print_json(asdict(d))
    else:
        out.print(f"directive {d.id}: {d.state_label} ({d.state}), tiến độ {d.progress}%")


@app.command()
def deadline(
    phrase: Annotated[str, typer.Argument(help='e.g. "trước ngày 01/07/2024"')],
    issued: Annotated[str, typer.Option(help="Issue date YYYY-MM-DD.")],
    calendar_file: Annotated[
        Path | None, typer.Option("--calendar", help="Calendar overrides YAML.")
    ] = None,
) -> None:
    """Read a Vietnamese deadline phrase: one JSON object on stdout (exit 1 if unreadable)."""
    day = _parse_date(issued, "issued")
    assert day is not None
    cal = WorkingCalendar.from_file(calendar_file) if calendar_file else None
    try:
        result = parse_deadline(phrase, day, calendar=cal)
    except errors.DeadlineError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")


@app.command()
def stats(
    by: Annotated[str, typer.Option(help="lead_unit, assignee or workflow.")] = "lead_unit",
    against: Annotated[
        str, typer.Option(help="current (extended) or original due dates.")
    ] = "current",
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The official status grid per unit (or assignee, or workflow)."""
    rows = _engine(db, extra).statistics(by=by, against=against)
    if as_json:
        _print_json(
            [
                {"key": r.key, "total": r.total, **{s.value: n for s, n in r.counts.items()}}
                for r in rows
            ]
        )
        return
    table = Table(by)
    shown = [s for s in Status if s is not Status.CANCELLED]
    for s in shown:
        table.add_column(s.label, justify="right")
    table.add_column("Tổng", justify="right")
    for r in rows:
        table.add_row(r.key, *(str(r.counts[s]) for s in shown), str(r.total))
    out.print(table)


@token_app.command("create")
def token_create(
    person: Annotated[str, typer.Option(help="The person's id (as used in assignee/assigner).")],
    role: RoleOpt = None,
    unit: UnitOpt = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Issue a token (printed once; only its hash is stored). Roles: admin, assigner, reviewer…"""
    token = Engine(db).create_token(person, roles=role or (), unit=unit, name=name)
    sys.stdout.write(token + "\n")


@token_app.command("revoke")
def token_revoke(person: Annotated[str, typer.Option()], db: DbOpt = DEFAULT_DB) -> None:
    """Revoke every token of a person."""
    out.print(f"revoked {Engine(db).revoke_tokens(person)} token(s)")


@app.command()
def serve(
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Run the scheduler elsewhere.")
    ] = False,
    demo_data: Annotated[
        bool, typer.Option("--demo-data", help="On an empty database, load seed 000's directives.")
    ] = False,
    directory: Annotated[Path | None, typer.Option(help="People/units directory YAML.")] = None,
) -> None:
    """The HTTP API, the dashboard and (unless --no-worker) the scheduler, in one process."""
    import logging

    import uvicorn

    from ..core.directory import SimpleDirectory
    from ..web.api import create_app
    from ..worker import Worker, retry_while_unavailable

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    workflows = _registry(extra)
    # Started while the database restarts (or its connection is cut): wait for it, as the
    # sweeps do, instead of dying.
    engine = retry_while_unavailable(
        lambda: Engine(
            db,
            workflows=workflows,
            directory=SimpleDirectory.from_file(directory) if directory else None,
        )
    )
    if demo_data:
        from .demo import load_demo_data

        tokens = load_demo_data(engine)
        if tokens:
            out.print("[bold]Demo data loaded (seed 000).[/bold] Log in with one of these tokens:")
            for who, token in tokens.items():
                out.print(f"  {who}: {token}")
    if engine.token_count() == 0:
        token = engine.create_token(
            "admin", roles=("admin", "assigner", "reviewer"), name="Quản trị"
        )
        out.print(f"First start: an admin token was created (shown once): {token}")
    out.print(f"dondoc at http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    worker = None
    if not no_worker:
        worker = Worker(engine, interval=30.0)
        worker.start_background()
    try:
        uvicorn.run(create_app(engine), host=host, port=port, log_level="info")
    finally:
        if worker is not None:
            worker.stop()


@db_app.command("upgrade")
def db_upgrade(
    db: DbOpt = DEFAULT_DB,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Create or upgrade the schema to the revision this dondoc needs."""
    from ..store.schema import current_revision, upgrade
    from ..store.tables import make_engine

    engine = make_engine(db)
    before = current_revision(engine)
    upgrade(engine, revision)
    out.print(f"database at revision {current_revision(engine)} (was {before or 'empty'})")


@db_app.command("current")
def db_current(db: DbOpt = DEFAULT_DB) -> None:
    """Print the schema revision of the database and the one this dondoc needs."""
    from ..store.schema import current_revision, head_revision
    from ..store.tables import make_engine

    current = current_revision(make_engine(db))
    head = head_revision()
    state = "up to date" if current == head else "run: dondoc db upgrade"
    out.print(f"current: {current or 'none'}; needed: {head} ({state})")
    if current != head:
        raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify(db: DbOpt = DEFAULT_DB, extra: WorkflowsOpt = None) -> None:
    """Recompute every directive's hash chain; exit 1 if any was tampered with."""
    report = _engine(db, extra).verify_audit()
    for b in report.breaks:
        sys.stdout.write(f"TAMPERED {b}\n")
    status = "ok" if report.ok else "FAILED"
    out.print(
        f"{status}: {report.directives_checked} directives, {report.events_checked} events checked"
    )
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def render(
    template: Annotated[
        str,
        typer.Argument(
            help="chasing_letter, reminder, escalation, self_assessment, progress_report, or an admin template id."
        ),
    ],
    directive_id: Annotated[int | None, typer.Option("--directive", help="Directive id.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="pdf, html or txt.")] = "pdf",
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Output file (default: stdout for html/txt)."),
    ] = None,
    office_file: Annotated[
        Path | None, typer.Option("--office", help="Office profile YAML (header, signer).")
    ] = None,
    templates_dir: Annotated[
        Path | None,
        typer.Option(
            "--templates",
            envvar="DONDOC_TEMPLATES",
            help="Admin template folder (overrides bundled ones by name).",
        ),
    ] = None,
    directory: Annotated[
        Path | None, typer.Option(help="People/units directory YAML (names).")
    ] = None,
    against: Annotated[
        str, typer.Option(help="progress_report: current or original due dates.")
    ] = "current",
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
) -> None:
    """Render a document for a directive (or the progress report) as PDF, HTML or text."""
    from ..core.directory import SimpleDirectory
    from ..documents.office import Office
    from ..documents.render import Renderer

    engine = Engine(
        db,
        workflows=load_workflows(*(str(p) for p in extra or []), template_dir=templates_dir),
        renderer=Renderer(templates_dir),
        directory=SimpleDirectory.from_file(directory) if directory else None,
    )
    data = engine.render_document(
        template,
        fmt=fmt,
        directive_id=directive_id,
        against=against,
        office=Office.from_file(office_file) if office_file else None,
    )
    if output is None:
        if fmt == "pdf":
            err.print("error: PDF is binary; give -o FILE")
            raise typer.Exit(2)
        sys.stdout.write(data.decode())
        return
    output.write_bytes(data)
    out.print(f"wrote {output} ({len(data):,} bytes)")


@app.command("outbox")
def outbox_list(
    status: Annotated[str | None, typer.Option(help="pending, sending, sent or failed.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List notifications in the outbox (failed ones are the dead letters)."""
    items = _engine(db, extra).outbox(status=status, limit=limit)
    if as_json:
        _print_json([asdict(m) for m in items])
        return
    table = Table("id", "trạng thái", "người nhận", "mẫu", "tiêu đề", "lần gửi", "lỗi")
    for m in items:
        table.add_row(
            str(m.id),
            m.status,
            m.recipient,
            m.template,
            m.subject[:60],
            str(m.attempts),
            (m.last_error or "")[:40],
        )
    out.print(table)


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="The conclusion document (.txt UTF-8 or .docx).")],
    units: Annotated[
        Path | None, typer.Option(help="Units directory YAML (aliases, leaders).")
    ] = None,
    issued: Annotated[
        str | None, typer.Option(help="Issue date when the document lacks one.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose the directives a conclusion document issues (what, who, by when)."""
    from ..extract.document import extract as run_extract
    from ..extract.document import read_document
    from ..extract.units import UnitsDirectory

    result = run_extract(
        read_document(file),
        units=UnitsDirectory.from_file(units) if units else None,
        issued=_parse_date(issued, "issued"),
    )
    if as_json:
        _print_json(result.to_json())
        return
    _print_extraction(result)


def _print_extraction(result: Any) -> None:
    h = result.header
    out.print(f"[bold]{h.title or '(no title)'}[/bold]")
    out.print(
        f"  {h.doc_type or '?'} {h.number or ''}/{h.symbol or ''} · {h.issuer or '?'} · {h.place or ''} {h.date or h.date_text or ''}"
    )
    for w in h.warnings:
        out.print(f"  [yellow]! {w}[/yellow]")
    table = Table("#", "nhiệm vụ", "đơn vị / người", "hạn", "tin cậy", "cần xem")
    for i, d in enumerate(result.drafts):
        who = " / ".join(x for x in (d.unit, d.assignee, d.concerns) if x) or "—"
        due = (
            d.due.strftime("%d/%m/%Y")
            if d.due
            else ("từ " + d.start.strftime("%d/%m/%Y") if d.start else "—")
        )
        table.add_row(str(i), d.text[:90], who, due, f"{d.confidence:.2f}", "; ".join(d.flags)[:60])
    out.print(table)


@app.command("import")
def import_document(
    file: Annotated[Path, typer.Argument(help="The conclusion document (.txt or .docx).")],
    workflow: Annotated[str, typer.Option(help="Workflow of the created directives.")],
    who: AsOpt,
    units: Annotated[Path | None, typer.Option(help="Units directory YAML.")] = None,
    issued: Annotated[
        str | None, typer.Option(help="Issue date when the document lacks one.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Accept every draft without asking.")] = False,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
) -> None:
    """Extract, confirm each draft (or --yes), and create them under one parent directive."""
    from ..extract.document import extract as run_extract
    from ..extract.document import read_document
    from ..extract.units import UnitsDirectory

    engine = _engine(db, extra)
    engine.workflows.get(workflow)  # a typo fails before anything is read
    result = run_extract(
        read_document(file),
        units=UnitsDirectory.from_file(units) if units else None,
        issued=_parse_date(issued, "issued"),
    )
    _print_extraction(result)
    if yes:
        accept = list(range(len(result.drafts)))
    elif not sys.stdin.isatty():
        err.print("error: not a terminal: confirm the drafts interactively, or pass --yes")
        raise typer.Exit(2)
    else:
        accept = [
            i
            for i, d in enumerate(result.drafts)
            if typer.confirm(f"Tạo nhiệm vụ #{i}: {d.text[:70]}?", default=d.confidence >= 0.6)
        ]
    parent, children = engine.import_drafts(
        _actor(who, roles, unit), result, workflow, accept=accept
    )
    out.print(
        f"created directive {parent.id} for the document and {len(children)} directive(s) under it"
    )


@app.command()
def demo(
    db: Annotated[
        str | None, typer.Option("--db", help="Keep the result in this (empty) database.")
    ] = None,
) -> None:
    """Seed 000's conclusion run by the real scheduler on a fake clock, 18/03 → 15/07/2024."""
    from .demo import run_demo

    run_demo(db, out)


@app.command()
def worker(
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    once: Annotated[
        bool, typer.Option("--once", help="Fire everything due now (catch up), then exit.")
    ] = False,
    interval: Annotated[float, typer.Option(help="Safety wake-up interval in seconds.")] = 30.0,
    directory: Annotated[
        Path | None, typer.Option(help="People/units directory YAML (for recipients).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Worker name in logs and audit.")] = None,
    smtp_host: Annotated[
        str | None,
        typer.Option(envvar="DONDOC_SMTP_HOST", help="Deliver e-mail through this SMTP server."),
    ] = None,
    smtp_port: Annotated[int, typer.Option(envvar="DONDOC_SMTP_PORT")] = 25,
    smtp_from: Annotated[str, typer.Option(envvar="DONDOC_SMTP_FROM")] = "dondoc@localhost",
    smtp_starttls: Annotated[bool, typer.Option(envvar="DONDOC_SMTP_STARTTLS")] = False,
    smtp_user: Annotated[str | None, typer.Option(envvar="DONDOC_SMTP_USER")] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            envvar="DONDOC_WEBHOOK_URL", help="Default webhook for recipients without one."
        ),
    ] = None,
    outbox_file: Annotated[
        Path | None,
        typer.Option(
            envvar="DONDOC_OUTBOX_FILE",
            help="Fallback sink: append messages as JSON lines (default: the log).",
        ),
    ] = None,
    no_delivery: Annotated[
        bool,
        typer.Option("--no-delivery", help="Fire timers only; leave the outbox to another worker."),
    ] = False,
) -> None:
    """Run the scheduler: fire due timers, create recurring directives, deliver the outbox.

    Secrets come from the environment: DONDOC_SMTP_PASSWORD, DONDOC_WEBHOOK_SECRET.
    """
    import logging

    from ..core.directory import SimpleDirectory
    from ..delivery.outbox import Deliverer, FileSink, Router, SmtpSink, WebhookSink
    from ..worker import Worker, retry_while_unavailable

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    workflows = _registry(extra)
    # Started while the database restarts (or its connection is cut): wait for it, as the
    # sweeps do, instead of dying.
    engine = retry_while_unavailable(
        lambda: Engine(
            db,
            workflows=workflows,
            directory=SimpleDirectory.from_file(directory) if directory else None,
        )
    )
    if not no_delivery:
        router = Router(
            fallback=_LogSink() if outbox_file is None else FileSink(outbox_file),
            email=SmtpSink(
                smtp_host,
                smtp_port,
                smtp_from,
                starttls=smtp_starttls,
                username=smtp_user,
                password=os.environ.get("DONDOC_SMTP_PASSWORD"),
            )
            if smtp_host
            else None,
            webhook=WebhookSink(webhook_url, os.environ.get("DONDOC_WEBHOOK_SECRET", "")),
        )
    w = Worker(engine, name=name, interval=interval)
    if not no_delivery:
        w.deliverer = Deliverer(engine, router, worker=w.name)
    if once:
        report = w.run_pending()
        logging.getLogger("dondoc.worker").info(
            "caught up: %d timer(s) fired, %d recurring directive(s) created, %d error(s)",
            len(report.fired),
            len(report.created),
            len(report.errors),
        )
        return
    w.serve()


class _LogSink:
    """Fallback sink for the embedded default: a message is delivered to the worker's log."""

    name = "log"

    def send(self, message: Any, to: Any) -> None:
        import logging

        logging.getLogger("dondoc.delivery.outbox").info(
            "to %s <%s>: %s", to.name, to.id, message.subject
        )


def main() -> None:
    """Console-script entry point: run the app, turning dondoc errors into exit codes."""
    try:
        app()
    except errors.DondocError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(errors.exit_code(exc))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    main()
