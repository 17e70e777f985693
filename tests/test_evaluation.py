"""Decree 335/2025 scoring: the worked examples written by hand from the decree's rules
(tests/data/evaluation/nd335_examples.yaml, each step citing its article), then the program."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from dondoc.deadlines.periods import Period, PeriodError
from dondoc.errors import PayloadError
from dondoc.evaluation import EvaluationPolicy, Output, annual, band_of, score

EXAMPLES = yaml.safe_load(
    (Path(__file__).parent / "data" / "evaluation" / "nd335_examples.yaml").read_text()
)


def _output(o: dict[str, Any]) -> Output:
    return Output(
        id=o["id"],
        due=o["current_due"],
        original_due=o["original_due"],
        completed=o.get("completed"),
        extension_approved_on=o.get("extension_approved_on"),
        excused=bool(o.get("excused")),
        quality_failures=int(o.get("quality_failures") or 0),
        weight=float(o.get("weight", 1.0)),
    )


def _cases() -> list[Any]:
    cases = []
    for ex in EXAMPLES["examples"]:
        if "outputs" not in ex:
            continue
        variants = ex.get("variants") or []
        if "expected" in ex:
            cases.append(pytest.param(ex, {}, ex["expected"], id=ex["id"]))
        for i, v in enumerate(variants):
            cases.append(pytest.param(ex, v.get("policy", {}), v["expected"], id=f"{ex['id']}-{i}"))
    return cases


def _policy(ex: dict[str, Any], overrides: dict[str, Any]) -> EvaluationPolicy:
    fields = dict(overrides)
    if fields.get("open_overdue") == "denominator_zero_credit":
        fields["open_overdue"] = "zero_credit"
    if fields.get("open_overdue") == "defer_to_completion_period":
        fields["open_overdue"] = "defer"
    if fields.get("quantity_denominator") == "plan":
        fields["plan_outputs"] = ex["plan"]["outputs_per_month"]
    return EvaluationPolicy(**fields)


@pytest.mark.parametrize(("ex", "overrides", "expected"), _cases())
def test_worked_examples_of_the_decree(
    ex: dict[str, Any], overrides: dict[str, Any], expected: dict[str, Any]
) -> None:
    policy = _policy(ex, overrides)
    kind = ex["period"]["type"]
    period = Period.containing(kind, ex["period"]["start"])
    assert (period.start, period.end) == (ex["period"]["start"], ex["period"]["end"])
    s = score(
        [_output(o) for o in ex["outputs"]],
        period,
        policy=policy,
        general_points=ex.get("general_points"),
    )
    for key, attr in (
        ("a", "quantity_pct"),
        ("b", "quality_pct"),
        ("c", "progress_pct"),
        ("task_points", "task_points"),
        ("total", "total"),
    ):
        if key in expected:
            assert getattr(s, attr) == pytest.approx(expected[key], abs=0.005), key
    assert s.band(policy) == expected["band"]


@pytest.mark.parametrize("case", EXAMPLES["band_checks"], ids=lambda c: str(c["total"]))
def test_band_edges_art_20(case: dict[str, Any]) -> None:
    assert band_of(case["total"]) == case["band"]


def test_the_year_is_the_mean_of_the_months_worked_art_21() -> None:
    ex = next(e for e in EXAMPLES["examples"] if e["id"] == "E10_year_from_months")
    totals = list(ex["monthly_totals"].values())
    assert annual(totals) == pytest.approx(ex["expected"]["annual_score"], abs=0.005)
    leave = [
        v
        for k, v in ex["monthly_totals"].items()
        if k not in ("2026-06", "2026-07", "2026-08", "2026-09")
    ]
    assert annual(leave) == pytest.approx(90.875)
    assert annual([]) is None


def test_a_reprimand_makes_it_not_completed_whatever_the_score_art_20_4c() -> None:
    p = Period(2026, "month", 3)
    s = score(
        [Output(1, date(2026, 3, 5), date(2026, 3, 4))], p, general_points=30, disqualified=True
    )
    assert s.total == pytest.approx(100)
    assert s.band() == "khong_hoan_thanh"


def test_outputs_outside_the_period_and_an_empty_period() -> None:
    p = Period(2026, "month", 3)
    s = score([Output(1, date(2026, 4, 5), date(2026, 4, 4))], p)
    assert s.lines == () and s.task_points is None and s.notes


def test_a_completion_after_the_period_does_not_change_it() -> None:
    """Scored as of the period's last day: done on 02/04 is still open on 31/03."""
    p = Period(2026, "month", 3)
    s = score([Output(1, date(2026, 3, 20), date(2026, 4, 2))], p)
    assert (s.quantity_pct, s.progress_pct) == (0, 0)


@given(
    st.lists(
        st.tuples(
            st.integers(1, 28),
            st.one_of(st.none(), st.integers(-10, 40)),
            st.booleans(),
            st.integers(0, 5),
            st.floats(0.1, 3),
        ),
        max_size=12,
    )
)
def test_scores_stay_within_their_bounds(
    rows: list[tuple[int, int | None, bool, int, float]],
) -> None:
    p = Period(2026, "month", 3)
    outs = [
        Output(
            i,
            date(2026, 3, d),
            None
            if late is None
            else date(2026, 3, d).fromordinal(date(2026, 3, d).toordinal() + late),
            excused=exc,
            quality_failures=q,
            weight=w,
        )
        for i, (d, late, exc, q, w) in enumerate(rows)
    ]
    s = score(outs, p, general_points=20)
    if s.task_points is None:
        assert not rows
        return
    for pct in (s.quantity_pct, s.quality_pct, s.progress_pct):
        assert pct is not None and 0 <= pct <= 100
    assert s.progress_pct <= s.quantity_pct + 1e-9  # nothing is on time that is not done
    assert 0 <= s.task_points <= 70
    assert s.band() is not None


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2024-06", date(2024, 6, 1), date(2024, 6, 30), "tháng 06/2024"),
        ("2024-Q2", date(2024, 4, 1), date(2024, 6, 30), "quý II/2024"),
        ("2024-H2", date(2024, 7, 1), date(2024, 12, 31), "6 tháng cuối năm 2024"),
        ("2024", date(2024, 1, 1), date(2024, 12, 31), "năm 2024"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "tháng 02/2024"),
    ],
)
def test_periods(text: str, start: date, end: date, label: str) -> None:
    p = Period.parse(text)
    assert (p.start, p.end, p.label, str(p)) == (start, end, label, text)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        # Decree 09/2019 art. 12: from the 15th of the month before to the 14th of the last month
        ("2024-06", date(2024, 5, 15), date(2024, 6, 14)),
        ("2024-01", date(2023, 12, 15), date(2024, 1, 14)),
        ("2024-Q2", date(2024, 3, 15), date(2024, 6, 14)),
        ("2024-H1", date(2023, 12, 15), date(2024, 6, 14)),
        ("2024-H2", date(2024, 6, 15), date(2024, 12, 14)),
        ("2024", date(2023, 12, 15), date(2024, 12, 14)),
    ],
)
def test_report_windows_of_decree_09(text: str, first: date, last: date) -> None:
    assert Period.parse(text).report_window() == (first, last)


@pytest.mark.parametrize("bad", ["", "2024-13", "2024-Q5", "Q2", "10000", "0001-01", "2024-06-01"])
def test_a_bad_period_is_one_clear_error(bad: str) -> None:
    with pytest.raises(PeriodError) as exc:
        Period.parse(bad)
    assert "2024-Q2" in str(exc.value)


def test_a_policy_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    f = tmp_path / "policy.yaml"
    f.write_text("period: quarter\nprogress_due_basis: original\nbands: {excellent: 92}\n")
    p = EvaluationPolicy.load(f)
    assert (p.period, p.progress_due_basis, p.bands.excellent, p.bands.good) == (
        "quarter",
        "original",
        92,
        70,
    )
    f.write_text("late_deduction: 2\n")
    with pytest.raises(PayloadError, match="late_deduction"):
        EvaluationPolicy.load(f)
    f.write_text("weights: [0.5, 0.5, 0.5]\n")
    with pytest.raises(PayloadError, match="weights"):
        EvaluationPolicy.load(f)
