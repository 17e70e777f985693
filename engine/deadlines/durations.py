"""Lengths of time as admins write them in workflow files: "3 ngày làm việc", "5 ngày", "2 giờ".

Pure: parsing only. Applying an offset to a date on the Vietnamese calendar is the job of
:mod:`dondoc.deadlines.calendar`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Unit = Literal["working_day", "day", "hour"]

_UNITS: dict[str, Unit] = {
    "ngày làm việc": "working_day",
    "ngay lam viec": "working_day",
    "working day": "working_day",
    "working days": "working_day",
    "wd": "working_day",
    "ngày": "day",
    "ngay": "day",
    "day": "day",
    "days": "day",
    "d": "day",
    "giờ": "hour",
    "gio": "hour",
    "hour": "hour",
    "hours": "hour",
    "h": "hour",
}
_RX = re.compile(r"^\s*(\d{1,4})\s*([^\d]+?)\s*$")


@dataclass(frozen=True)
class Offset:
    """``amount`` units of ``unit`` (working days skip weekends and public holidays)."""

    amount: int
    unit: Unit

    def __str__(self) -> str:
        label = {"working_day": "ngày làm việc", "day": "ngày", "hour": "giờ"}[self.unit]
        return f"{self.amount} {label}"


@lru_cache(maxsize=512)
def parse_offset(text: str) -> Offset:
    """Read "3 ngày làm việc", "5 ngày", "2 giờ", "3 working days", "1d".

    Raises ValueError with what was expected.
    """
    norm = unicodedata.normalize("NFC", str(text)).strip().lower()
    match = _RX.match(norm)
    if match:
        unit = _UNITS.get(" ".join(match.group(2).split()))
        if unit is not None:
            return Offset(int(match.group(1)), unit)
    raise ValueError(
        f"không đọc được khoảng thời gian {text!r}; cần dạng '3 ngày làm việc', '5 ngày', '2 giờ'"
    )
