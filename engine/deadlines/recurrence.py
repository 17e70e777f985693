"""Repeating deadlines ("trước ngày 20 hàng tháng", "thứ 6 hằng tuần", "định kỳ 6 tháng"). Pure.

A :class:`Recurrence` has a text form stored with a directive (``str()`` / :meth:`Recurrence.parse`):
``daily``, ``weekly:fri``, ``monthly:19``, ``monthly:end``, ``quarterly:20`` (day 20 of a
quarter's last month), ``quarterly:end``, ``semiannual:end``, ``semiannual:06-09`` (9 June and
9 December), ``yearly:12-14``.
"""

from __future__ import annotations

import calendar as _stdcal
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Freq = Literal["daily", "weekly", "monthly", "quarterly", "semiannual", "yearly"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def clip_day(year: int, month: int, day: int | None) -> date:
    """Day ``day`` of the month, or its last day when the month is shorter (or day is None)."""
    last = _stdcal.monthrange(year, month)[1]
    return date(year, month, last if day is None else min(day, last))


@dataclass(frozen=True)
class Recurrence:
    """A repeating deadline. ``day`` is a day of month (None: the period's last day), or for
    weekly ones a weekday 0-6 (Monday = 0; None: Friday); ``month`` is the month of a yearly
    one, or the first of the two months of a semiannual one with a fixed day."""

    freq: Freq
    day: int | None = None
    month: int | None = None

    def __str__(self) -> str:
        if self.freq == "daily":
            return "daily"
        if self.freq == "weekly":
            return f"weekly:{WEEKDAYS[4 if self.day is None else self.day]}"
        if self.freq == "yearly":
            return f"yearly:{self.month or 12:02d}-{self.day or 31:02d}"
        if self.freq == "semiannual" and self.month is not None:
            return f"semiannual:{self.month:02d}-{self.day or 31:02d}"
        return f"{self.freq}:{self.day if self.day is not None else 'end'}"

    @classmethod
    def parse(cls, text: str) -> Recurrence:
        """Inverse of ``str()``: 'monthly:19', 'monthly:end', 'quarterly:end', 'yearly:12-14'…"""
        freq, _, rest = text.partition(":")
        try:
            if freq == "daily" and rest == "":
                return cls("daily")
            if freq == "weekly":
                return cls("weekly", None if rest in ("", "fri") else WEEKDAYS.index(rest))
            if freq == "yearly":
                m, _, d = rest.partition("-")
                return cls("yearly", int(d), int(m))
            if freq == "semiannual" and "-" in rest:
                m, _, d = rest.partition("-")
                return cls("semiannual", int(d), int(m))
            if freq in ("monthly", "quarterly", "semiannual"):
                return cls(freq, None if rest in ("", "end") else int(rest))  # type: ignore[arg-type]
        except ValueError:
            pass
        raise ValueError(f"unknown recurrence {text!r}")

    def _period_months(self) -> tuple[int, ...]:
        if self.freq == "semiannual":
            first = ((self.month or 6) - 1) % 6 + 1
            return (first, first + 6)
        return {
            "monthly": tuple(range(1, 13)),
            "quarterly": (3, 6, 9, 12),
            "yearly": (self.month or 12,),
        }.get(self.freq, ())

    def next_due(self, on_or_after: date) -> date:
        """The first due date of this recurrence on or after ``on_or_after``."""
        if self.freq == "daily":
            return on_or_after
        if self.freq == "weekly":
            weekday = 4 if self.day is None else self.day
            return on_or_after + timedelta(days=(weekday - on_or_after.weekday()) % 7)
        months = self._period_months()
        year, month = on_or_after.year, on_or_after.month
        for _ in range(40):
            if month in months:
                candidate = clip_day(year, month, self.day)
                if candidate >= on_or_after:
                    return candidate
            month += 1
            if month > 12:
                year, month = year + 1, 1
        raise AssertionError("unreachable")  # pragma: no cover
