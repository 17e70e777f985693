"""Rendering documents and notifications from admin-editable Jinja2 templates. Pure.

Templates are authored by admins, so the environment is Jinja2's immutable sandbox (no access
to Python internals, no mutation, no file system beyond the template folders) with
``StrictUndefined`` (a misspelt variable is an error, not a blank in a letter). Templates are
looked up by id: ``reminder`` is ``reminder.txt.j2`` (plain text: subject on the first line,
then the body) and, for print, ``reminder.html.j2``. An admin folder overrides bundled
templates by file name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .clock import VN_TZ
from .errors import DondocError

TEXT_SUFFIX = ".txt.j2"
HTML_SUFFIX = ".html.j2"


class TemplateError(DondocError):
    """A template is missing, does not compile, or failed while rendering."""

    code = "validation_error"

    def __init__(self, template: str, message: str, line: int | None = None) -> None:
        self.template = template
        self.line = line
        self.reason = message
        where = f"{template}:{line}" if line else template
        super().__init__(f"{where}: {message}")


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
    from .status import Status

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
        self.env = ImmutableSandboxedEnvironment(
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
        self.env.globals.update(doc_number=doc_number)

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

    def render_html(self, template_id: str, context: Mapping[str, Any]) -> str:
        return self._render(template_id + HTML_SUFFIX, context)

    def _render(self, name: str, context: Mapping[str, Any]) -> str:
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateNotFound:
            raise TemplateError(name, "template not found") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                exc.filename or name, exc.message or "syntax error", exc.lineno
            ) from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(name, f"undefined variable: {exc.message}") from None
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateError(name, f"not allowed in a template: {exc}") from None
