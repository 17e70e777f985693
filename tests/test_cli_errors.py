"""No traceback reaches a user (issue 17): every mistake or missing piece is one line in
Vietnamese saying what to do, with the exit code of the README's table; ``--debug`` shows the
traceback. Run in-process through typer's CliRunner (the same DondocApp.main as the console
script), plus the handler itself on exceptions a user cannot easily provoke here."""

from __future__ import annotations

import errno
import logging
import sys
from pathlib import Path

import pytest
import sqlalchemy.exc as sa_exc
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dondoc import errors
from dondoc.cli import app
from dondoc.cli.main import explain
from dondoc.core.spec import bundled_workflow_files

#: the README's table of exit codes
EXIT_CODES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 70, 130}
REMEDIATION = next(p for p in bundled_workflow_files() if p.stem == "remediation_self_assessment")


def invoke(*args: str) -> tuple[int, str, str]:
    handlers = logging.root.handlers[:]  # a long-running command points the log at its stderr
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        logging.root.handlers[:] = handlers
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


def one_line_error(code: int, stdout: str, stderr: str) -> str:
    assert "Traceback" not in stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("lỗi: "), stderr
    return lines[0]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    lines = REMEDIATION.read_text(encoding="utf-8").splitlines()
    i = next(n for n, line in enumerate(lines) if "guard:" in line)
    deep = list(lines)
    deep[i] = '    guard: "' + "(" * 1000 + "payload.x" + ")" * 1000 + '"'
    (tmp_path / "deep_guard.yaml").write_text("\n".join(deep) + "\n", encoding="utf-8")
    nested = list(lines)
    nested[i] = '    guard: "' + "not " * 450 + 'payload.x"'
    (tmp_path / "nested_guard.yaml").write_text("\n".join(nested) + "\n", encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("people: [\n", encoding="utf-8")
    (tmp_path / "year0.txt").write_text(
        "UBND TỈNH ĐẮK NÔNG\nSở Thông tin và Truyền thông\nSố: 12/TB-STTTT\n"
        "Đắk Nông, ngày 18 tháng 03 năm 0000\nTHÔNG BÁO\nKết luận\n"
        "1. Thanh tra Sở báo cáo trước ngày 01/07/0000.\n",
        encoding="utf-8",
    )
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00\x81 not text")
    return {
        "dir": str(tmp_path),
        "db": f"sqlite:///{tmp_path / 'x.db'}",
        "missing": str(tmp_path / "nope" / "missing.yaml"),
        **{p.stem: str(p) for p in tmp_path.iterdir()},
    }


# (argv with {placeholders} from `files`, exit code, a piece of the message)
CASES = [
    (["deadline", "trong 5 ngày", "--issued", "9999-12-31"], 1, "không đọc được thời hạn"),
    (["deadline", "trong 3 tháng", "--issued", "9999-12-01"], 1, "9999"),
    (["deadline", "trước ngày 01/07/2024", "--issued", "2024-13-01"], 2, "YYYY-MM-DD"),
    (["directives", "list", "--db", "{dir}/no/such/folder/x.db"], 9, "không mở được tệp"),
    (["directives", "list", "--db", "{dir}"], 2, "là một thư mục"),
    # a long-running command does not wait five minutes for an SQLite file that cannot open
    (["worker", "--once", "--db", "{dir}/no/such/folder/x.db"], 9, "không mở được tệp"),
    (["serve", "--db", "{dir}/no/such/folder/x.db"], 9, "không mở được tệp"),
    (["directives", "list", "--db", "foo://x"], 2, "sqlite:///"),
    (["directives", "list", "--db", "mysql://u@127.0.0.1/x"], 2, "SQLite hoặc PostgreSQL"),
    (
        ["directives", "list", "--db", "postgresql+psycopg://u@127.0.0.1:1/x"],
        9,
        "không kết nối được cơ sở dữ liệu",
    ),
    (["directives", "show", "999", "--db", "{db}"], 3, "không tìm thấy nhiệm vụ #999"),
    (["graph", "nope"], 3, "không tìm thấy quy trình 'nope'"),
    (["people", "load", "{broken}", "--db", "{db}"], 2, "YAML"),
    (["people", "load", "{missing}", "--db", "{db}"], 2, "missing.yaml"),
    (["office", "load", "{dir}", "--db", "{db}"], 2, "office"),
    (["extract", "{binary}"], 2, "UTF-8"),
    (["extract", "{missing}"], 2, "missing.yaml"),
    (["evaluate", "--period", "2024-Q9", "--db", "{db}"], 2, "2024-Q2"),
    (["directives", "list", "--limit", "0", "--db", "{db}"], 2, "--limit"),
    (["directives", "lisst"], 2, "không có lệnh 'lisst'"),
    (["directives", "list", "--bogus"], 2, "không có tùy chọn --bogus"),
    (["stats", "--by"], 2, "--by"),
    (["directives", "show"], 2, "thiếu"),
]


@pytest.mark.parametrize(("argv", "code", "piece"), CASES, ids=lambda v: str(v)[:60])
def test_a_mistake_is_one_vietnamese_line(
    argv: list[str], code: int, piece: str, files: dict[str, str]
) -> None:
    got, out, err = invoke(*(a.format(**files) for a in argv))
    line = one_line_error(got, out, err)
    assert got == code, line
    assert piece in line


@pytest.mark.parametrize(
    ("name", "piece"),
    [
        ("deep_guard", "dài quá 2000 ký tự"),
        ("nested_guard", "cấp; tối đa 24"),
        ("missing", "không đọc được tệp"),
        ("broken", "lỗi cú pháp YAML"),
    ],
)
def test_validate_reports_each_problem_at_its_place(
    name: str, piece: str, files: dict[str, str]
) -> None:
    code, out, err = invoke("validate", files[name])
    assert code == 1 and "Traceback" not in out + err
    assert out.startswith(f"{files[name]}:") and piece in out


def test_extract_of_a_document_dated_year_0_reads_it_without_a_date(
    files: dict[str, str],
) -> None:
    code, out, err = invoke("extract", files["year0"], "--json")
    assert code == 0 and "Traceback" not in out + err
    assert '"date": null' in out and "không có ngày 'Đắk Nông, ngày 18 tháng 03 năm 0000'" in out


@pytest.mark.parametrize(
    ("module", "argv", "extra"),
    [
        ("uvicorn", ["serve", "--db", "{db}"], "server"),
        (
            "psycopg",
            ["directives", "list", "--db", "postgresql+psycopg://u@127.0.0.1/x"],
            "postgres",
        ),
        ("psycopg", ["directives", "list", "--db", "postgres://u@127.0.0.1/x"], "postgres"),
        (
            "weasyprint",
            ["render", "progress_report", "--format", "pdf", "-o", "{dir}/r.pdf", "--db", "{db}"],
            "pdf",
        ),
    ],
)
def test_a_missing_extra_names_the_pip_command(
    module: str,
    argv: list[str],
    extra: str,
    files: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(sys.modules):
        if name == module or name.startswith(module + "."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails
    code, out, err = invoke(*(a.format(**files) for a in argv))
    line = one_line_error(code, out, err)
    assert code == 8
    assert f"pip install 'dondoc[{extra}]'" in line


def test_debug_shows_the_traceback() -> None:
    argv = ["deadline", "trong 5 ngày", "--issued", "9999-12-31"]
    result = CliRunner().invoke(app, ["--debug", *argv])
    assert isinstance(result.exception, errors.DeadlineError)
    result = CliRunner().invoke(app, [*argv, "--debug"])  # anywhere on the line
    assert isinstance(result.exception, errors.DeadlineError)


def test_version_and_debug_in_help() -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and out.startswith("dondoc ")
    code, out, _ = invoke("--help")
    assert "--debug" in out and "--version" in out


@pytest.mark.parametrize(
    ("exc", "code", "piece"),
    [
        (PermissionError(errno.EACCES, "Permission denied", "/srv/x.db"), 4, "/srv/x.db"),
        (FileNotFoundError(errno.ENOENT, "No such file", "a.yaml"), 3, "a.yaml"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "/tmp"), 2, "thư mục"),
        (OSError(errno.ENOSPC, "No space left on device"), 9, "hết chỗ trên đĩa"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), 9, "kết nối"),
        (RecursionError("maximum recursion depth exceeded"), 2, "lồng nhau quá sâu"),
        (OverflowError("date value out of range"), 2, "31/12/9999"),
        (ValueError("year 0 is out of range"), 2, "01/01/0001"),
        (MemoryError(), 9, "bộ nhớ"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), 2, "UTF-8"),
        (yaml.YAMLError("bad"), 1, "YAML"),
        (ModuleNotFoundError("No module named 'fastapi'", name="fastapi"), 8, "dondoc[server]"),
        (ModuleNotFoundError("No module named 'psycopg2'", name="psycopg2"), 8, "[postgres]"),
        (ModuleNotFoundError("No module named 'rich'", name="rich"), 8, "pip install rich"),
        (sa_exc.ArgumentError("Could not parse SQLAlchemy URL from given URL string"), 2, "--db"),
        (
            sa_exc.OperationalError("SELECT 1", {}, Exception("database is locked")),
            9,
            "database is locked",
        ),
        (errors.ConflictError(7), 6, "#7"),
        (errors.SchemaError("no schema"), 7, "dondoc db upgrade"),
        (errors.MissingExtra("pdf", "WeasyPrint", system="libpango-1.0-0"), 8, "libpango"),
        (KeyError("boom"), 70, "--debug"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_every_kind_of_failure_has_its_line(exc: BaseException, code: int, piece: str) -> None:
    message, got = explain(exc)
    assert got == code and got in EXIT_CODES
    assert piece in message and "\n" not in message


COMMANDS = [
    ["directives", "list"],
    ["directives", "show"],
    ["directives", "fire"],
    ["directives", "create"],
    ["directives", "queue"],
    ["directives", "explain", "list"],
    ["stats"],
    ["deadline"],
    ["graph"],
    ["validate"],
    ["outbox"],
    ["render"],
    ["people", "list"],
    ["evaluate"],
    ["audit", "verify"],
    ["db", "current"],
    ["instances", "migrate"],
]
WORDS = [
    "--as",
    "--db",
    "--limit",
    "--page",
    "--issued",
    "--due",
    "--by",
    "--period",
    "--format",
    "--directive",
    "--json",
    "-d",
    "--payload",
    "--from",
    "--to",
    "1",
    "0",
    "-5",
    "999999999999999999999",
    "9999-12-31",
    "0000-01-01",
    "2024-02-30",
    "trong 5 ngày",
    "remediation_self_assessment",
    "{",
    "x=",
    "=",
    "",
    " ",
    "🙂",
    "..",
    "/",
    "postgresql://",
    "sqlite://",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(command=st.sampled_from(COMMANDS), words=st.lists(st.sampled_from(WORDS), max_size=6))
def test_random_command_lines_never_show_a_traceback(
    command: list[str], words: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # what a command writes stays there
    db = f"sqlite:///{tmp_path / 'fuzz.db'}"
    code, out, err = invoke(*command, *words, *([] if "--db" in words else ["--db", db]))
    assert code in EXIT_CODES
    assert "Traceback" not in out + err
    if code not in (0, 1):  # 1 may list problems, one per line (validate, audit verify)
        assert len(err.strip().splitlines()) <= 1, err
