"""Rendering documents and notifications from admin-editable Jinja2 templates. Pure.

Templates are authored by admins, so the environment is Jinja2's immutable sandbox (no access
to Python internals, no mutation, no file system beyond the template folders) with
``StrictUndefined`` (a misspelt variable is an error, not a blank in a letter). Templates are
looked up by id: ``reminder`` is ``reminder.txt.j2`` (plain text: subject on the first line,
then the body) and, for print, ``reminder.html.j2``. An admin folder overrides bundled
templates by file name.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..clock import VN_TZ
from ..core.records import Directive
from ..errors import Problem, TemplateError, TemplateNotFound

TEXT_SUFFIX = ".txt.j2"
HTML_SUFFIX = ".html.j2"
DOCX_SUFFIX = ".docx"

#: What one rendering may do: loop steps over ``range`` (nested loops multiply), and the size
#: of a text or list built with ``*``, ``+`` or ``**``. Templates come from admins; a document
#: needs a few hundred steps at most.
MAX_TEMPLATE_STEPS = 100_000
MAX_TEMPLATE_VALUE = 1_000_000
_steps: contextvars.ContextVar[list[int]] = contextvars.ContextVar("dondoc_template_steps")


def _budgeted_range(*args: int) -> Iterator[int]:
    """``range`` whose steps count against the rendering's budget."""
    budget = _steps.get(None)
    for i in range(*args):
        if budget is not None:
            budget[0] -= 1
            if budget[0] < 0:
                raise SecurityError(f"more than {MAX_TEMPLATE_STEPS} loop steps")
        yield i


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with bounded loops and bounded values."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        sized = (str, list, tuple)
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if (
                    isinstance(seq, sized)
                    and isinstance(n, int)
                    and len(seq) * n > MAX_TEMPLATE_VALUE
                ):
                    raise SecurityError(f"a value longer than {MAX_TEMPLATE_VALUE}")
        elif operator == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError("an exponent above 64")
        elif (
            isinstance(left, sized)
            and isinstance(right, sized)
            and len(left) + len(right) > MAX_TEMPLATE_VALUE
        ):
            raise SecurityError(f"a value longer than {MAX_TEMPLATE_VALUE}")
        return super().call_binop(context, operator, left, right)


def long_date(value: date | datetime | str | None) -> str:
    """'ngày 05 tháng 02 năm 2024', 'ngày 18 tháng 3 năm 2024'.

    Decree 30/2020, appendix I: a day below 10 and the months 1 and 2 take a leading zero
    (so "tháng 01" cannot be misread as "tháng 10"); months 3-12 are written as they are.
    """
    d = _as_date(value)
    if d is None:
        return "ngày     tháng     năm     "
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def place_date(place: str | None, value: date | datetime | str | None) -> str:
    """'Đắk Nông, ngày 18 tháng 3 năm 2024' — the place-and-date line of a document."""
    return (
        f"{place}, {long_date(value)}"
        if place
        else long_date(value)[0].upper() + long_date(value)[1:]
    )


def doc_number(number: str | int | None, kind: str, issuer_abbr: str | None = None) -> str:
    """'Số: 05/TB-STTTT'; a blank number ('Số:    /CV-STTTT') is left for the clerk to fill."""
    n = (
        ""
        if number in (None, "")
        else (f"{int(number):02d}" if str(number).isdigit() else str(number))
    )
    symbol = f"{kind}-{issuer_abbr}" if issuer_abbr else kind
    return f"Số: {n or '     '}/{symbol}"


def status_label(value: str) -> str:
    """A status or outcome code in Vietnamese ('in_progress_overdue' → 'Đang thực hiện quá hạn')."""
    from ..deadlines.status import Status

    try:
        return Status(value).label
    except ValueError:
        return value


def short_date(value: date | datetime | str | None) -> str:
    """'05/02/2024'."""
    d = _as_date(value)
    return "—" if d is None else f"{d.day:02d}/{d.month:02d}/{d.year}"


def _as_date(value: date | datetime | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _first_line(source: str, name: str) -> int:
    for i, line in enumerate(source.splitlines(), 1):
        if name in line:
            return i
    return 1


def _template_line(exc: BaseException, path: str) -> int:
    """The template line an exception was raised from (Jinja2 puts template frames in the
    traceback with the template's file name and line)."""
    line = 1
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _sample_directive() -> dict[str, Any]:
    sample: dict[str, Any] = {}
    for f in fields(Directive):
        sample[f.name] = None
    sample.update(
        id=1,
        workflow="sample",
        workflow_version=1,
        title="Nhiệm vụ mẫu",
        content="Nội dung",
        state="assigned",
        state_label="Đã giao",
        is_open=True,
        progress=0,
        cooperating_units=(),
        data={},
        version=1,
        due=date(2024, 6, 30),
        due_text="Trước ngày 01/07/2024",
        status="in_progress_on_time",
        status_label="Đang thực hiện trong hạn",
        days_late=0,
        assignee_name="Người được giao",
        assigner_name="Người giao",
        reviewer_name="Người xem xét",
        assignee_position="Chuyên viên",
        assigner_position="Giám đốc",
        reviewer_position="Phó Giám đốc",
        assignee_display="Người được giao – Chuyên viên",
        assigner_display="Người giao – Giám đốc",
        reviewer_display="Người xem xét – Phó Giám đốc",
        extended=False,
        data_labels={},
    )
    return sample


SAMPLE_PERSON = {
    "id": "p",
    "name": "Người nhận",
    "email": None,
    "webhook": None,
    "position": "Chuyên viên",
    "unit": "Phòng 1",
    "known": True,
    "display": "Người nhận – Chuyên viên",
}
SAMPLE_OFFICE: dict[str, Any] = {
    "name": "CƠ QUAN",
    "parent": None,
    "name_in_text": "Cơ quan",
    "abbreviation": "CQ",
    "place": "Hà Nội",
    "authority": None,
    "authority_lines": [],
    "signer": None,
    "signer_position": None,
    "signer_name": None,
    "archive": ("Lưu: VT",),
}
#: What notification and document templates may use (see Engine._directive_context).
SAMPLE_CONTEXT: dict[str, Any] = {
    "directive": _sample_directive(),
    "directive_issuer": "Cơ quan",
    "assignee": SAMPLE_PERSON,
    "recipient": SAMPLE_PERSON,
    "days_late": 0,
    "working_days_left": 3,
    "repeat_index": 1,
    "today": date(2024, 6, 25),
    "now": datetime(2024, 6, 25, 2, 0, tzinfo=UTC),
    "timer": {"id": "t", "label": "t"},
    # an explanation request (yêu cầu giải trình): its answer's deadline and the asker's note
    "explanation": {"answer_due": date(2024, 7, 4), "note": ""},
    "office": SAMPLE_OFFICE,
    "case": "on_time",
    "choices": {},
    "history": [],
}
_COUNTS = {
    "completed_on_time": 1,
    "completed_late": 0,
    "in_progress_on_time": 0,
    "due_soon": 0,
    "in_progress_overdue": 0,
    "no_deadline": 0,
    "cancelled": 0,
}
_SAMPLE_ITEM = {
    "id": 1,
    "kind": "directive",
    "title": "Nhiệm vụ mẫu",
    "lead_unit": "Phòng 1",
    "assignee": "p",
    "assignee_name": "Người nhận",
    "assignee_display": "Người nhận – Chuyên viên",
    "original_due": date(2024, 6, 30),
    "due": date(2024, 6, 30),
    "due_text": "Trước ngày 01/07/2024",
    "extended": False,
    "done_on": None,
    "is_open": True,
    "state_label": "Đã giao",
    "status": "in_progress_overdue",
    "status_label": "Đang thực hiện quá hạn",
    "days_late": 3,
    "period_key": "2024-06",
}
SAMPLE_REPORT_CONTEXT: dict[str, Any] = {
    **{k: SAMPLE_CONTEXT[k] for k in ("office", "today", "now", "directive_issuer")},
    "rows": [{"key": "Phòng 1", "total": 1, "counts": _COUNTS}],
    "by_person": [{"key": "Người nhận – Chuyên viên", "total": 1, "counts": _COUNTS}],
    "by_period": [{"key": "Tháng 6/2024", "total": 1, "counts": _COUNTS}],
    "totals": {"total": 1, **_COUNTS},
    "items": [_SAMPLE_ITEM],
    "overdue": [_SAMPLE_ITEM],
    "against": "current",
    "scope": None,
    "report_to": None,
    "period": {
        "key": "2024-Q2",
        "label": "quý II/2024",
        "start": date(2024, 4, 1),
        "end": date(2024, 6, 30),
        "as_of": date(2024, 6, 30),
        "cutoff_day": 1,
    },
}


def is_report(template_id: str) -> bool:
    """Templates named ``*_report`` render statistics over many directives, not one."""
    return template_id.endswith("_report")


def sample_context(template_id: str) -> dict[str, Any]:
    return SAMPLE_REPORT_CONTEXT if is_report(template_id) else SAMPLE_CONTEXT


#: Names the shared layout's child templates define with {% set %}.
LAYOUT_NAMES = {"kind_code", "summary_under_number", "forms"}


def bundled_template_dir() -> Path:
    return Path(str(resources.files("dondoc.templates")))


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class Renderer:
    """Loads templates from an optional admin folder first, then the bundled ones."""

    def __init__(self, admin_dir: str | Path | None = None) -> None:
        dirs = [str(admin_dir)] if admin_dir else []
        dirs.append(str(bundled_template_dir()))
        self.env = _BoundedSandbox(
            loader=jinja2.FileSystemLoader(dirs, encoding="utf-8"),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html", "html.j2"), default=False
            ),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(
            ngay=long_date,
            long_date=long_date,
            dmy=short_date,
            place_date=place_date,
            status_label=status_label,
        )
        self.env.globals.update(doc_number=doc_number, range=_budgeted_range)
        self.dirs = [Path(d) for d in dirs]
        # Word templates are .docx files with Jinja2 tags (docxtpl): the same sandbox, the
        # same filters, XML-escaped values.
        self.docx_env = _BoundedSandbox(undefined=jinja2.StrictUndefined, autoescape=True)
        self.docx_env.filters.update(self.env.filters)
        self.docx_env.globals.update(doc_number=doc_number, range=_budgeted_range)

    def template_ids(self) -> set[str]:
        """Ids of every text template available (bundled or admin)."""
        return {
            n[: -len(TEXT_SUFFIX)] for n in self.env.list_templates() if n.endswith(TEXT_SUFFIX)
        }

    def render_text(self, template_id: str, context: Mapping[str, Any]) -> Rendered:
        """Render ``<id>.txt.j2``: the first non-empty line is the subject, the rest the body."""
        text = self._render(template_id + TEXT_SUFFIX, context)
        lines = text.strip("\n").splitlines()
        subject = lines[0].strip() if lines else template_id
        body = "\n".join(lines[1:]).strip("\n") + "\n"
        return Rendered(subject, body)

    def check(self, template_id: str) -> list[Problem]:
        """Compile ``<id>.txt.j2`` (required) and ``<id>.html.j2`` (optional) and render them
        against a sample directive: syntax errors, unknown filters, unknown variables and
        misspelt attributes come back as problems with the template's file and line."""
        problems: list[Problem] = []
        for suffix, required in ((TEXT_SUFFIX, True), (HTML_SUFFIX, False)):
            name = template_id + suffix
            assert self.env.loader is not None
            try:
                source, filename, _ = self.env.loader.get_source(self.env, name)
            except jinja2.TemplateNotFound:
                if required:
                    problems.append(Problem(name, 1, 1, "không có mẫu văn bản này"))
                continue
            path = filename or name
            try:
                tree = self.env.parse(source, name, filename)
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                problems.append(
                    Problem(path, exc.lineno or 1, 1, f"lỗi cú pháp mẫu: {exc.message or ''}")
                )
                continue
            sample = sample_context(template_id)
            known = set(sample) | set(self.env.globals) | LAYOUT_NAMES
            for var in sorted(meta.find_undeclared_variables(tree) - known):
                problems.append(
                    Problem(path, _first_line(source, var), 1, f"không có biến {var!r}")
                )
            try:
                self.env.get_template(name).render(**sample)
            except jinja2.UndefinedError as exc:
                problems.append(
                    Problem(path, _template_line(exc, path), 1, f"chưa định nghĩa: {exc.message}")
                )
            except jinja2.exceptions.SecurityError as exc:
                problems.append(
                    Problem(path, _template_line(exc, path), 1, f"không được phép: {exc}")
                )
        try:
            docx = self.docx_template(template_id)
        except TemplateNotFound:
            return problems
        try:
            self.render_docx(template_id, sample_context(template_id))
        except TemplateError as exc:
            problems.append(Problem(str(docx), exc.line or 1, 1, exc.reason))
        return problems

    def docx_template(self, template_id: str) -> Path:
        """The Word template of ``template_id``: the admin folder's, else the bundled one."""
        name = template_id + DOCX_SUFFIX
        if "/" in template_id or "\\" in template_id or template_id.startswith("."):
            raise TemplateNotFound(name, "không có mẫu văn bản này")
        for folder in self.dirs:
            path = folder / name
            if path.is_file():
                return path
        raise TemplateNotFound(name, "không có mẫu văn bản này (mẫu Word là <id>.docx)")

    def render_docx(self, template_id: str, context: Mapping[str, Any]) -> bytes:
        """Render ``<id>.docx`` (a Word document with Jinja2 tags) to .docx bytes."""
        from .word import render_docx

        path = self.docx_template(template_id)
        name = path.name
        token = _steps.set([MAX_TEMPLATE_STEPS])  # the same budget as any rendering
        try:
            return render_docx(path, context, self.docx_env)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(name, exc.message or "lỗi cú pháp", exc.lineno) from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(name, f"biến chưa định nghĩa: {exc.message}") from None
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateError(name, f"không được phép trong mẫu: {exc}") from None
        except TemplateError:
            raise
        except Exception as exc:  # a damaged .docx, or anything a template's own code raised
            raise TemplateError(name, f"lỗi khi lập văn bản: {type(exc).__name__}: {exc}") from None
        finally:
            _steps.reset(token)

    def render_page(self, name: str, context: Mapping[str, Any]) -> str:
        """Render a template by file name (the dashboard's pages)."""
        return self._render(name, context)

    def render_html(self, template_id: str, context: Mapping[str, Any]) -> str:
        return self._render(template_id + HTML_SUFFIX, context)

    def _render(self, name: str, context: Mapping[str, Any]) -> str:
        token = _steps.set([MAX_TEMPLATE_STEPS])
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateNotFound:
            raise TemplateNotFound(name, "không có mẫu văn bản này") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                exc.filename or name, exc.message or "lỗi cú pháp", exc.lineno
            ) from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(name, f"biến chưa định nghĩa: {exc.message}") from None
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateError(name, f"không được phép trong mẫu: {exc}") from None
        except Exception as exc:  # anything else a template's own code raised
            raise TemplateError(name, f"lỗi khi lập văn bản: {type(exc).__name__}: {exc}") from None
        finally:
            _steps.reset(token)
