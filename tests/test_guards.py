from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dondoc.core.guards import GuardEvaluationError, GuardSyntaxError, compile_guard

SCOPE = {
    "payload": {"score": 7, "form": "canh_cao", "fixed": False, "items": [1, 2, 3]},
    "data": {"unit": "Thanh tra"},
    "directive": {"progress": 40},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("payload.score >= 5", True),
        ("payload.score > 5 and payload.fixed", False),
        ("payload.fixed or payload.form in ['canh_cao', 'khien_trach']", True),
        ("not payload.fixed", True),
        ("payload['form'] == 'canh_cao'", True),
        ("payload.missing is none", True),
        ("payload.missing.deeper == null", True),
        ("len(payload.items) == 3", True),
        ("directive.progress + 60 == 100", True),
        ("1 < payload.score < 10", True),
        ("lower(data.unit) == 'thanh tra'", True),
        ("payload.items[0] == 1", True),
        ("'a' if payload.fixed else 'b'", True),
    ],
)
def test_guard_evaluates(text: str, expected: bool) -> None:
    assert compile_guard(text).evaluate(SCOPE) is expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("''.__class__.__mro__", "dấu gạch dưới"),
        ("payload.__class__", "dấu gạch dưới"),
        ("payload['__class__']", "dấu gạch dưới"),
        ("__import__('os')", "chỉ được gọi các hàm"),
        ("open('/etc/passwd')", "chỉ được gọi các hàm"),
        ("payload.get('x')", "chỉ được gọi các hàm"),
        ("[x for x in payload]", "không được dùng"),
        ("lambda: 1", "không được dùng"),
        ("os.system('ls')", "chỉ được gọi các hàm"),
        ("os == 1", "không có tên"),
        ("payload[payload.key]", "chỉ số phải là hằng"),
        ("payload.score =", "không phải biểu thức hợp lệ"),
        ("len(payload, key=1)", "đối số có tên"),
    ],
)
def test_guard_rejects(text: str, reason: str) -> None:
    with pytest.raises(GuardSyntaxError, match=reason):
        compile_guard(text)


def test_type_errors_are_evaluation_errors() -> None:
    with pytest.raises(GuardEvaluationError):
        compile_guard("payload.form < 3").evaluate(SCOPE)


@given(st.text(max_size=40))
def test_arbitrary_text_never_escapes(text: str) -> None:
    """Any text either fails to compile with GuardSyntaxError, or evaluates without touching
    anything but the scope (errors limited to GuardEvaluationError)."""
    try:
        guard = compile_guard(text)
    except GuardSyntaxError:
        return
    with contextlib.suppress(GuardEvaluationError):
        guard.evaluate(SCOPE)
