"""Vietnamese for the schema errors pydantic reports on a workflow file.

``dondoc validate`` shows administrators ``file:line:column: key: message``; pydantic words its
messages in English ("Input should be a valid list"). :func:`schema_message` gives the
Vietnamese for the error types a workflow file can cause, from the error's ``type`` and
``ctx``; a type not listed keeps pydantic's own words.
"""

from __future__ import annotations

from typing import Any

#: pydantic error type → Vietnamese message (``{name}`` filled from the error's ctx).
MESSAGES = {
    "string_pattern_mismatch": (
        "phải là mã định danh: chữ thường không dấu, chữ số và _, bắt đầu bằng một chữ cái"
    ),
    "string_type": "phải là một chuỗi văn bản",
    "string_too_short": "quá ngắn: ít nhất {min_length} ký tự",
    "string_too_long": "quá dài: tối đa {max_length} ký tự",
    "int_type": "phải là một số nguyên",
    "int_parsing": "phải là một số nguyên",
    "int_from_float": "phải là một số nguyên",
    "float_type": "phải là một số",
    "float_parsing": "phải là một số",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "list_type": "phải là một danh sách",
    "dict_type": "phải là một bảng khóa: giá trị",
    "model_type": "phải là một bảng khóa: giá trị",
    "model_attributes_type": "phải là một bảng khóa: giá trị",
    "greater_than": "phải lớn hơn {gt}",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "less_than": "phải nhỏ hơn {lt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "too_short": "cần ít nhất {min_length} phần tử",
    "too_long": "tối đa {max_length} phần tử",
    "literal_error": "phải là một trong: {expected}",
    "enum": "phải là một trong: {expected}",
    "date_type": "phải là một ngày (YYYY-MM-DD)",
    "date_parsing": "phải là một ngày (YYYY-MM-DD)",
    "date_from_datetime_parsing": "phải là một ngày (YYYY-MM-DD)",
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "không có trường này",
    "json_invalid": "JSON không hợp lệ",
}


def schema_message(
    kind: str, ctx: dict[str, Any], english: str, *, pattern: str | None = None
) -> str:
    """The Vietnamese message for a pydantic error of type ``kind`` (``english`` otherwise).
    ``pattern``: what a value failing its pattern is told (in a workflow file: an identifier).
    A model's own check (``value_error``) already speaks Vietnamese: its text is kept without
    pydantic's "Value error, " prefix."""
    if kind in ("value_error", "assertion_error"):
        return (
            english.split(", ", 1)[1]
            if english.startswith(("Value error, ", "Assertion"))
            else english
        )
    template = pattern if kind == "string_pattern_mismatch" and pattern else MESSAGES.get(kind)
    if template is None:
        return english
    try:
        return template.format(
            **{
                k: str(v).replace("'", "").replace(" or ", ", ") if k == "expected" else v
                for k, v in ctx.items()
            }
        )
    except (KeyError, IndexError):
        return english
