"""Checking what an actor supplies with a transition against the fields the workflow declares.

The result is JSON-safe (dates become ISO strings) because it is stored in the audit trail.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ..errors import PayloadError
from .limits import MAX_TEXT_CHARS, text_problem, year_problem
from .spec import FieldSpec


def _check(name: str, spec: FieldSpec, value: Any) -> Any:
    kind = spec.type
    if kind in ("text", "string", "person", "unit"):
        if not isinstance(value, str):
            raise PayloadError(name, f"cần văn bản, nhận được {type(value).__name__}")
        value = value.strip()
        if spec.required and not value:
            raise PayloadError(name, "không được để trống")
        if kind != "text" and "\n" in value:
            raise PayloadError(name, "chỉ được viết trên một dòng")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise PayloadError(name, f"dài {len(value)} ký tự; tối đa {spec.max_length}")
        problem = text_problem(value, MAX_TEXT_CHARS)
        if problem is not None:
            raise PayloadError(name, problem)
        return value
    if kind in ("integer", "percent"):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PayloadError(name, f"cần một số nguyên, nhận được {value!r}")
        if kind == "percent" and not 0 <= value <= 100:
            raise PayloadError(name, f"cần một tỷ lệ phần trăm từ 0 đến 100, nhận được {value}")
        return value
    if kind == "number":
        if isinstance(value, str):
            try:
                value = float(value.replace(",", "."))
            except ValueError:
                raise PayloadError(name, f"cần một số, nhận được {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PayloadError(name, f"cần một số, nhận được {value!r}")
        return value
    if kind == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false", "có", "không"):
            return value.lower() in ("true", "có")
        if not isinstance(value, bool):
            raise PayloadError(name, f"cần đúng (true) hoặc sai (false), nhận được {value!r}")
        return value
    if kind == "date":
        if isinstance(value, datetime):
            raise PayloadError(name, "cần một ngày, không kèm giờ")
        day: date | None = value if isinstance(value, date) else None
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                day = date.fromisoformat(value.strip())
        if day is None:
            raise PayloadError(name, f"cần một ngày dạng YYYY-MM-DD, nhận được {value!r}")
        problem = year_problem(day.year)
        if problem is not None:
            raise PayloadError(name, problem)
        return day.isoformat()
    if kind == "choice":
        choices = spec.choices or []
        if not isinstance(value, str) or value not in choices:
            raise PayloadError(
                name, f"cần một trong các giá trị {', '.join(choices)}; nhận được {value!r}"
            )
        return value
    raise PayloadError(name, f"unsupported field type {kind!r}")  # pragma: no cover


def validate_payload(
    fields: Mapping[str, FieldSpec], payload: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Return the cleaned payload, or raise :class:`PayloadError` naming the first bad field.

    Unknown fields are refused (a typo must not be silently dropped); optional fields that are
    absent or ``None`` are left out.
    """
    given = dict(payload or {})
    unknown = sorted(set(given) - set(fields))
    if unknown:
        expected = ", ".join(fields) or "không có trường nào"
        raise PayloadError(unknown[0], f"trường không có trong lệnh này; lệnh nhận: {expected}")
    clean: dict[str, Any] = {}
    for name, spec in fields.items():
        value = given.get(name)
        if value is None or (isinstance(value, str) and not value.strip() and not spec.required):
            if spec.required:
                raise PayloadError(name, f"bắt buộc phải có ({spec.label or spec.type})")
            continue
        clean[name] = _check(name, spec, value)
    return clean
