"""The one error hierarchy of dondoc.

Messages are written for the clerk or administrator who caused them (Vietnamese); the facts
stay in English-named attributes for programs.

Every error a user can cause (a bad workflow file, a deadline phrase we cannot read, a trigger
fired by the wrong person…) is a subclass of :class:`DondocError`. Each keeps the facts it is
about as attributes and builds its message from them, so adapters (CLI, HTTP) can map them to
exit codes and statuses in one place (see :data:`EXIT_CODES` and :data:`HTTP_STATUS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class DondocError(Exception):
    """Base of every error dondoc raises on purpose. ``code`` is stable (used by the HTTP API)."""

    code = "error"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a definition file, with where it is (1-based line and column)."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class WorkflowError(DondocError):
    """A workflow (or template) definition is invalid. Carries every problem found, sorted."""

    code = "validation_error"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems) or "quy trình không hợp lệ")


class DeadlineError(DondocError):
    """A deadline phrase could not be understood. Never replaced by a guessed date."""

    code = "validation_error"

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"không đọc được thời hạn {text!r}: {reason}")


#: What a clerk calls each kind of thing that may be missing.
NOUNS = {
    "directive": "nhiệm vụ",
    "workflow": "quy trình",
    "template": "mẫu văn bản",
    "explanation": "yêu cầu giải trình",
    "person": "người",
    "token": "mã truy cập",
}


class NotFound(DondocError):
    code = "not_found"

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        shown = f"#{key}" if isinstance(key, int) else repr(key)
        super().__init__(f"không tìm thấy {NOUNS.get(kind, kind)} {shown}")


class PermissionDenied(DondocError):
    """The actor holds none of the roles the transition requires."""

    code = "permission_denied"

    def __init__(
        self, actor: str, trigger: str, required: Sequence[str], held: Sequence[str]
    ) -> None:
        self.actor = actor
        self.trigger = trigger
        self.required = tuple(required)
        self.held = tuple(held)
        need = ", ".join(self.required) or "(không ai)"
        have = ", ".join(self.held) or "không có vai trò nào"
        super().__init__(
            f"{actor} không có quyền '{trigger}': cần một trong [{need}], đang có: {have}"
        )


class InvalidTransition(DondocError):
    """The trigger cannot be fired now: wrong state, or its guard is not satisfied."""

    code = "invalid_transition"

    def __init__(
        self, trigger: str, state: str, allowed: Sequence[str], reason: str | None = None
    ) -> None:
        self.trigger = trigger
        self.state = state
        self.allowed = tuple(allowed)
        self.reason = reason
        if reason is None:
            ok = ", ".join(self.allowed) or "không lệnh nào (nhiệm vụ đã đóng)"
            reason = f"không được phép ở trạng thái '{state}'; các lệnh được phép lúc này: {ok}"
        super().__init__(f"không thực hiện được '{trigger}': {reason}")


class PayloadError(DondocError):
    """A payload field is missing or has the wrong value."""

    code = "validation_error"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"trường '{field}': {message}")


class ConflictError(DondocError):
    """Somebody else changed the directive between our read and our write (optimistic lock)."""

    code = "conflict"

    def __init__(self, directive_id: int, detail: str = "") -> None:
        self.directive_id = directive_id
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"nhiệm vụ #{directive_id} vừa được người khác thay đổi: tải lại rồi thử lại{extra}"
        )


class TemplateError(DondocError):
    """A template does not compile, or failed while rendering (file, line when known)."""

    code = "validation_error"

    def __init__(self, template: str, message: str, line: int | None = None) -> None:
        self.template = template
        self.line = line
        self.reason = message
        where = f"{template}:{line}" if line else template
        super().__init__(f"{where}: {message}")


class TemplateNotFound(TemplateError):
    code = "not_found"


class DocumentNotApplicable(DondocError):
    """The document does not fit the directive's case (a chasing letter for a closed directive,
    a reminder for one without a deadline…). The message says why, in Vietnamese."""

    code = "not_applicable"

    def __init__(self, template: str, directive_id: int, reason: str) -> None:
        self.template = template
        self.directive_id = directive_id
        self.reason = reason
        super().__init__(f"không lập {template} cho nhiệm vụ #{directive_id}: {reason}")


class MigrationPlanError(DondocError):
    """An instance migration plan does not fit (unknown state, bad option…); nothing was
    migrated. The problems are written for the administrator (Vietnamese)."""

    code = "validation_error"

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems) or "kế hoạch chuyển đổi không hợp lệ")


class SchemaError(DondocError):
    """The database schema is missing or older than this version of dondoc expects."""

    code = "schema"


class MissingExtra(DondocError):
    """A feature needs an optional part that is not installed: the ``extra`` of pyproject
    (``pip install 'dondoc[extra]'``), ``module`` being what was missing, and ``system`` a
    system package it also needs, if any."""

    code = "missing_extra"

    def __init__(
        self, extra: str, module: str, detail: str = "", system: str | None = None
    ) -> None:
        self.extra = extra
        self.module = module
        self.detail = detail
        self.system = system
        also = f" and the system package {system}" if system else ""
        super().__init__(
            f"{module} is not installed: pip install 'dondoc[{extra}]'{also}"
            + (f" ({detail})" if detail else "")
        )


EXIT_CODES: dict[type[DondocError], int] = {
    WorkflowError: 1,
    DeadlineError: 1,
    PayloadError: 2,
    NotFound: 3,
    PermissionDenied: 4,
    InvalidTransition: 5,
    ConflictError: 6,
    DocumentNotApplicable: 5,
    SchemaError: 7,
    MigrationPlanError: 2,
    TemplateNotFound: 3,
    TemplateError: 1,
    MissingExtra: 8,
}

HTTP_STATUS: dict[type[DondocError], int] = {
    WorkflowError: 422,
    DeadlineError: 422,
    PayloadError: 422,
    NotFound: 404,
    PermissionDenied: 403,
    InvalidTransition: 409,
    ConflictError: 409,
    DocumentNotApplicable: 409,
    SchemaError: 503,
    MigrationPlanError: 422,
    TemplateNotFound: 404,
    TemplateError: 422,
    MissingExtra: 501,
}


def _lookup(table: dict[type[DondocError], int], err: DondocError, default: int) -> int:
    for cls in type(err).__mro__:
        if cls in table and issubclass(cls, DondocError):
            return table[cls]
    return default


def exit_code(err: DondocError) -> int:
    """The process exit code an adapter should use for ``err``."""
    return _lookup(EXIT_CODES, err, 1)


def http_status(err: DondocError) -> int:
    """The HTTP status an adapter should use for ``err``."""
    return _lookup(HTTP_STATUS, err, 400)
