"""Workflow definitions: ``validate``, ``schema``, ``graph`` and ``workflows list``.

Top-level commands are plain functions here; :mod:`.main` registers them on ``app``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .. import errors
from ..core.graph import to_dot, to_mermaid
from ..core.spec import bundled_workflow_files, json_schema, load_workflow_files
from ..service.base import DEFAULT_DB
from .common import (
    AsAdminOpt,
    AsOpt,
    DbOpt,
    JsonOpt,
    WorkflowsOpt,
    _actor,
    _print_json,
    _registry,
    db_url,
    err,
    out,
    text_table,
)

workflows_app = typer.Typer(help="Các quy trình đã nạp.", no_args_is_help=True)


def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Tệp hoặc thư mục quy trình (mặc định: các quy trình có sẵn)."),
    ] = None,
    templates_dir: Annotated[
        Path | None,
        typer.Option(
            "--templates", envvar="DONDOC_TEMPLATES", help="Thư mục mẫu văn bản của quản trị viên."
        ),
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            help="Tệp YAML danh bạ: cảnh báo người mà quy trình nêu tên nhưng danh bạ không có."
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            callback=db_url,
            help="Đối chiếu người mà quy trình nêu tên với danh bạ lưu trong cơ sở dữ liệu này.",
        ),
    ] = None,
) -> None:
    """Check workflow files and the templates their timers use; one `path:line:column: message`
    line per problem. With a people directory (--directory, or the one kept in --db), a person
    a workflow names who is not in it is flagged (a warning: the definition stays valid)."""
    from ..core.directory import SimpleDirectory
    from ..documents.render import Renderer

    files = list(paths) if paths else bundled_workflow_files()
    renderer = Renderer(templates_dir)
    problems: list[errors.Problem] = []
    loaded = []
    # moves may name a bundled workflow (e.g. delegate to specialist_task)
    known = (
        []
        if not paths
        else [lw.spec.workflow for lw in load_workflow_files(bundled_workflow_files())]
    )
    try:
        loaded = load_workflow_files(
            files, templates=renderer.template_ids(), known_workflows=known
        )
    except errors.WorkflowError as exc:
        problems.extend(exc.problems)
    used = sorted(
        {n.template for lw in loaded for t in lw.spec.timers for n in t.notify}
        | {
            name
            for lw in loaded
            if (x := lw.spec.moves.explain) is not None
            for name in (x.template, x.escalate_template)
        }
    )
    for template_id in used:
        problems.extend(renderer.check(template_id))
    if problems:
        for p in sorted(set(problems)):
            sys.stdout.write(f"{p}\n")
        err.print(f"{len(set(problems))} lỗi")
        raise typer.Exit(1)
    for lw in loaded:
        out.print(f"đạt  {lw.path}  ({lw.spec.workflow} phiên bản {lw.spec.version})", markup=False)
    if used:
        out.print(f"đạt  mẫu văn bản: {', '.join(used)}", markup=False)
    people: SimpleDirectory | None = None
    if directory is not None:
        people = SimpleDirectory.from_file(directory)
    elif db is not None:
        from ..service.engine import Engine

        people = Engine(db, workflows=_registry(None), create=False).stored_directory()
    if people is not None:
        for lw in loaded:
            named = [n.person for t in lw.spec.timers for n in t.notify if n.person]
            for who in people.unknown(named):
                err.print(
                    f"{lw.path}: cảnh báo: {who!r} (timers.notify.person) không có trong danh bạ",
                    markup=False,
                )


def schema() -> None:
    """Print the JSON Schema of workflow files (for editors)."""
    _print_json(json_schema())


def graph(
    workflow: Annotated[str, typer.Argument(help="Mã quy trình (xem: dondoc workflows list).")],
    fmt: Annotated[
        str, typer.Option("--format", help="Dạng sơ đồ: mermaid hoặc dot (Graphviz).")
    ] = "mermaid",
    version: Annotated[int | None, typer.Option(help="Phiên bản (mặc định: mới nhất).")] = None,
    extra: WorkflowsOpt = None,
) -> None:
    """Print the state diagram of a workflow (Mermaid, or Graphviz DOT)."""
    if fmt not in ("mermaid", "dot"):
        err.print(f"không có định dạng {fmt!r}; dùng mermaid hoặc dot")
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
    table = text_table("quy trình", "phiên bản", "tên")
    for r in rows:
        table.add_row(str(r["workflow"]), str(r["version"]), str(r["title"]))
    out.print(table)


@workflows_app.command("publish")
def publish(
    path: Annotated[Path, typer.Argument(help="Tệp YAML quy trình cần công bố.")],
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Publish a workflow definition as a new version kept in the database: checked as by
    `validate`; every engine on the database (server, worker, commands) loads it from then on;
    new directives take it, running ones keep their version."""
    from ..service.engine import Engine

    engine = Engine(db)
    actor = _actor(engine, who, as_admin)  # an administrator of the directory, or --as-admin
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"{path}: không đọc được tệp ({exc})", markup=False)
        raise typer.Exit(2) from None
    done = engine.publish_workflow(actor, text, path=str(path))
    out.print(f"đã công bố {done.workflow} phiên bản {done.version} ({done.title})", markup=False)
