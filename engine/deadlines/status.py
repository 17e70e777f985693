"""The official progress grid of Vietnamese follow-up reports. Pure.

Reports on directives (*báo cáo tình hình thực hiện nhiệm vụ*) sort every item into a 2×2 grid
— completed on time / completed late / in progress within the deadline / in progress overdue —
plus "due soon" (a subset of in progress within the deadline, flagged for chasing) and
"no deadline". Extensions keep the original due date, so the grid can be computed against the
extended due date (the default) or the original one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .calendar import DEFAULT_CALENDAR, WorkingCalendar


class Status(StrEnum):
    COMPLETED_ON_TIME = "completed_on_time"
    COMPLETED_LATE = "completed_late"
    IN_PROGRESS_ON_TIME = "in_progress_on_time"
    DUE_SOON = "due_soon"
    IN_PROGRESS_OVERDUE = "in_progress_overdue"
    NO_DEADLINE = "no_deadline"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def is_late(self) -> bool:
        return self in (Status.COMPLETED_LATE, Status.IN_PROGRESS_OVERDUE)


LABELS = {
    Status.COMPLETED_ON_TIME: "Hoàn thành đúng hạn",
    Status.COMPLETED_LATE: "Hoàn thành quá hạn",
    Status.IN_PROGRESS_ON_TIME: "Đang thực hiện trong hạn",
    Status.DUE_SOON: "Sắp đến hạn",
    Status.IN_PROGRESS_OVERDUE: "Đang thực hiện quá hạn",
    Status.NO_DEADLINE: "Không có thời hạn",
    Status.CANCELLED: "Đã hủy",
}

DEFAULT_DUE_SOON = 3  # working days


def lateness(status: str, days_late: int) -> str:
    """How late a directive is, as a clerk reads it: "quá hạn 9 ngày" (open, past its due
    date), "hoàn thành trễ 9 ngày" (completed late), or "" (not late)."""
    if days_late <= 0:
        return ""
    if status == Status.IN_PROGRESS_OVERDUE:
        return f"quá hạn {days_late} ngày"
    if status == Status.COMPLETED_LATE:
        return f"hoàn thành trễ {days_late} ngày"
    return ""


def late_at_creation(due: date | None, today: date) -> str | None:
    """The warning for a directive whose due date has already passed when it is created (a
    typo in the year, or an old conclusion entered late), or None."""
    if due is None or due >= today:
        return None
    return (
        f"hạn {due:%d/%m/%Y} đã qua {(today - due).days} ngày trước ngày giao "
        f"{today:%d/%m/%Y}: nhiệm vụ quá hạn ngay khi tạo — kiểm tra lại hạn"
    )


def progress_status(
    due: date | None,
    today: date,
    *,
    completed_on: date | None = None,
    cancelled: bool = False,
    due_soon_days: int = DEFAULT_DUE_SOON,
    calendar: WorkingCalendar | None = None,
) -> Status:
    """Where one directive stands on ``today`` (local date).

    A directive due on D is on time when completed on or before D (it is late from 24:00 of
    D). "Due soon": open, not overdue, and at most ``due_soon_days`` working days left.
    """
    if cancelled:
        return Status.CANCELLED
    if completed_on is not None:
        if due is None or completed_on <= due:
            return Status.COMPLETED_ON_TIME
        return Status.COMPLETED_LATE
    if due is None:
        return Status.NO_DEADLINE
    if today > due:
        return Status.IN_PROGRESS_OVERDUE
    cal = calendar or DEFAULT_CALENDAR
    if cal.working_days_between(today, due, at_most=due_soon_days) <= due_soon_days:
        return Status.DUE_SOON
    return Status.IN_PROGRESS_ON_TIME


def days_late(due: date | None, today: date, completed_on: date | None = None) -> int:
    """Calendar days past the due date (0 when not late), as reports print them."""
    if due is None:
        return 0
    end = completed_on or today
    return max(0, (end - due).days)


@dataclass(frozen=True)
class GridRow:
    """Counts of one group (a unit, say) in the status grid."""

    key: str
    counts: dict[Status, int]

    @property
    def total(self) -> int:
        return sum(n for s, n in self.counts.items() if s is not Status.CANCELLED)

    @property
    def completed(self) -> int:
        return self.counts.get(Status.COMPLETED_ON_TIME, 0) + self.counts.get(
            Status.COMPLETED_LATE, 0
        )

    @property
    def on_time_rate(self) -> float | None:
        """Share of completed items completed on time (None when nothing is completed)."""
        done = self.completed
        return None if done == 0 else self.counts.get(Status.COMPLETED_ON_TIME, 0) / done


def grid(items: Iterable[tuple[str, Status]]) -> list[GridRow]:
    """Count (key, status) pairs into rows, sorted by key."""
    per: dict[str, Counter[Status]] = {}
    for key, st in items:
        per.setdefault(key, Counter())[st] += 1
    return [GridRow(k, {s: c.get(s, 0) for s in Status}) for k, c in sorted(per.items())]
