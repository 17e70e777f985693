"""Named days a deadline can be set against: Tết Nguyên đán (with the can-chi names of lunar
years, "Ất Tỵ", "Bính Ngọ"), Tết Dương lịch, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh, Tết
Trung thu. Pure. Lunar dates come from the ``holidays`` package (its Vietnamese lunisolar
calendar, the one the government's holiday notices follow)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from holidays.calendars.chinese import VIETNAMESE_CALENDAR, _ChineseLunisolar

from ..errors import DeadlineError

STEMS = ("giáp", "ất", "bính", "đinh", "mậu", "kỷ", "canh", "tân", "nhâm", "quý")
BRANCHES = ("tý", "sửu", "dần", "mão", "thìn", "tỵ", "ngọ", "mùi", "thân", "dậu", "tuất", "hợi")
BRANCH_SPELLINGS = {"mẹo": "mão", "tị": "tỵ", "tí": "tý"}

# the regex alternatives, longest first (normalised lower-case text)
STEM_RX = "|".join(STEMS)
BRANCH_RX = "|".join(sorted((*BRANCHES, *BRANCH_SPELLINGS), key=len, reverse=True))

# name in the text → (key, solar month, solar day) for fixed days; lunar ones have no month
FESTIVALS: dict[str, tuple[str, int | None, int | None]] = {
    "tết nguyên đán": ("lunar_new_year", None, None),
    "tết âm lịch": ("lunar_new_year", None, None),
    "tết cổ truyền": ("lunar_new_year", None, None),
    "tết": ("lunar_new_year", None, None),
    "tết dương lịch": ("new_year", 1, 1),
    "tết tây": ("new_year", 1, 1),
    "giỗ tổ hùng vương": ("hung_kings", None, None),
    "tết trung thu": ("mid_autumn", None, None),
    "ngày giải phóng miền nam": ("liberation", 4, 30),
    "ngày quốc tế lao động": ("labour", 5, 1),
    "quốc khánh": ("national_day", 9, 2),
    "lễ quốc khánh": ("national_day", 9, 2),
    "ngày quốc khánh": ("national_day", 9, 2),
}
NAMES_RX = "|".join(n.replace(" ", r"\s+") for n in sorted(FESTIVALS, key=len, reverse=True))


@lru_cache(maxsize=256)
def _lunar(key: str, year: int) -> date:
    cal = _ChineseLunisolar(calendar=VIETNAMESE_CALENDAR)
    method = {
        "lunar_new_year": cal.lunar_new_year_date,
        "hung_kings": cal.hung_kings_date,
        "mid_autumn": cal.mid_autumn_date,
    }[key]
    day, _ = method(year)
    if day is None:
        raise DeadlineError(str(year), f"âm lịch không có ngày này cho năm {year}")
    return day


def festival_day(name: str, year: int) -> date:
    """The (first) day of the festival ``name`` (a key of :data:`FESTIVALS`) in ``year``."""
    key, month, day = FESTIVALS[" ".join(name.split())]
    if month is not None and day is not None:
        return date(year, month, day)
    return _lunar(key, year)


def next_festival_day(name: str, on_or_after: date) -> date:
    """The festival's first day on or after ``on_or_after`` (this year's, or next year's)."""
    this_year = festival_day(name, on_or_after.year)
    return this_year if this_year >= on_or_after else festival_day(name, on_or_after.year + 1)


def can_chi_year(stem: str, branch: str, near: int) -> int:
    """The year named ``stem branch`` ("Bính Ngọ") nearest to ``near`` (the cycle is 60 years;
    between two equally near, the later)."""
    branch = BRANCH_SPELLINGS.get(branch, branch)
    s, b = STEMS.index(stem), BRANCHES.index(branch)
    if (s - b) % 2:
        raise DeadlineError(f"{stem} {branch}", "không có năm nào mang tên can chi này")
    # year ≡ s + 4 (mod 10) and ≡ b + 4 (mod 12)
    candidates = [y for y in range(near - 30, near + 31) if (y - 4) % 10 == s and (y - 4) % 12 == b]
    return min(candidates, key=lambda y: (abs(y - near), -y))


def can_chi_name(year: int) -> str:
    return f"{STEMS[(year - 4) % 10].capitalize()} {BRANCHES[(year - 4) % 12].capitalize()}"
