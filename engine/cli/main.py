"""The ``dondoc`` app: the command groups assembled, the one error handler, and :func:`main`.

No business logic lives in the CLI. Whatever a command raises comes to :class:`DondocApp`, which
prints one line in Vietnamese saying what is wrong and what to do, and exits with the code of the
README's table (:func:`explain`); nothing a user can type produces a traceback. ``--debug``
(anywhere on the line, or ``DONDOC_DEBUG=1``) shows the traceback instead. Commands are
registered in the order ``dondoc --help`` lists them.
"""

from __future__ import annotations

import errno
import importlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import PurePath
from typing import Annotated, Any, get_args, get_origin

import typer
import typer.core
from typer.core import TyperGroup

from .. import errors
from .admin import audit_app, db_app, token_app
from .common import err
from .directives import deadline, directives_app, stats
from .documents import extract, import_document, outbox_list, render
from .evaluate import evaluate
from .helptext import COMMAND_HELP
from .instances import instances_app
from .moves import register as register_moves
from .ops import register as register_ops
from .people import office_app, people_app
from .reports import reports_app
from .run import demo, serve, worker
from .workflows import graph, schema, validate, workflows_app

#: Exit codes beyond :data:`dondoc.errors.EXIT_CODES` (see the README's table).
USAGE, NOT_FOUND, DENIED, MISSING_PART, UNAVAILABLE, INTERNAL, INTERRUPTED = 2, 3, 4, 8, 9, 70, 130

# typer ≥ 0.22 carries its own copy of click (typer._click); older ones use click itself
_CLICK: Any = getattr(typer.core, "_click", None) or importlib.import_module("click")
CLICK_ERRORS: Any = _CLICK.exceptions
NO_ARGS_HELP: Any = getattr(CLICK_ERRORS, "NoArgsIsHelpError", ())

#: Which extra of pyproject brings a module a command imports on demand.
EXTRA_OF = {
    "uvicorn": "server",
    "fastapi": "server",
    "starlette": "server",
    "multipart": "server",
    "python_multipart": "server",
    "weasyprint": "pdf",
    "psycopg": "postgres",
    "psycopg2": "postgres",
    "psycopg_binary": "postgres",
}
DB_URL_FORMS = (
    "dùng --db đường/dẫn/tệp.db (SQLite), sqlite:///đường/dẫn/tệp.db hoặc "
    "postgresql+psycopg://người_dùng@máy:5432/tên_csdl"
)
HINTS = {
    "person": " trong danh bạ người dùng (nạp danh bạ: dondoc people load TỆP; quản trị viên "
    "làm thay: --as-admin)",
    "directive": " (xem: dondoc directives list)",
    "workflow": " (xem: dondoc workflows list)",
}


def explain(exc: BaseException) -> tuple[str, int]:
    """What to tell the user about ``exc`` (Vietnamese, saying what to do) and the exit code.

    Every kind of failure has its line: dondoc's own errors, a missing optional part, the
    database, files, dates out of range, input nested too deep; anything else is a bug of
    dondoc and says so (exit 70), pointing at ``--debug``.
    """
    if isinstance(exc, errors.DondocError):
        return _dondoc_message(exc), errors.exit_code(exc)
    if isinstance(exc, ImportError):
        return _missing(exc)
    db = _database_message(exc)
    if db is not None:
        return db
    if isinstance(exc, OSError):
        return _os_message(exc)
    if isinstance(exc, UnicodeError):
        return "tệp không phải văn bản UTF-8: lưu lại tệp dưới dạng UTF-8 rồi chạy lại", USAGE
    yaml_problem = _yaml_message(exc)
    if yaml_problem is not None:
        return yaml_problem, 1
    if isinstance(exc, RecursionError):
        return (
            "dữ liệu lồng nhau quá sâu (ngoặc, danh sách hoặc mục lồng trong nhau): "
            "giảm số tầng lồng rồi chạy lại",
            USAGE,
        )
    if isinstance(exc, OverflowError) or (
        isinstance(exc, ValueError) and "out of range" in str(exc)
    ):
        return (
            "ngày tháng nằm ngoài phạm vi tính được (01/01/0001 – 31/12/9999): "
            "kiểm tra các ngày đã nhập",
            USAGE,
        )
    if isinstance(exc, MemoryError):
        return "không đủ bộ nhớ cho yêu cầu này (tệp hoặc dữ liệu quá lớn)", UNAVAILABLE
    return (
        f"lỗi nội bộ của dondoc ({type(exc).__name__}: {_first_line(exc)}); chạy lại với "
        "--debug để xem chi tiết và gửi cho người phát triển",
        INTERNAL,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _dondoc_message(exc: errors.DondocError) -> str:
    """dondoc's own errors, in Vietnamese, from the facts each carries."""
    from ..core.permissions import SeparationOfDuties

    if isinstance(exc, errors.WorkflowError | errors.MigrationPlanError):
        return str(exc)  # one line per problem, each with its place
    if isinstance(exc, errors.MissingExtra):
        also = f" và gói hệ thống {exc.system}" if exc.system else ""
        return f"thiếu {exc.module}: cài thêm: pip install 'dondoc[{exc.extra}]'{also}"
    if isinstance(exc, errors.NotFound):
        noun = errors.NOUNS.get(exc.kind, exc.kind)
        key = f"#{exc.key}" if isinstance(exc.key, int) else repr(exc.key)
        return f"không tìm thấy {noun} {key}{HINTS.get(exc.kind, '')}"
    if isinstance(exc, SeparationOfDuties):
        return (
            f"{exc.actor} không được thực hiện '{exc.trigger}': không ai tự quyết định yêu cầu "
            f"của chính mình (bị loại trừ: {exc.excluded})"
        )
    if isinstance(exc, errors.PermissionDenied):
        need = ", ".join(exc.required) or "(không ai)"
        have = ", ".join(exc.held) or "không có vai trò nào"
        return (
            f"{exc.actor} không có quyền '{exc.trigger}': cần một trong [{need}], đang có: {have}"
        )
    if isinstance(exc, errors.InvalidTransition):
        if exc.reason is not None:
            return f"không thực hiện được '{exc.trigger}': {exc.reason}"
        ok = ", ".join(exc.allowed) or "không lệnh nào (nhiệm vụ đã đóng)"
        return (
            f"không thực hiện được '{exc.trigger}' ở trạng thái '{exc.state}'; "
            f"các lệnh được phép lúc này: {ok}"
        )
    if isinstance(exc, errors.ConflictError):
        return f"nhiệm vụ #{exc.directive_id} vừa được người khác thay đổi: tải lại rồi thử lại"
    if isinstance(exc, errors.PayloadError):
        return str(exc).replace("payload field", "trường", 1)
    if isinstance(exc, errors.SchemaError):
        return (
            f"cơ sở dữ liệu chưa đúng phiên bản của dondoc: chạy dondoc db upgrade --db URL ({exc})"
        )
    return str(exc)


def _missing(exc: ImportError) -> tuple[str, int]:
    name = (exc.name or "").split(".")[0]
    extra = EXTRA_OF.get(name)
    if extra is not None:
        return f"thiếu thư viện {name}: cài thêm: pip install 'dondoc[{extra}]'", MISSING_PART
    if name in ("MySQLdb", "pymysql", "mysqlclient", "cx_Oracle", "oracledb", "pyodbc"):
        return f"dondoc chạy trên SQLite hoặc PostgreSQL: {DB_URL_FORMS}", USAGE
    what = name or _first_line(exc)
    return (
        f"thiếu thư viện Python {what}: cài lại dondoc (pip install dondoc) hoặc pip install {what}",
        MISSING_PART,
    )


def _database_message(exc: BaseException) -> tuple[str, int] | None:
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.NoSuchModuleError) or (
        isinstance(exc, sa_exc.ArgumentError) and "URL" in str(exc)
    ):
        return f"--db không phải URL cơ sở dữ liệu mà dondoc hiểu: {DB_URL_FORMS}", USAGE
    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    detail = _first_line(exc.orig) if exc.orig is not None else _first_line(exc)
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        if "unable to open database file" in detail:
            return (
                "không mở được tệp cơ sở dữ liệu: thư mục chứa nó chưa có hoặc không có quyền "
                "ghi (kiểm tra --db)",
                UNAVAILABLE,
            )
        if "readonly database" in detail or "read-only" in detail:
            return "cơ sở dữ liệu chỉ cho đọc: cần quyền ghi vào tệp (kiểm tra --db)", DENIED
        return (
            f"không kết nối được cơ sở dữ liệu ({detail}): kiểm tra máy chủ đang chạy, "
            "mật khẩu và URL --db",
            UNAVAILABLE,
        )
    return f"cơ sở dữ liệu từ chối lệnh ({detail})", UNAVAILABLE


def _os_message(exc: OSError) -> tuple[str, int]:
    where = f" {exc.filename}" if exc.filename is not None else ""
    if isinstance(exc, FileNotFoundError):
        return f"không tìm thấy tệp hoặc thư mục{where}: kiểm tra đường dẫn", NOT_FOUND
    if isinstance(exc, PermissionError):
        return f"không có quyền đọc/ghi{where}: kiểm tra quyền truy cập tệp", DENIED
    if isinstance(exc, IsADirectoryError):
        return f"{where.strip()} là một thư mục: cần đường dẫn tới một tệp", USAGE
    if isinstance(exc, NotADirectoryError):
        return f"đường dẫn{where} đi qua một tệp như thể nó là thư mục", USAGE
    if exc.errno == errno.ENOSPC:
        return "hết chỗ trên đĩa: giải phóng dung lượng rồi chạy lại", UNAVAILABLE
    if isinstance(exc, ConnectionError | TimeoutError):
        return f"không kết nối được ({exc.strerror or _first_line(exc)})", UNAVAILABLE
    return f"lỗi hệ thống{where}: {exc.strerror or _first_line(exc)}", UNAVAILABLE


def _yaml_message(exc: BaseException) -> str | None:
    import yaml

    if not isinstance(exc, yaml.YAMLError):
        return None
    mark = getattr(exc, "problem_mark", None)
    where = f" (dòng {mark.line + 1}, cột {mark.column + 1})" if mark is not None else ""
    problem = getattr(exc, "problem", None) or _first_line(exc)
    return f"YAML không hợp lệ{where}: {problem}"


USAGE_TEXTS = (
    (r"No such command '(.*)'\. Did you mean '(.*)'\?", r"không có lệnh '\1' (có phải '\2'?)"),
    (r"No such command '(.*)'\.", r"không có lệnh '\1'"),
    (r"Got unexpected extra arguments?(?:\(s\))? \((.*)\)", r"thừa tham số: \1"),
    (r"Option '(.*)' requires an argument\.", r"tùy chọn \1 cần một giá trị"),
    (r"Option '(.*)' does not take a value\.", r"tùy chọn \1 không nhận giá trị"),
)


def usage_message(exc: Any) -> str:
    """A mistake on the command line (unknown option, missing argument, bad value)."""
    ctx = getattr(exc, "ctx", None)
    see = f" — xem: {ctx.command_path} --help" if ctx is not None else ""
    if isinstance(exc, CLICK_ERRORS.NoSuchOption):
        maybe = f" (có phải {', '.join(exc.possibilities)}?)" if exc.possibilities else ""
        return f"không có tùy chọn {exc.option_name}{maybe}{see}"
    if isinstance(exc, CLICK_ERRORS.MissingParameter):
        return f"thiếu {_param_hint(exc)}{see}"
    if isinstance(exc, CLICK_ERRORS.BadParameter):
        return f"giá trị không hợp lệ cho {_param_hint(exc)}: {exc.message}{see}"
    message = exc.format_message()
    for pattern, vietnamese in USAGE_TEXTS:
        if (m := re.match(pattern, message)) is not None:
            return m.expand(vietnamese) + see
    return f"{message}{see}"


def _param_hint(exc: Any) -> str:
    if exc.param_hint is not None:
        hint = exc.param_hint
        return (
            " / ".join(hint) if isinstance(hint, Sequence) and not isinstance(hint, str) else hint
        )
    if exc.param is not None:
        return " / ".join(exc.param.opts) if exc.param.opts else (exc.param.name or "")
    return "tham số"


def say(message: str) -> None:
    for line in message.splitlines() or [""]:
        err.print(f"lỗi: {line}", markup=False, soft_wrap=True)


METAVARS = {
    "str": "VĂN_BẢN",
    "text": "VĂN_BẢN",
    "int": "SỐ",
    "integer": "SỐ",
    "float": "SỐ",
    "path": "ĐƯỜNG_DẪN",
    "datetime": "NGÀY",
}


def polish_help(command: Any, path: str = "") -> None:
    """Help as a clerk reads it: each command's help in Vietnamese (:data:`COMMAND_HELP`), no
    type on a plain flag (``--json``, not ``--json <bool>``), a Vietnamese word for the value of
    every other option, the help option in Vietnamese."""
    if path in COMMAND_HELP:
        command.help = COMMAND_HELP[path]
        command.short_help = None
    for param in command.params:
        if not getattr(param, "opts", None) or param.metavar is not None:
            continue
        word = METAVARS.get(_type_name(param))
        if not any(o.startswith("-") for o in param.opts):  # an argument: keep its name
            if word is not None and hasattr(param, "display_type_rich"):  # typer ≥ 0.22
                many = "..." if param.nargs != 1 else ""
                param.display_type_rich = lambda ctx, shown=word + many: shown
        elif getattr(param, "is_flag", False):
            param.metavar = ""
        elif word is not None:
            param.metavar = word
    help_option = command.get_help_option(_CLICK.Context(command))
    if help_option is not None:
        help_option.metavar = ""
        help_option.help = "Xem hướng dẫn này rồi thoát."
    for name, sub in getattr(command, "commands", {}).items():
        polish_help(sub, f"{path} {name}".strip())


def _type_name(param: Any) -> str:
    descriptor = getattr(param, "type_descriptor", None)  # typer ≥ 0.22
    if descriptor is None:
        return str(getattr(getattr(param, "type", None), "name", "")).split()[0].lower()
    annotation = descriptor.annotation
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return "path"
    return str(getattr(annotation, "__name__", "")).lower()


class DondocApp(TyperGroup):
    """The top-level group: runs a command, and turns whatever it raises into one message and
    the exit code of the README's table (see :func:`explain`)."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        end = argv.index("--") if "--" in argv else len(argv)
        debug = "--debug" in argv[:end] or os.environ.get("DONDOC_DEBUG", "") not in ("", "0")
        argv = [a for i, a in enumerate(argv) if a != "--debug" or i >= end]
        polish_help(self)
        try:
            rv = super().main(
                argv, prog_name or "dondoc", complete_var, standalone_mode=False, **extra
            )
            code = rv if isinstance(rv, int) else 0
        except NO_ARGS_HELP:  # click ≥ 8.2: the help was shown
            code = 0
        except CLICK_ERRORS.ClickException as exc:
            say(usage_message(exc))
            code = exc.exit_code
        except typer.Abort:
            say("đã dừng")
            code = INTERRUPTED
        except Exception as exc:
            if debug:
                raise
            message, code = explain(exc)
            say(message)
        if standalone_mode:
            sys.exit(code)
        return code


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("dondoc")
        except PackageNotFoundError:  # pragma: no cover - run from a source tree
            number = "(chưa cài đặt)"
        sys.stdout.write(f"dondoc {number}\n")
        raise typer.Exit()


app = typer.Typer(
    cls=DondocApp,
    help="dondoc — theo dõi, đôn đốc nhiệm vụ: quy trình theo dõi việc thực hiện các nhiệm vụ "
    "được giao trong thông báo kết luận, kết luận thanh tra.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Khi có lỗi, in toàn bộ traceback (cho người phát triển)."),
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="In phiên bản dondoc rồi thoát."
        ),
    ] = False,
) -> None:
    """Chạy ``dondoc LỆNH --help`` để xem cách dùng từng lệnh."""
    # --debug is read by DondocApp.main (anywhere on the line), --version by _version


app.command()(validate)
app.command()(schema)
app.command()(graph)
app.command()(deadline)
app.command()(stats)
app.command()(serve)
app.command()(render)
app.command("outbox")(outbox_list)
app.command()(extract)
app.command("import")(import_document)
app.command()(evaluate)
app.command()(demo)
app.command()(worker)
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")
register_moves(directives_app)
app.add_typer(directives_app, name="directives")
app.add_typer(audit_app, name="audit")
app.add_typer(workflows_app, name="workflows")
app.add_typer(people_app, name="people")
app.add_typer(office_app, name="office")
app.add_typer(instances_app, name="instances")
app.add_typer(reports_app, name="reports")
register_ops(app, db_app)


def main() -> None:
    """Console-script entry point (errors are handled by :class:`DondocApp`)."""
    app()


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    main()
