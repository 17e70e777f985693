"""What every command group shares: the consoles, the common options and small helpers.

Commands build an :class:`Engine` with :func:`_engine`, print with ``out``/``err`` or
:func:`_print_json`, and raise :mod:`dondoc.errors`; :func:`dondoc.cli.main.main` turns those
into a message and an exit code.
"""

from __future__ import annotations

import getpass
import json
import os
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
from ..deadlines.status import lateness
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
        help="Thư mục hoặc tệp YAML quy trình của quản trị viên, thêm vào các quy trình có sẵn.",
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="In kết quả dạng JSON (cho chương trình khác đọc).")
]
AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        metavar="MÃ_ĐĂNG_NHẬP",
        help="Người thực hiện: mã đăng nhập trong danh bạ (dondoc people load); vai trò và "
        "đơn vị của người đó lấy từ danh bạ, kiểm tra quyền như API.",
    ),
]
AsAdminOpt = Annotated[
    bool,
    typer.Option(
        "--as-admin",
        help="Quản trị viên trên máy này làm thay (có quyền quản trị; nhật ký kiểm toán ghi "
        "người thực hiện là admin:<tài khoản máy>).",
    ),
]
RoleOpt = Annotated[
    list[str] | None,
    typer.Option("--role", hidden=True, help="Không dùng nữa: vai trò lấy từ danh bạ."),
]
UnitOpt = Annotated[
    str | None,
    typer.Option("--unit", hidden=True, help="Không dùng nữa: đơn vị lấy từ danh bạ."),
]
ADMIN_PREFIX = "admin:"


def _registry(extra: list[Path] | None) -> WorkflowRegistry:
    return load_workflows(*(str(p) for p in extra or []))


def _engine(db: str, extra: list[Path] | None) -> Engine:
    return Engine(db, workflows=_registry(extra))


def _actor(
    engine: Engine,
    who: str | None,
    as_admin: bool = False,
    roles: list[str] | None = None,
    unit: str | None = None,
) -> Actor:
    """The person a command acts as: ``--as ID`` with the roles and unit the people directory
    kept with the database gives them (the same permission checks as the API), or ``--as-admin``,
    the local administrator (global role ``admin``), recorded as ``admin:<login>`` in the audit.
    ``--role``/``--unit`` (claiming roles) are refused with what to do instead."""
    if roles or unit:
        flag = "--role" if roles else "--unit"
        raise errors.PayloadError(
            flag,
            "không dùng nữa: vai trò và đơn vị lấy từ danh bạ người dùng (dondoc people load "
            "TỆP, khóa roles và unit); quản trị viên làm thay: --as-admin",
        )
    if as_admin:
        if who:
            raise errors.PayloadError("--as-admin", "chọn một: --as MÃ_ĐĂNG_NHẬP hoặc --as-admin")
        return local_admin()
    if not who:
        raise errors.PayloadError(
            "--as", "cần --as MÃ_ĐĂNG_NHẬP (người trong danh bạ) hoặc --as-admin"
        )
    directory = engine.stored_directory()
    info = directory.people.get(who)
    if info is None:
        raise errors.NotFound("person", who)
    return Actor(who, frozenset(info.get("roles") or ()), info.get("unit"), directory.display(who))


def local_admin() -> Actor:
    """The administrator at this machine's keyboard (``--as-admin``): the global ``admin`` role,
    recorded in every event it writes as ``admin:<login of the operating system>``."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        login = str(os.getuid()) if hasattr(os, "getuid") else "local"
    return Actor(f"{ADMIN_PREFIX}{login}", frozenset({"admin"}), None, f"Quản trị viên ({login})")


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


def _directive_table(items: list[Directive], engine: Engine) -> Table:
    """Directives as a clerk reads them: people by name and position, and how late."""
    table = text_table("id", "tiêu đề", "trạng thái", "chủ trì", "người thực hiện", "hạn", "%")
    for d in items:
        table.add_row(
            str(d.id),
            d.title,
            d.state_label,
            d.lead_unit or "—",
            engine.display(d.assignee),
            _due(d),
            str(d.progress),
        )
    return table


def _due(d: Directive) -> str:
    """'30/06/2024 (quá hạn 9 ngày)', '30/06/2024' or '—'."""
    if d.due is None:
        return "—"
    late = lateness(d.status, d.days_late)
    return f"{d.due:%d/%m/%Y}" + (f" ({late})" if late else "")


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
