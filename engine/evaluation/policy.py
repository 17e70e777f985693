"""The evaluation policy: how tracked work becomes Decree 335/2025 scores.

The defaults are the decree's rules (docs/evaluation.md cites the articles); every point the
decree leaves to a ministry or province, or does not settle, is a field an administrator can
override in YAML (``dondoc evaluate --policy FILE``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import PayloadError

MAX_POLICY_BYTES = 64 * 1024


class Bands(BaseModel):
    """Art. 20(1)–(4): thresholds on the 100-point total (no rounding before banding)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    excellent: float = 90.0  # hoàn thành xuất sắc nhiệm vụ: từ 90 điểm trở lên
    good: float = 70.0  # hoàn thành tốt nhiệm vụ: từ 70 đến dưới 90
    completed: float = 50.0  # hoàn thành nhiệm vụ: từ 50 đến dưới 70

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if not 0 <= self.completed <= self.good <= self.excellent <= 100:
            raise ValueError("bands must satisfy 0 ≤ completed ≤ good ≤ excellent ≤ 100")
        return self


class EvaluationPolicy(BaseModel):
    """What counts, and how. Field comments name the rule or the assumption behind the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Art. 14(1): "hằng tháng hoặc quý" — the province chooses.
    period: Literal["month", "quarter"] = "month"
    # Art. 14(2)(c): 25 % of THAT output's progress points per delay.
    late_deduction: float = Field(0.25, ge=0, le=1)
    # Art. 14(2)(b): 25 % of that output's quality points per failed review.
    quality_deduction: float = Field(0.25, ge=0, le=1)
    # Assumption (the decree is silent on extensions): judge progress against the current due
    # (an approved extension resets the schedule) or against the original one.
    progress_due_basis: Literal["current", "original"] = "current"
    # "mỗi lần chậm tiến độ": each missed due date (an extension granted after the original due
    # had passed does not erase the first delay), or at most one per output.
    late_count_rule: Literal["each_missed_due", "one_per_output"] = "each_missed_due"
    # Assumption: an output still open and overdue at the period's end counts as assigned and
    # earns nothing ("zero_credit"), or waits for the period it is completed in ("defer").
    open_overdue: Literal["zero_credit", "defer"] = "zero_credit"
    # Art. 14(2)(a) compares with the outputs "được giao" (assigned); "plan" compares with a
    # norm per period (set plan_outputs), for a catalogue that fixes one.
    quantity_denominator: Literal["assigned", "plan"] = "assigned"
    plan_outputs: float | None = Field(None, gt=0)
    # The formula (a + b + c) / 3 × 70 % for a civil servant without a leadership post.
    weights: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)
    task_points: float = Field(70.0, gt=0, le=100)  # Art. 12(3): task results, at most 70
    general_points_max: float = Field(30.0, ge=0, le=100)  # Art. 12(2): at most 30
    cap_ratios_at: float = 100.0
    bands: Bands = Bands()
    # A provincial rule seen in guidance, not in the decree: below this quantity % → not
    # completed (unless excused). Off by default.
    fail_if_quantity_below: float | None = Field(None, ge=0, le=100)
    # Assumption: a delegated output counts for the person it was delegated to; the delegator
    # gets no direct credit ("none") or keeps the parent as an output too ("both").
    delegator_credit: Literal["none", "both"] = "none"
    # Catalogue conversion coefficients (quy đổi) per kind of output; Art. 26(1) leaves the
    # catalogue to ministries and provinces.
    kind_weights: dict[str, float] = Field(
        default_factory=lambda: {"own": 1.0, "delegated": 1.0, "cooperation": 1.0}
    )
    # Triggers that mean "the reviewer sent the output back for a major error" (a failed review).
    quality_failure_triggers: tuple[str, ...] = ("return", "reject", "request_rework")

    @model_validator(mode="after")
    def _consistent(self) -> EvaluationPolicy:
        if abs(sum(self.weights) - 1) > 1e-9 or min(self.weights) < 0:
            raise ValueError("weights must be three non-negative numbers summing to 1")
        if self.quantity_denominator == "plan" and self.plan_outputs is None:
            raise ValueError("quantity_denominator: plan needs plan_outputs")
        if self.task_points + self.general_points_max > 100 + 1e-9:
            raise ValueError("task_points + general_points_max must not exceed 100")
        return self

    @classmethod
    def load(cls, path: str | Path) -> EvaluationPolicy:
        """Read a policy file (only the fields that differ from the defaults are needed)."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise PayloadError("policy", f"không đọc được tệp {p}: {exc.strerror}") from None
        if len(raw) > MAX_POLICY_BYTES:
            raise PayloadError("policy", f"tệp {p} quá lớn (tối đa {MAX_POLICY_BYTES} byte)")
        try:
            data = yaml.safe_load(raw.decode("utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise PayloadError("policy", f"{p}: không phải YAML hợp lệ ({exc})") from None
        if not isinstance(data, dict):
            raise PayloadError("policy", f"{p}: cần một bảng khóa: giá trị")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "policy"
            raise PayloadError(f"policy.{where}", first["msg"]) from None


DEFAULT_POLICY = EvaluationPolicy()
