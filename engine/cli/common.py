"""What every command group shares: the consoles, the common options and small helpers.

Commands build an :class:`Engine` with :func:`_engine`, print with ``out``/``err`` or
:func:`_print_json`, and raise :mod:`dondoc.errors`; :func:`dondoc.cli.main.main` turns those
into a message and an exit code.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .. import errors
from ..core.actors import Actor
from ..core.machine import WorkflowRegistry, load_workflows
from ..core.records import Directive
from ..service.engine import Engine

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def db_url(value: str | None) -> str | None:
    """``--db``: a database URL, or the path of an SQLite file (``office.db`` means
    ``sqlite:///office.db``); ``postgres://`` and ``postgresql://`` use psycopg 3, the driver
    of the ``postgres`` extra."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        raise typer.BadParameter("cần URL cơ sở dữ liệu hoặc đường dẫn tệp SQLite")
    scheme, sep, rest = text.partition("://")
    if not sep:
        path = Path(text).expanduser()
        if path.is_dir():
            raise typer.BadParameter(f"{text} là một thư mục; cần đường dẫn tệp SQLite")
        return f"sqlite:///{path}"
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return text


DbOpt = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="DONDOC_DB",
        callback=db_url,
        help="Cơ sở dữ liệu: đường dẫn tệp SQLite (mặc định dondoc.db) hoặc URL "
        "(sqlite:///tệp.db, postgresql+psycopg://người_dùng@máy/tên).",
    ),
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
    table = text_table("id", "tiêu đề", "trạng thái", "chủ trì", "người thực hiện", "hạn", "%")
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


def _parse_date(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise errors.PayloadError(
            field, f"cần ngày dạng YYYY-MM-DD (ví dụ 2024-07-01), nhận được {text!r}"
        ) from None


def text_table(*headers: str, title: str | None = None) -> Table:
    """A table whose cells wrap at word boundaries within the terminal's width and fold a
    word too long for its column: nothing a clerk reads (a title, a name) is cut off."""
    table = Table(title=title)
    for header in headers:
        table.add_column(header, overflow="fold")
    return table
