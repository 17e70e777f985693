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
        ("''.__class__.__mro__", "leading underscore"),
        ("payload.__class__", "leading underscore"),
        ("payload['__class__']", "leading underscore"),
        ("__import__('os')", "only these functions"),
        ("open('/etc/passwd')", "only these functions"),
        ("payload.get('x')", "only these functions"),
        ("[x for x in payload]", "not allowed"),
        ("lambda: 1", "not allowed"),
        ("os.system('ls')", "only these functions"),
        ("os == 1", "unknown name"),
        ("payload[payload.key]", "subscripts must be constants"),
        ("payload.score =", "not a valid expression"),
        ("len(payload, key=1)", "keyword arguments"),
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
