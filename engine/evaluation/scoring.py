"""Scoring one person's (or unit's) outputs of one period under an :class:`EvaluationPolicy`.

Decree 335/2025/NĐ-CP, art. 14(2), for a civil servant without a leadership post:

- (a) quantity: completed outputs (converted) / assigned outputs (converted), in %;
- (b) quality: completed outputs meeting the content requirements / assigned, in %; each failed
  review for a major error takes 25 % of THAT output's quality points;
- (c) progress: outputs completed on time / assigned, in %; each delay takes 25 % of THAT
  output's progress points, unless an objective reason is confirmed by a competent authority;
- task points = (a + b + c) / 3 × 70 % (weights and scale from the policy);
- art. 20: ≥ 90 excellent, 70–< 90 good, 50–< 70 completed, below → not completed (and a
  reprimand or heavier discipline in the year → not completed whatever the score).

Pure: outputs in, a :class:`Score` out, with every line traceable to the output behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from ..deadlines.periods import Period
from .policy import DEFAULT_POLICY, EvaluationPolicy

Band = Literal["hoan_thanh_xuat_sac", "hoan_thanh_tot", "hoan_thanh", "khong_hoan_thanh"]
BAND_LABELS: dict[str, str] = {
    "hoan_thanh_xuat_sac": "Hoàn thành xuất sắc nhiệm vụ",
    "hoan_thanh_tot": "Hoàn thành tốt nhiệm vụ",
    "hoan_thanh": "Hoàn thành nhiệm vụ",
    "khong_hoan_thanh": "Không hoàn thành nhiệm vụ",
}


@dataclass(frozen=True)
class Output:
    """One output (sản phẩm/công việc) assigned to whoever is evaluated.

    ``due`` is the current due date, ``original_due`` the one first set (they differ after an
    extension, approved on ``extension_approved_on``). ``completed`` is the day the work was
    done (None: not done). ``excused``: an objective reason confirmed by a competent authority
    (an explanation accepted as objective). ``kind``: own, delegated (a sub-directive given to
    this person) or cooperation (a cooperating unit's contribution).
    """

    id: int | str
    due: date | None
    completed: date | None = None
    original_due: date | None = None
    extension_approved_on: date | None = None
    excused: bool = False
    quality_failures: int = 0
    kind: str = "own"
    weight: float | None = None  # None: the policy's weight for the kind
    title: str = ""

    @property
    def first_due(self) -> date | None:
        return self.original_due if self.original_due is not None else self.due


@dataclass(frozen=True)
class Line:
    """How one output was counted: its credits (weight units) and why."""

    output: Output
    weight: float
    counted: bool  # False when deferred to a later period (open_overdue: defer)
    completed_in_time: bool
    delays: int
    quantity: float
    quality: float
    progress: float
    reason: str


@dataclass(frozen=True)
class Score:
    """The task-result part of one evaluation (and the total and band when the general
    points are known)."""

    period: Period
    subject: str
    lines: tuple[Line, ...]
    assigned: float
    quantity_pct: float | None
    quality_pct: float | None
    progress_pct: float | None
    task_points: float | None
    general_points: float | None = None
    disqualified: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total(self) -> float | None:
        if self.task_points is None or self.general_points is None:
            return None
        return round(self.general_points + self.task_points, 9)

    def band(self, policy: EvaluationPolicy = DEFAULT_POLICY) -> Band | None:
        if self.disqualified:
            return "khong_hoan_thanh"
        if (
            policy.fail_if_quantity_below is not None
            and self.quantity_pct is not None
            and self.quantity_pct < policy.fail_if_quantity_below
        ):
            return "khong_hoan_thanh"
        total = self.total
        return None if total is None else band_of(total, policy)

    def counts(self) -> dict[str, int]:
        """How many outputs were on time, late (excused or not), open overdue, deferred."""
        out = {"on_time": 0, "late": 0, "late_excused": 0, "open_overdue": 0, "deferred": 0}
        for ln in self.lines:
            if not ln.counted:
                out["deferred"] += 1
            elif ln.output.completed is None or ln.quantity == 0:
                out["open_overdue"] += 1
            elif ln.delays and ln.output.excused:
                out["late_excused"] += 1
            elif ln.delays:
                out["late"] += 1
            else:
                out["on_time"] += 1
        return out


def band_of(total: float, policy: EvaluationPolicy = DEFAULT_POLICY) -> Band:
    """Art. 20 on the unrounded total."""
    b = policy.bands
    if total >= b.excellent:
        return "hoan_thanh_xuat_sac"
    if total >= b.good:
        return "hoan_thanh_tot"
    if total >= b.completed:
        return "hoan_thanh"
    return "khong_hoan_thanh"


def _missed_dues(o: Output, done: date | None, cutoff: date, policy: EvaluationPolicy) -> int:
    """How many due dates the output missed (as of ``cutoff`` when not done)."""
    finish = done if done is not None else cutoff
    if policy.progress_due_basis == "original":
        dues = [o.first_due]
    else:
        dues = [o.due]
        first = o.first_due
        if (
            first is not None
            and o.due is not None
            and first != o.due
            and o.extension_approved_on is not None
            and o.extension_approved_on > first
        ):
            dues.insert(0, first)  # extended after it had already been missed
    missed = sum(1 for d in dues if d is not None and finish > d)
    if policy.late_count_rule == "one_per_output":
        missed = min(missed, 1)
    return missed


def in_period(o: Output, period: Period, policy: EvaluationPolicy = DEFAULT_POLICY) -> bool:
    """An output belongs to the period its due date (per the policy's basis) falls in; one
    without a due date to the period it was completed in (assumption, see docs)."""
    due = o.first_due if policy.progress_due_basis == "original" else o.due
    if due is not None:
        return due in period
    return o.completed is not None and o.completed in period


def score(
    outputs: Iterable[Output],
    period: Period,
    *,
    subject: str = "",
    policy: EvaluationPolicy = DEFAULT_POLICY,
    general_points: float | None = None,
    disqualified: bool = False,
) -> Score:
    """Score the outputs of ``period`` (outputs outside it are ignored), as of its last day."""
    cutoff = period.end
    lines: list[Line] = []
    for o in outputs:
        if not in_period(o, period, policy):
            continue
        w = o.weight if o.weight is not None else policy.kind_weights.get(o.kind, 1.0)
        done = o.completed if o.completed is not None and o.completed <= cutoff else None
        delays = _missed_dues(o, done, cutoff, policy)
        if done is None:
            overdue = delays > 0 or (o.due is not None and o.due <= cutoff)
            if policy.open_overdue == "defer" and overdue:
                lines.append(
                    Line(o, w, False, False, delays, 0, 0, 0, "chưa hoàn thành, chuyển kỳ sau")
                )
                continue
            lines.append(Line(o, w, True, False, delays, 0, 0, 0, "chưa hoàn thành khi hết kỳ"))
            continue
        quality = w * max(0.0, 1 - policy.quality_deduction * o.quality_failures)
        if delays and o.excused:
            progress, reason = w, "chậm, có lý do khách quan được xác nhận"
        elif delays:
            progress = w * max(0.0, 1 - policy.late_deduction * delays)
            reason = f"chậm {delays} lần" if delays > 1 else "chậm tiến độ"
        else:
            progress, reason = w, "đúng hạn"
        lines.append(Line(o, w, True, delays == 0, delays, w, quality, progress, reason))
    counted = [ln for ln in lines if ln.counted]
    assigned = sum(ln.weight for ln in counted)
    denominator = policy.plan_outputs if policy.quantity_denominator == "plan" else assigned
    notes: list[str] = []
    if not denominator:
        notes.append("không có sản phẩm/công việc được giao trong kỳ")
        return Score(
            period,
            subject,
            tuple(lines),
            assigned,
            None,
            None,
            None,
            None,
            general_points,
            disqualified,
            tuple(notes),
        )
    assert denominator is not None

    def pct(credit: float) -> float:
        return min(policy.cap_ratios_at, 100.0 * credit / denominator)

    a = pct(sum(ln.quantity for ln in counted))
    b = pct(sum(ln.quality for ln in counted))
    c = pct(sum(ln.progress for ln in counted))
    wa, wb, wc = policy.weights
    # round away binary noise only ((100/3)·3·0.7 must be 70, not 69.999…): no banding rounding
    task = round((wa * a + wb * b + wc * c) * policy.task_points / 100.0, 9)
    return Score(
        period,
        subject,
        tuple(lines),
        assigned,
        a,
        b,
        c,
        task,
        general_points,
        disqualified,
        tuple(notes),
    )


def annual(totals: Sequence[float]) -> float | None:
    """Art. 21: the year's score from the period scores actually worked (their mean)."""
    return sum(totals) / len(totals) if totals else None
