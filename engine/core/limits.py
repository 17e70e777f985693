"""Every input's bounds, in one place (docs/security.md lists them). Pure constants.

dondoc reads text written by people it does not fully trust — administrators' workflow files,
guards and templates; clerks' documents and payloads; HTTP bodies — so each is bounded in size,
depth, time and memory before anything is built from it. The numbers leave a wide margin over
real inputs (the bundled workflows are ~6 KB with depth 6; a long conclusion document ~100 KB).
"""

from __future__ import annotations

#: A workflow file (bytes of UTF-8).
MAX_YAML_BYTES = 512 * 1024
#: Nesting depth of a workflow file (mappings and lists).
MAX_YAML_DEPTH = 32
#: Aliases (``*name``) in a workflow file.
MAX_YAML_ALIASES = 64
#: Values a workflow file expands to, aliases and merge keys (``<<``) counted every time used:
#: a 500-byte "billion laughs" document would otherwise expand to gigabytes.
MAX_YAML_NODES = 20_000

#: A guard expression: characters, and nesting depth of its syntax tree.
MAX_GUARD_CHARS = 2_000
MAX_GUARD_DEPTH = 24

#: A document's text for extraction (characters).
MAX_DOCUMENT_CHARS = 400_000
#: An HTTP request body (bytes); beyond it the server answers 413.
MAX_BODY_BYTES = 2 * 1024 * 1024

#: Dates people and documents may carry (a due date in year 1 or 9999 is a typo, and the
#: working-day arithmetic around it would overflow).
MIN_YEAR = 1900
MAX_YEAR = 2199
#: Text fields of a directive and its payload (the columns' sizes; text without a column size).
MAX_TITLE_CHARS = 500
MAX_NAME_CHARS = 200  #: people, units (assignee, lead unit, …)
MAX_TEXT_CHARS = 100_000  #: content, payload text without its own max_length
MAX_PHRASE_CHARS = 1_000  #: a deadline phrase


def text_problem(value: str, max_chars: int) -> str | None:
    """Why ``value`` cannot be stored (too long, or a NUL character PostgreSQL refuses)."""
    if "\x00" in value:
        return "không được chứa ký tự NUL"
    if len(value) > max_chars:
        return f"dài {len(value)} ký tự; tối đa {max_chars}"
    return None


def year_problem(year: int) -> str | None:
    """Why a date in ``year`` is refused."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return f"năm {year} nằm ngoài khoảng cho phép ({MIN_YEAR}-{MAX_YEAR})"
    return None
