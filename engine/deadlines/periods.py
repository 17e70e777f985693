"""Calendar periods (month, quarter, half-year, year) and the reporting windows of Decree 09/2019.

Evaluation (Decree 335/2025, art. 14(1): "hằng tháng hoặc quý") counts work per calendar month or
quarter. Periodic reports follow Decree 09/2019/NĐ-CP art. 12: the data of a report are cut off
on a window that runs from the 15th of the month before the period to the 14th of its last month
(monthly: 15/(m-1) → 14/m; quarterly: 15th of the month before the quarter → 14th of its last
month; half-yearly: 15/12 → 14/6 and 15/6 → 14/12; yearly: 15/12 of the previous year → 14/12).
The cut-off day is a parameter: an office whose reporting regime says otherwise sets its own.
Pure: dates in, dates out.
"""

from __future__ import annotations

import calendar as _cal
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from ..errors import PayloadError

Kind = Literal["month", "quarter", "half", "year"]
ROMAN = ("I", "II", "III", "IV")
DEFAULT_CUTOFF_DAY = 15  # Decree 09/2019 art. 12: data from the 15th to the 14th


class PeriodError(PayloadError):
    def __init__(self, text: str) -> None:
        super().__init__(
            "period",
            f"không đọc được kỳ {text!r}: dùng 2024-06 (tháng), 2024-Q2 (quý), "
            "2024-H1 (6 tháng) hoặc 2024 (năm)",
        )


_FORMS = re.compile(
    r"^\s*(?P<y>\d{4})(?:-(?:(?P<m>\d{1,2})|[Qq](?P<q>[1-4])|[Hh](?P<h>[12])))?\s*$"
)


@dataclass(frozen=True, order=True)
class Period:
    """One calendar period: ``kind`` and its 1-based ``index`` in ``year``."""

    year: int
    kind: Kind
    index: int = 1

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _FORMS.match(text or "")
        if m is None:
            raise PeriodError(text)
        y = int(m["y"])
        if not 1900 <= y <= 2199:
            raise PeriodError(text)
        if m["m"]:
            if not 1 <= int(m["m"]) <= 12:
                raise PeriodError(text)
            return cls(y, "month", int(m["m"]))
        if m["q"]:
            return cls(y, "quarter", int(m["q"]))
        if m["h"]:
            return cls(y, "half", int(m["h"]))
        return cls(y, "year", 1)

    @classmethod
    def containing(cls, kind: Kind, day: date) -> Period:
        index = {
            "month": day.month,
            "quarter": (day.month - 1) // 3 + 1,
            "half": 1 if day.month <= 6 else 2,
            "year": 1,
        }[kind]
        return cls(day.year, kind, index)

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "half": 6, "year": 12}[self.kind]

    @property
    def start(self) -> date:
        return date(self.year, (self.index - 1) * self.months + 1, 1)

    @property
    def end(self) -> date:
        last_month = self.index * self.months
        return date(self.year, last_month, _cal.monthrange(self.year, last_month)[1])

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def previous(self) -> Period:
        return Period.containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        return Period.containing(self.kind, self.end + timedelta(days=1))

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.index}"
        if self.kind == "half":
            return f"{self.year}-H{self.index}"
        return str(self.year)

    @property
    def label(self) -> str:
        """How an office writes it: "tháng 06/2024", "quý II/2024", "6 tháng đầu năm 2024"."""
        if self.kind == "month":
            return f"tháng {self.index:02d}/{self.year}"
        if self.kind == "quarter":
            return f"quý {ROMAN[self.index - 1]}/{self.year}"
        if self.kind == "half":
            return f"6 tháng {'đầu' if self.index == 1 else 'cuối'} năm {self.year}"
        return f"năm {self.year}"

    def report_window(self, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> tuple[date, date]:
        """The data window of this period's report (Decree 09/2019 art. 12): from
        ``cutoff_day`` of the month before the period to the day before ``cutoff_day`` of the
        period's last month. ``cutoff_day=1`` gives the calendar period itself."""
        if not 1 <= cutoff_day <= 28:
            raise ValueError("cutoff_day must be within 1..28")
        if cutoff_day == 1:
            return self.start, self.end
        before = self.start - timedelta(days=1)  # the last day of the month before
        first = date(before.year, before.month, cutoff_day)
        last_month_start = date(self.end.year, self.end.month, 1)
        return first, last_month_start + timedelta(days=cutoff_day - 2)
