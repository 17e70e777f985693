"""The deployment's people directory and office profile: ``dondoc people …``, ``dondoc office …``.

Both are kept in the database, so every later command, the worker and the server on it show
people by full name and position and print letters with the office's header and signer.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from ..core.directory import SimpleDirectory
from ..documents.office import Office
from ..service.engine import DEFAULT_DB
from .common import DbOpt, JsonOpt, WorkflowsOpt, _engine, _print_json, out, text_table

people_app = typer.Typer(help="Danh bạ người dùng lưu cùng cơ sở dữ liệu.", no_args_is_help=True)
office_app = typer.Typer(help="Hồ sơ cơ quan lưu cùng cơ sở dữ liệu.", no_args_is_help=True)


@people_app.command("load")
def people_load(
    file: Annotated[
        Path,
        typer.Argument(
            help="Tệp YAML danh bạ: people (họ tên, chức vụ, đơn vị, e-mail, vai trò), unit_heads (trưởng đơn vị)."
        ),
    ],
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
) -> None:
    """Keep this people directory with the database (replaces the one kept before)."""
    directory = SimpleDirectory.from_file(file)
    engine = _engine(db, extra)
    engine.set_directory(directory)
    unknown = sorted(
        {who for d in engine.directives() for who in (d.assignee, d.assigner, d.reviewer) if who}
        - set(directory.people)
    )
    out.print(
        f"danh bạ: {len(directory.people)} người, {len(directory.unit_heads)} đơn vị có trưởng"
    )
    if unknown:
        out.print(
            f"[yellow]cảnh báo: nhiệm vụ nêu người không có trong danh bạ: {', '.join(unknown)}[/yellow]"
        )


@people_app.command("list")
def people_list(
    db: DbOpt = DEFAULT_DB, extra: WorkflowsOpt = None, as_json: JsonOpt = False
) -> None:
    """The people directory kept with the database."""
    directory = _engine(db, extra).stored_directory()
    if as_json:
        _print_json(directory.to_mapping())
        return
    heads = {v: k for k, v in directory.unit_heads.items()}
    table = text_table("mã đăng nhập", "họ và tên", "chức vụ", "đơn vị", "e-mail", "trưởng đơn vị")
    for pid in sorted(directory.people):
        who = directory.person(pid)
        table.add_row(
            pid, who.name, who.position or "", who.unit or "", who.email or "", heads.get(pid, "")
        )
    out.print(table)


@office_app.command("load")
def office_load(
    file: Annotated[
        Path, typer.Argument(help="Tệp YAML hồ sơ cơ quan (tên, địa danh, người ký…).")
    ],
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
) -> None:
    """Keep this office profile with the database (header and signature of every document)."""
    office = Office.from_file(file)
    _engine(db, extra).set_office(office)
    out.print(f"hồ sơ cơ quan: {office.name or '(không tên)'}")


@office_app.command("show")
def office_show(db: DbOpt = DEFAULT_DB, extra: WorkflowsOpt = None) -> None:
    """The office profile kept with the database, as JSON."""
    office = _engine(db, extra).office
    _print_json({k: list(v) if isinstance(v, tuple) else v for k, v in asdict(office).items()})
