"""A bounded fuzz target (issue 14): hypothesis over workflow YAML, guards, deadline phrases and
documents. Beyond "no crash", every input must stay within a CPU-time budget and a memory
budget: the CPU budget is enforced by a profiling timer (``ITIMER_PROF``: CPU time of this
process, so a busy CI machine does not make it flaky) that interrupts a runaway input, and the
memory by tracemalloc's peak. Errors must be dondoc's own typed errors."""

from __future__ import annotations

import signal
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dondoc.core.guards import GuardEvaluationError, GuardSyntaxError, compile_guard
from dondoc.core.spec import parse_workflow
from dondoc.deadlines.phrases import parse_deadline
from dondoc.errors import DondocError
from dondoc.extraction.document import extract

CPU_SECONDS = 5.0  # per input; the real figures are milliseconds
PEAK_BYTES = 64 * 1024 * 1024
FUZZ = settings(
    max_examples=60,
    deadline=None,  # time is bounded by CPU below, not by hypothesis' wall clock
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class OverBudget(Exception):
    pass


@contextmanager
def bounded() -> Iterator[None]:
    """Run the body within CPU_SECONDS of CPU time and PEAK_BYTES of Python allocations."""

    def interrupt(_sig: int, _frame: Any) -> None:
        raise OverBudget(f"more than {CPU_SECONDS} s of CPU")

    previous = signal.signal(signal.SIGPROF, interrupt)
    signal.setitimer(signal.ITIMER_PROF, CPU_SECONDS)
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
        assert peak < PEAK_BYTES, f"peak {peak} bytes"
    finally:
        tracemalloc.stop()
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _within_bounds(fn: Callable[[], object], *allowed: type[BaseException]) -> None:
    with bounded():
        try:
            fn()
        except (DondocError, *allowed):
            pass


pytestmark = pytest.mark.skipif(
    not hasattr(signal, "setitimer"), reason="needs POSIX interval timers"
)

# YAML: random text, and documents built from the hostile parts (anchors, aliases, merges,
# deep nesting, long scalars).
_scalar = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["on", "no", "~", "&a x", "*a", "<<: *a", "!!python/object:os.system"]),
)


@st.composite
def _hostile_yaml(draw: st.DrawFn) -> str:
    depth = draw(st.integers(0, 60))
    width = draw(st.integers(1, 12))
    levels = draw(st.integers(1, 8))
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines.append("deep: " + "[" * depth + "]" * depth)
    lines.append(f"s: {draw(_scalar)!r}")
    return "\n".join(lines) + "\n"


@FUZZ
@given(st.one_of(st.text(max_size=2000), _hostile_yaml()))
def test_fuzz_workflow_yaml(text: str) -> None:
    _within_bounds(lambda: parse_workflow(text, "fuzz.yaml"))


_atoms = st.sampled_from(
    ["payload.x", "data.y", "directive.progress", "1", "'a'", "none", "[1, 2]", "len(payload.s)"]
)
_guards = st.recursive(
    _atoms,
    lambda inner: st.one_of(
        st.builds(lambda a: f"not {a}", inner),
        st.builds(lambda a, b: f"({a} and {b})", inner, inner),
        st.builds(lambda a, b: f"({a} * {b})", inner, inner),
        st.builds(lambda a, b: f"({a} + {b})", inner, inner),
        st.builds(lambda a, b: f"({a} < {b})", inner, inner),
    ),
    max_leaves=60,
)


@FUZZ
@given(
    st.one_of(_guards, st.text(max_size=300)),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=20), max_size=5),
)
def test_fuzz_guards(text: str, payload: dict[str, Any]) -> None:
    def run() -> None:
        guard = compile_guard(text)
        guard.evaluate(
            {
                "payload": {"x": 10**6, "s": "abc", **payload},
                "data": {"y": "x" * 1000},
                "directive": {"progress": 5},
            }
        )

    _within_bounds(run, GuardSyntaxError, GuardEvaluationError)


_phrase_parts = st.sampled_from(
    [
        "trước ngày",
        "31/12/9999",
        "01/01/0001",
        "trong",
        "15",
        "ngày làm việc",
        "hằng tháng",
        "cuối năm",
        "10000",
        "quý IV",
        "kể từ ngày ký",
        "tháng 13",
        "ngày 20 hàng tháng",
        " ",
        "\n",
    ]
)


@FUZZ
@given(st.one_of(st.text(max_size=400), st.lists(_phrase_parts, max_size=40).map(" ".join)))
def test_fuzz_deadline_phrases(text: str) -> None:
    _within_bounds(lambda: parse_deadline(text, date(2024, 3, 18)), OverflowError, ValueError)


@FUZZ
@given(
    st.lists(
        st.one_of(
            _phrase_parts,
            st.sampled_from(
                ["1.", "a)", "-", "+", "(1)", "Giao Văn phòng", "Sở Tài chính chủ trì", "KẾT LUẬN"]
            ),
            st.text(max_size=30),
        ),
        max_size=300,
    ).map(" ".join)
)
def test_fuzz_documents(text: str) -> None:
    _within_bounds(lambda: extract(text, issued=date(2024, 3, 18)), OverflowError, ValueError)
