"""When a workflow timer fires. Pure: dates in, instants out.

Day-based timers fire at the start of the office day (08:00 Asia/Ho_Chi_Minh) of the computed
day: "3 ngày làm việc trước hạn" for a directive due Sunday 30/06/2024 fires Wednesday 26/06 at
08:00. ``at_due`` fires when the directive becomes late: 24:00 local at the end of the due day.
Hour-based offsets are exact: "2 giờ" after entering a state is two hours after it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..clock import VN_TZ, local_date
from ..core.spec import TimerSpec
from .calendar import WorkingCalendar
from .durations import parse_offset
from .phrases import apply_offset, due_instant

OFFICE_START = time(8, 0)


def office_start(day: date) -> datetime:
    """08:00 local on ``day``, as an aware UTC instant."""
    return datetime.combine(day, OFFICE_START, tzinfo=VN_TZ).astimezone(due_instant(day).tzinfo)


def is_due_relative(timer: TimerSpec) -> bool:
    return timer.when.after_entering is None


def first_fire_at(
    timer: TimerSpec, *, due: date | None, entered_at: datetime, calendar: WorkingCalendar
) -> datetime | None:
    """The first firing of ``timer`` for a directive that entered its state at ``entered_at``.

    None when the timer is relative to a due date and the directive has none.
    """
    w = timer.when
    if w.after_entering is not None:
        off = parse_offset(w.after_entering)
        if off.unit == "hour":
            return entered_at + timedelta(hours=off.amount)
        return office_start(apply_offset(calendar, local_date(entered_at), off, before=False))
    if due is None:
        return None
    if w.at_due:
        return due_instant(due)
    text = w.before_due if w.before_due is not None else w.after_due
    assert text is not None
    off = parse_offset(text)
    before = w.before_due is not None
    if off.unit == "hour":
        delta = timedelta(hours=off.amount)
        return due_instant(due) - delta if before else due_instant(due) + delta
    return office_start(apply_offset(calendar, due, off, before=before))


def next_repeat_at(
    timer: TimerSpec, previous: datetime, calendar: WorkingCalendar
) -> datetime | None:
    """The repetition after a firing scheduled at ``previous`` (None when the timer does not repeat)."""
    if timer.repeat is None:
        return None
    off = parse_offset(timer.repeat.every)
    if off.unit == "hour":
        return previous + timedelta(hours=off.amount)
    return office_start(apply_offset(calendar, local_date(previous), off, before=False))
