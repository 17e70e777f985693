"""Vietnamese working days. Pure.

Public holidays come from the ``holidays`` package (country VN: solar New Year, the lunar Tết
days the government gives, Hùng Kings, 30/4, 1/5, 2/9 and the day next to it, substituted
days), the week is Monday–Friday, and make-up Saturdays (*làm bù*, e.g. 04/05/2024) are working
days. An admin overrides file adds days off and working days the package does not know yet::

    days_off:
      - {date: 2027-02-05, name: Nghỉ Tết bổ sung}
    working_days:
      - {date: 2027-02-20, name: Làm bù}

The rules for counting periods (Civil Code 2015, art. 147–148) live in :mod:`dondoc.deadlines.phrases`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import holidays
import yaml

from ..errors import DeadlineError

WEEKDAY_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


@lru_cache(maxsize=64)
def _vn_year(year: int) -> tuple[dict[date, str], frozenset[date]]:
    """(holidays, make-up working Saturdays) of one year, from the holidays package."""
    vn = holidays.country_holidays("VN", years=year, language="vi")  # names a clerk reads
    days = {d: str(name) for d, name in vn.items() if d.year == year}
    workdays = frozenset(d for d in getattr(vn, "weekend_workdays", ()) if d.year == year)
    return days, workdays


class WorkingCalendar:
    """Which days are working days in a Vietnamese state agency."""

    def __init__(
        self,
        days_off: Iterable[tuple[date, str]] = (),
        working_days: Iterable[tuple[date, str]] = (),
    ) -> None:
        self.extra_off: dict[date, str] = dict(days_off)
        self.extra_working: dict[date, str] = dict(working_days)
        self._working: dict[date, bool] = {}  # memo: the calendar does not change once built
        self._prefix: dict[int, list[int]] = {}  # per year: working days in its first i days
        both = set(self.extra_off) & set(self.extra_working)
        if both:
            day = min(both)
            raise DeadlineError(str(day), "vừa là ngày nghỉ vừa là ngày làm việc")

    @classmethod
    def from_file(cls, path: str | Path) -> WorkingCalendar:
        """Load an overrides file (see module docstring). Raises DeadlineError on bad content."""
        p = Path(path)
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise DeadlineError(str(p), f"không đọc được tệp lịch nghỉ, làm bù: {exc}") from None
        if not isinstance(raw, dict) or set(raw) - {"days_off", "working_days"}:
            raise DeadlineError(str(p), "cần một bảng có 'days_off' và/hoặc 'working_days'")
        return cls(_entries(raw.get("days_off"), p), _entries(raw.get("working_days"), p))

    def holiday_name(self, day: date) -> str | None:
        """The name of the public holiday (or admin day off) on ``day``, if any."""
        if day in self.extra_off:
            return self.extra_off[day]
        return _vn_year(day.year)[0].get(day)

    def is_working_day(self, day: date) -> bool:
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = self._is_working_day(day)
        return known

    def _is_working_day(self, day: date) -> bool:
        if day in self.extra_working:
            return True
        if day in self.extra_off:
            return False
        holidays_, makeup = _vn_year(day.year)
        if day in makeup:
            return True
        if day.weekday() >= 5:
            return False
        return day not in holidays_

    def why_not_working(self, day: date) -> str | None:
        """None for a working day; otherwise e.g. 'Chủ nhật' or 'ngày nghỉ lễ (Quốc khánh)'."""
        if self.is_working_day(day):
            return None
        name = self.holiday_name(day)
        if name is not None:
            return f"ngày nghỉ lễ ({name})" if name else "ngày nghỉ"
        return WEEKDAY_VI[day.weekday()]

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the last working day before it."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (``day`` itself is not counted); n may be negative."""
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date, *, at_most: int | None = None) -> int:
        """Working days in (start, end]: how many working days from ``start`` until ``end``.

        Negative when ``end`` is before ``start``. With ``at_most``, the answer is at most
        ``at_most + 1`` (enough to answer "within N working days?").

        Counted from per-year running totals (each year's days walked once, then two
        look-ups), so a directive two years late costs what one due tomorrow costs; spans of
        more than :data:`PREFIX_YEARS` years are walked day by day (stopping at ``at_most``).
        """
        if end < start:
            return -self.working_days_between(end, start)
        if end.year - start.year <= PREFIX_YEARS:
            count = self._through(end) - self._through(start)
            count += sum(self._year(y)[-1] for y in range(start.year, end.year))
            return count if at_most is None else min(count, at_most + 1)
        return self._walk(start, end, at_most)

    def _year(self, year: int) -> list[int]:
        """[working days among the first i days of ``year``] for i = 0 … days in the year."""
        prefix = self._prefix.get(year)
        if prefix is None:
            prefix = [0]
            day = date(year, 1, 1)
            while day.year == year:
                prefix.append(prefix[-1] + self.is_working_day(day))
                if day == date.max:
                    break
                day += timedelta(days=1)
            self._prefix[year] = prefix
        return prefix

    def _through(self, day: date) -> int:
        """Working days from 1 January of ``day``'s year through ``day``."""
        return self._year(day.year)[day.timetuple().tm_yday]

    def _walk(self, start: date, end: date, at_most: int | None) -> int:
        """Working days in (start, end], one day at a time (``start`` <= ``end``)."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
                if at_most is not None and count > at_most:
                    break
        return count


def _entries(value: Any, path: Path) -> list[tuple[date, str]]:
    out: list[tuple[date, str]] = []
    for item in value or []:
        if isinstance(item, date):
            out.append((item, ""))
        elif isinstance(item, dict) and isinstance(item.get("date"), date):
            out.append((item["date"], str(item.get("name", ""))))
        else:
            raise DeadlineError(
                str(path), f"mục lịch không hợp lệ {item!r}; cần dạng {{date: YYYY-MM-DD, name: …}}"
            )
    return out


#: Spans up to this many years are counted from per-year totals (see working_days_between).
PREFIX_YEARS = 60

DEFAULT_CALENDAR = WorkingCalendar()
