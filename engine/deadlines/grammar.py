"""The rules of the deadline language: one regular expression and one handler per form. Pure.

Each rule reads normalised text (lower case, white space folded; see ``phrases.normalize``) and
gives a :class:`Result`. :func:`dondoc.deadlines.phrases.parse_deadline` runs them and picks one.
The Civil Code 2015 rules (art. 146–148) and "trước ngày D = the day before D" are documented in
``docs/deadlines.md``; each handler names the rule it applied.
"""

from __future__ import annotations

import calendar as _stdcal
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta

from ..errors import DeadlineError
from .calendar import WorkingCalendar
from .festivals import (
    BRANCH_RX,
    NAMES_RX,
    STEM_RX,
    can_chi_name,
    can_chi_year,
    festival_day,
    next_festival_day,
)
from .recurrence import Freq, Recurrence, clip_day

# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    due: date | None
    start: date | None = None
    recurrence: Recurrence | None = None
    rule: str = ""
    due_time: time | None = None
    event: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ctx:
    issued: date
    cal: WorkingCalendar

    def read_date(self, text: str, *, not_before: date | None = None) -> date:
        """Read one date expression; a missing year means the first such date on/after issue;
        "năm sau/tới" the next year, "năm nay" this one."""
        m = _DATE_RX.match(text.strip())
        if not m:  # pragma: no cover - callers only pass DATE matches
            raise DeadlineError(text, "không phải là một ngày")
        d, mo = int(m["d1"] or m["d2"]), int(m["m1"] or m["m2"])
        y, rel = m["y1"] or m["y2"], m["r1"] or m["r2"]
        if rel is not None:
            y = str(self.issued.year + (0 if rel in ("nay", "này") else 1))
        if y is not None:
            year = read_year(y)
            try:
                return date(year, mo, d)
            except ValueError:
                raise DeadlineError(text, f"không có ngày {d:02d}/{mo:02d}/{year}") from None
        anchor = not_before or self.issued
        for year in range(anchor.year, anchor.year + 5):
            try:
                candidate = date(year, mo, d)
            except ValueError:
                continue
            if candidate >= anchor:
                return candidate
        raise DeadlineError(text, f"không có ngày {d:02d}/{mo:02d}")

    def month(
        self, month: str, year: str | None, *, not_before: date | None = None
    ) -> tuple[int, int]:
        mo = int(month)
        if not 1 <= mo <= 12:
            raise DeadlineError(f"tháng {month}", "tháng phải từ 1 đến 12")
        if year is not None:
            return read_year(year), mo
        anchor = not_before or self.issued
        y = anchor.year
        if last_day(y, mo) < anchor:
            y += 1
        return y, mo

    def quarter(self, q: str, year: str | None) -> tuple[int, int]:
        n = ROMAN.get(q) or int(q)
        if year is not None:
            return read_year(year), n
        y = self.issued.year
        if last_day(y, 3 * n) < self.issued:
            y += 1
        return y, n

    def period_end(self, anchor: date, n: int, unit: str) -> tuple[date, tuple[str, ...]]:
        """Art. 147-148: a period of n units after the event day ``anchor``."""
        if unit == "ngày làm việc":
            return self.cal.add_working_days(anchor, n), ()
        if unit == "ngày":
            end = anchor + timedelta(days=n)
        elif unit == "tuần":
            end = anchor + timedelta(weeks=n)
        else:  # tháng
            end = add_months(anchor, n)
        moved = self.cal.next_working_day(end)
        if moved == end:
            return end, ()
        return moved, (
            f"ngày cuối của thời hạn {end:%d/%m/%Y} là {self.cal.why_not_working(end)}; thời hạn "
            f"kết thúc vào ngày làm việc tiếp theo {moved:%d/%m/%Y} (Điều 148 Bộ luật Dân sự)",
        )


# --- date helpers ----------------------------------------------------------------------------

FIRST_YEAR, LAST_YEAR = 1900, 2199
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def last_day(year: int, month: int) -> date:
    return date(year, month, _stdcal.monthrange(year, month)[1])


def add_months(day: date, n: int) -> date:
    """Art. 148(1): the corresponding day of the n-th month; its last day if it has none."""
    month0 = day.month - 1 + n
    return clip_day(day.year + month0 // 12, month0 % 12 + 1, day.day)


def read_year(text: str) -> int:
    """A written year: two digits are 20xx; outside 1900-2199 is an error, never a guess."""
    y = int(text)
    if len(text) <= 2:
        return 2000 + y
    if not FIRST_YEAR <= y <= LAST_YEAR:
        raise DeadlineError(
            text, f"năm {text} nằm ngoài khoảng cho phép ({FIRST_YEAR}-{LAST_YEAR})"
        )
    return y


def read_time(text: str) -> time:
    """'17 giờ', '15h30', '9 giờ 00 phút', '16:30' → a time of day."""
    hh, mm = re.findall(r"\d+", text)[:2] + ["0"] * (2 - len(re.findall(r"\d+", text)[:2]))
    return time(int(hh), int(mm))


# --- the pieces of the grammar ---------------------------------------------------------------

_W = r"(?<![\w])"  # start of a word (Unicode-aware)
_DN = r"(?<!\d)\d{1,2}(?!\d)"
_REL_YEAR = r"(?:sau|tới|nay|này)(?![\w])"
DATE = (
    rf"(?:ngày\s+)?(?:{_DN}\s*[/.\-]\s*{_DN}(?:\s*[/.\-]\s*(?:\d{{4,}}|\d{{2}})(?!\d)|\s+năm\s+{_REL_YEAR})?"
    rf"|{_DN}\s+tháng\s+{_DN}(?:\s*,?\s*năm\s+(?:\d{{4,}}(?!\d)|{_REL_YEAR}))?)"
)
_DATE_RX = re.compile(
    r"^(?:ngày\s+)?(?:(?P<d1>\d{1,2})\s*[/.\-]\s*(?P<m1>\d{1,2})"
    r"(?:\s*[/.\-]\s*(?P<y1>\d{4,}|\d{2})|\s+năm\s+(?P<r1>sau|tới|nay|này))?"
    r"|(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})(?:\s*,?\s*năm\s+(?:(?P<y2>\d{4,})|(?P<r2>sau|tới|nay|này)))?)$"
)
TIME = (
    r"(?:(?<!\d)(?:[01]?\d|2[0-3])\s*(?:giờ|h)(?:\s*[0-5]\d(?:\s*phút|p)?)?(?![\w/])"
    r"|(?<!\d)(?:[01]?\d|2[0-3]):[0-5]\d(?!\d))"
)


def _month_rx(tag: str = "") -> str:
    return rf"tháng\s+(?P<mo{tag}>\d{{1,2}})(?!\d)(?:\s*(?:/|-|năm)\s*(?P<y{tag}>\d{{4,}})(?!\d))?"


MONTH = _month_rx()
QUARTER = r"quý\s+(?P<q>iv|i{1,3}|[1-4])(?![\w])(?:\s*(?:/|-|năm)\s*(?P<y>\d{4,})(?!\d))?"
_REL = r"(?P<rel>sau|tới|này|nay)(?![\w])"
_NOT_PAST = r"(?!\s+(?:qua|trước|vừa|rồi|đầu|cuối|học|tài))"
_EVERY = r"(?:hàng|hằng|mỗi)"
_WEEKDAY = r"(?:thứ\s+(?P<wd>2|3|4|5|6|7|hai|ba|tư|năm|sáu|bảy)|(?P<sun>chủ\s+nhật|cn))"
_WEEKDAYS = {"2": 0, "hai": 0, "3": 1, "ba": 1, "4": 2, "tư": 2, "5": 3, "năm": 3}
_WEEKDAYS |= {"6": 4, "sáu": 4, "7": 5, "bảy": 5}

# --- rules -----------------------------------------------------------------------------------

Handler = Callable[[re.Match[str], Ctx], Result]
RULES: list[tuple[str, re.Pattern[str], Handler]] = []


def _rule(name: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        RULES.append((name, re.compile(pattern), fn))
        return fn

    return register


_PERIOD_UNIT = r"(ngày\s+làm\s+việc|ngày|tuần|tháng)"
_ISSUE_EVENT = r"(?:ngày\s+)?(?:ký|ban\s+hành|nhận\s+được|nhận|văn\s+bản\s+(?:này\s+)?có\s+hiệu\s+lực|có\s+hiệu\s+lực)[^,.;]{0,80}"
_EVENT_TEXT = r"(?!\d)(?!đã\s)[^,.;:()\n]{2,120}"


@_rule(
    "period",
    rf"{_W}(?:trong|chậm\s+nhất|không\s+quá|tối\s+đa)\s+(?:vòng\s+|thời\s+hạn\s+|thời\s+gian\s+|phạm\s+vi\s+)?(?:không\s+quá\s+|tối\s+đa\s+)?"
    rf"(?P<n>\d{{1,3}})\s*(?:\([^)]{{0,40}}\)\s*)?(?P<unit>{_PERIOD_UNIT})(?!\s+\d)"
    rf"(?:\s*,?\s*(?:kể\s+)?(?:từ|tính\s+từ|sau)\s+(?:ngày\s+)?(?:(?P<date>{DATE})|(?P<event>{_ISSUE_EVENT})|khi\s+(?P<other>{_EVENT_TEXT})))?",
)
def _period(m: re.Match[str], ctx: Ctx) -> Result:
    n = int(m["n"])
    unit = " ".join(m["unit"].split())
    if m["other"]:
        event = m["other"].strip()
        return Result(None, rule=f"period of {n} {unit} after an event", event=event)
    event = m["event"]
    warnings: tuple[str, ...] = ()
    if m["date"]:
        anchor = ctx.read_date(m["date"])
    else:
        anchor = ctx.issued
        if event is None:
            warnings = ("không nêu mốc bắt đầu; thời hạn được tính từ ngày ban hành",)
        elif "nhận" in event:
            warnings = (
                "thời hạn tính từ ngày nhận văn bản; chưa biết ngày nhận nên được tính từ ngày ban hành",
            )
    due, moved = ctx.period_end(anchor, n, unit)
    return Result(
        due, rule=f"period of {n} {unit} after {anchor:%d/%m/%Y}", warnings=warnings + moved
    )


@_rule("range of dates", rf"{_W}từ\s+(?P<d1>{DATE})\s+(?:đến|tới)\s+(?:hết\s+)?(?P<d2>{DATE})")
def _date_range(m: re.Match[str], ctx: Ctx) -> Result:
    start = ctx.read_date(m["d1"])
    due = ctx.read_date(m["d2"], not_before=start)
    if due < start:
        raise DeadlineError(m.group(0), "khoảng thời gian kết thúc trước khi bắt đầu")
    return Result(due, start, rule="từ ngày D1 đến ngày D2")


@_rule(
    "monthly window",
    rf"{_W}từ\s+ngày\s+(?P<d1>\d{{1,2}})\s+(?:đến|tới)\s+(?:hết\s+)?ngày\s+(?P<d2>\d{{1,2}})\s+(?:của\s+)?{_EVERY}\s+tháng",
)
def _monthly_window(m: re.Match[str], ctx: Ctx) -> Result:
    d1, d2 = int(m["d1"]), int(m["d2"])
    if not 1 <= d1 <= d2 <= 31:
        raise DeadlineError(
            m.group(0), "khoảng trong tháng phải từ một ngày 1-31 đến một ngày sau đó"
        )
    rec = Recurrence("monthly", d2)
    return Result(rec.next_due(ctx.issued), recurrence=rec, rule="monthly window: by its last day")


@_rule(
    "range of months",
    rf"{_W}từ\s+(?:đầu\s+)?{_month_rx('1')}\s+(?:đến|tới)\s+(?:hết\s+|cuối\s+)?{_month_rx('2')}",
)
def _month_range(m: re.Match[str], ctx: Ctx) -> Result:
    y2, m2 = ctx.month(m["mo2"], m["y2"])
    m1 = int(m["mo1"])
    y1 = read_year(m["y1"]) if m["y1"] else (y2 if m1 <= m2 else y2 - 1)
    if not 1 <= m1 <= 12:
        raise DeadlineError(m.group(0), "tháng phải từ 1 đến 12")
    start = date(y1, m1, 1)
    due = last_day(y2, m2)
    if due < start:
        raise DeadlineError(m.group(0), "khoảng thời gian kết thúc trước khi bắt đầu")
    return Result(due, start, rule="từ tháng M1 đến hết tháng M2")


_AT = rf"(?:(?:lúc|vào\s+lúc)\s+)?(?P<t>{TIME})\s*,?\s*"


@_rule(
    "before date",
    rf"{_W}trước\s+(?:{_AT})?(?P<d>{DATE})(?:\s*,?\s*(?:lúc|vào\s+lúc)?\s*(?P<t2>{TIME}))?",
)
def _before_date(m: re.Match[str], ctx: Ctx) -> Result:
    day = ctx.read_date(m["d"])
    at = m["t"] or m["t2"]
    if at:
        return Result(day, due_time=read_time(at), rule="trước H giờ ngày D: D, before H")
    return Result(day - timedelta(days=1), rule="trước ngày D: the day before D")


@_rule(
    "on date",
    rf"{_W}(?:chậm\s+nhất|muộn\s+nhất|hạn\s+chót|hạn\s+cuối|không\s+quá|không\s+muộn\s+hơn|đến|tới|trong|xong|vào|"
    rf"(?:thời\s+)?hạn(?:\s+hoàn\s+thành|\s+xử\s+lý|\s+báo\s+cáo|\s+nộp)?\s*[:\-]?)"
    rf"\s+(?:là\s+)?(?:vào\s+)?(?:{_AT})?(?:trước\s+hoặc\s+trong\s+)?(?P<d>{DATE})",
)
def _on_date(m: re.Match[str], ctx: Ctx) -> Result:
    at = read_time(m["t"]) if m["t"] else None
    return Result(
        ctx.read_date(m["d"]), due_time=at, rule="chậm nhất/hạn chót/đến/trong ngày D: D itself"
    )


@_rule("from date", rf"{_W}(?:kể\s+)?từ\s+(?P<d>{DATE})")
def _from_date(m: re.Match[str], ctx: Ctx) -> Result:
    return Result(None, ctx.read_date(m["d"]), rule="kể từ ngày D: starts on D, no end")


_MONTH_LEAD = (
    r"(?:(?:trong|hết|cuối|đến\s+hết|đến\s+cuối|trước\s+hết|chậm\s+nhất\s+(?:là\s+)?(?:cuối|hết|trong)|"
    r"hoàn\s+thành(?:\s+trong)?|(?:vào|trong)\s+(?:kỳ|đợt)(?:\s+[^\s\d,.;]+){0,3})|(?P<early>đầu)|(?P<mid>giữa)|(?P<before>trước))"
)


def _in_month(m: re.Match[str], y: int, mo: int) -> Result:
    if m["early"]:
        return Result(date(y, mo, 1), rule="đầu tháng: day 1 (art. 146)")
    if m["mid"]:
        return Result(date(y, mo, 15), rule="giữa tháng: day 15 (art. 146)")
    if m["before"]:
        return Result(
            date(y, mo, 1) - timedelta(days=1),
            rule="trước tháng M: the last day of the month before",
        )
    return Result(last_day(y, mo), rule="trong/hết/cuối tháng: the month's last day (art. 146)")


@_rule("month", rf"{_W}{_MONTH_LEAD}\s+{MONTH}")
def _month(m: re.Match[str], ctx: Ctx) -> Result:
    return _in_month(m, *ctx.month(m["mo"], m["y"]))


@_rule(
    "this or next month", rf"{_W}{_MONTH_LEAD}\s+tháng(?:\s+{_REL})?(?![\w/])(?!\s*\d){_NOT_PAST}"
)
def _month_relative(m: re.Match[str], ctx: Ctx) -> Result:
    y, mo = ctx.issued.year, ctx.issued.month
    if m["rel"] in ("sau", "tới"):
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    return _in_month(m, y, mo)


_QUARTER_LEAD = r"(?:(?P<early>đầu)\s+|(?P<before>trước)\s+|(?:trong|hết|cuối|đến\s+hết|trước\s+hết|chậm\s+nhất)\s+)"


def _in_quarter(m: re.Match[str], y: int, q: int) -> Result:
    if m["early"]:
        return Result(date(y, 3 * q - 2, 1), rule="đầu quý: the quarter's first day")
    if m["before"]:
        return Result(
            date(y, 3 * q - 2, 1) - timedelta(days=1), rule="trước quý: the day before it starts"
        )
    return Result(last_day(y, 3 * q), rule="quý: the quarter's last day")


@_rule("quarter", rf"{_W}{_QUARTER_LEAD}?{QUARTER}")
def _quarter(m: re.Match[str], ctx: Ctx) -> Result:
    return _in_quarter(m, *ctx.quarter(m["q"], m["y"]))


@_rule(
    "this or next quarter", rf"{_W}{_QUARTER_LEAD}quý(?:\s+{_REL})?(?![\w/])(?!\s*\d){_NOT_PAST}"
)
def _quarter_relative(m: re.Match[str], ctx: Ctx) -> Result:
    y, q = ctx.issued.year, (ctx.issued.month - 1) // 3 + 1
    if m["rel"] in ("sau", "tới"):
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return _in_quarter(m, y, q)


@_rule(
    "week",
    rf"{_W}(?:trong|hết|cuối|đến\s+hết|đến\s+cuối)\s+tuần(?:\s+{_REL})?(?![\w/])(?!\s*\d){_NOT_PAST}",
)
def _week(m: re.Match[str], ctx: Ctx) -> Result:
    sunday = ctx.issued + timedelta(days=6 - ctx.issued.weekday())
    if m["rel"] in ("sau", "tới"):
        sunday += timedelta(weeks=1)
    return Result(sunday, rule="trong/cuối tuần: the week's last day (Sunday)")


@_rule("half year", rf"{_W}(?:trong\s+)?(6|sáu)\s+tháng\s+(đầu|cuối)\s+năm(?:\s+(\d{{4,}})(?!\d))?")
def _half_year(m: re.Match[str], ctx: Ctx) -> Result:
    y = read_year(m.group(3)) if m.group(3) else ctx.issued.year
    due = date(y, 6, 30) if m.group(2) == "đầu" else date(y, 12, 31)
    return Result(due, rule="6 tháng đầu/cuối năm: 30/6 or 31/12")


@_rule(
    "year",
    rf"{_W}(?<!dịp\s)(?:(đầu)|(giữa)|(?:cuối|hết|trong|đến\s+hết|trước\s+hết|chậm\s+nhất\s+(?:là\s+)?(?:cuối|hết|trong)))\s+năm"
    rf"(?:\s+(\d{{4,}})(?!\d)|\s+(nay|này|sau|tới)(?![\w]))?(?!\s*(?:học|tài|qua|trước|\d))",
)
def _year_rule(m: re.Match[str], ctx: Ctx) -> Result:
    if m.group(3):
        y = read_year(m.group(3))
    else:
        y = ctx.issued.year + (1 if m.group(4) in ("sau", "tới") else 0)
    if m.group(1):
        return Result(date(y, 1, 1), rule="đầu năm: 1 January (art. 146)")
    if m.group(2):
        return Result(date(y, 6, 30), rule="giữa năm: 30 June (art. 146)")
    return Result(date(y, 12, 31), rule="cuối/hết/trong năm: 31 December (art. 146)")


def _day_before(day: int, before: bool, text: str) -> int:
    if not 1 <= day <= 31:
        raise DeadlineError(text, "ngày trong tháng phải từ 1 đến 31")
    if before:
        if day == 1:
            raise DeadlineError(text, f"'{text}' không có ngày nào trước nó trong cùng tháng")
        return day - 1
    return day


@_rule(
    "monthly on a day",
    rf"{_W}(?:(trước)\s+)?(?:(?:chậm\s+nhất|vào)\s+)?(?:ngày\s+)?(\d{{1,2}})\s+(?:của\s+)?{_EVERY}\s+tháng",
)
def _monthly_day(m: re.Match[str], ctx: Ctx) -> Result:
    rec = Recurrence("monthly", _day_before(int(m.group(2)), bool(m.group(1)), m.group(0)))
    return Result(rec.next_due(ctx.issued), recurrence=rec, rule="monthly on a day")


@_rule(
    "quarterly on a day",
    rf"{_W}(?:(trước)\s+)?(?:(?:chậm\s+nhất|vào)\s+)?(?:ngày\s+)?(\d{{1,2}})\s+(?:của\s+)?tháng\s+cuối\s+(?:{_EVERY}\s+)?quý",
)
def _quarterly_day(m: re.Match[str], ctx: Ctx) -> Result:
    rec = Recurrence("quarterly", _day_before(int(m.group(2)), bool(m.group(1)), m.group(0)))
    return Result(
        rec.next_due(ctx.issued),
        recurrence=rec,
        rule="quarterly on a day of the quarter's last month",
    )


def _day_of_year(m: re.Match[str], before: bool) -> date:
    try:
        d = date(2024, int(m["mo"]), int(m["dd"]))  # a leap year accepts 29/02
    except ValueError:
        raise DeadlineError(m.group(0), "không có ngày này trong năm") from None
    return d - timedelta(days=1) if before else d


_DAY_MONTH = r"(?:ngày\s+)?(?P<dd>\d{1,2})(?:\s*[/.\-]\s*|\s+tháng\s+)(?P<mo>\d{1,2})(?!\d)"


@_rule("yearly on a date", rf"{_W}(?:(?P<b>trước)\s+)?{_DAY_MONTH}\s+(?:của\s+)?{_EVERY}\s+năm")
def _yearly_date(m: re.Match[str], ctx: Ctx) -> Result:
    d = _day_of_year(m, bool(m["b"]))
    rec = Recurrence("yearly", d.day, d.month)
    return Result(rec.next_due(ctx.issued), recurrence=rec, rule="yearly on a date")


@_rule(
    "half-yearly on a date",
    rf"{_W}định\s+kỳ\s+(?:6|sáu)\s+tháng(?:\s+(?:một|1)\s+lần|\s*/\s*lần)?\s*,?\s*(?:(?P<b>trước)\s+|(?:chậm\s+nhất|vào)\s+)?{_DAY_MONTH}(?!\s*[/.\-]\s*\d)",
)
def _half_yearly_date(m: re.Match[str], ctx: Ctx) -> Result:
    d = _day_of_year(m, bool(m["b"]))
    rec = Recurrence("semiannual", d.day, (d.month - 1) % 6 + 1)
    return Result(
        rec.next_due(ctx.issued),
        recurrence=rec,
        rule="every 6 months on a date (and 6 months apart)",
    )


@_rule("once a month", rf"{_W}(?:ít\s+nhất\s+)?(?:1|một)\s+(?:lần\s*/\s*tháng|tháng\s*/\s*lần)")
def _once_a_month(m: re.Match[str], ctx: Ctx) -> Result:
    rec = Recurrence("monthly")
    return Result(
        rec.next_due(ctx.issued), recurrence=rec, rule="at least once a month: by each month's end"
    )


@_rule(
    "recurring period",
    rf"{_W}(?:định\s+kỳ\s+)?(?:{_EVERY}\s+(ngày|tuần|tháng|quý|năm)|định\s+kỳ\s+(6|sáu)\s+tháng)(?![\w])",
)
def _recurring(m: re.Match[str], ctx: Ctx) -> Result:
    kind = m.group(1) or "6 tháng"
    freq: Freq = {
        "ngày": "daily",
        "tuần": "weekly",
        "tháng": "monthly",
        "quý": "quarterly",
        "năm": "yearly",
        "6 tháng": "semiannual",
    }[kind]  # type: ignore[assignment]
    rec = Recurrence(freq)
    return Result(
        rec.next_due(ctx.issued), recurrence=rec, rule=f"every {kind}: the period's last day"
    )


@_rule(
    "daily at a time",
    rf"{_W}(?:(?:trước|vào|chậm\s+nhất|lúc|vào\s+lúc)\s+)?(?P<t>{TIME})\s*,?\s*(?:các\s+ngày\s+|{_EVERY}\s+)ngày(?![\w])",
)
def _daily_time(m: re.Match[str], ctx: Ctx) -> Result:
    rec = Recurrence("daily")
    return Result(
        ctx.issued, recurrence=rec, due_time=read_time(m["t"]), rule="every day at a time"
    )


@_rule(
    "weekly on a day",
    rf"{_W}(?:(?P<b>trước)\s+)?(?:(?:chậm\s+nhất|vào)\s+)?(?:{_AT})?(?:ngày\s+)?{_WEEKDAY}\s+(?:của\s+)?{_EVERY}\s+tuần",
)
def _weekly_day(m: re.Match[str], ctx: Ctx) -> Result:
    weekday = 6 if m["sun"] else _WEEKDAYS[m["wd"]]
    at = read_time(m["t"]) if m["t"] else None
    if m["b"] and at is None:
        weekday = (weekday - 1) % 7
    rec = Recurrence("weekly", weekday)
    return Result(rec.next_due(ctx.issued), recurrence=rec, due_time=at, rule="weekly on a day")


@_rule(
    "named day",
    rf"{_W}(?P<lead>(?:chậm\s+nhất\s+(?:là\s+)?)?trước|(?<!nhân\s)(?:vào\s+|trong\s+)?dịp|đến|vào|trong)\s+(?:ngày\s+)?(?:lễ\s+)?"
    rf"(?P<name>{NAMES_RX})(?![\w])(?:\s+(?P<stem>{STEM_RX})\s+(?P<branch>{BRANCH_RX})(?![\w]))?"
    rf"(?:\s+2\s*/\s*9)?(?:\s+(?:năm\s+)?(?P<y>\d{{4,}})(?!\d))?",
)
def _named_day(m: re.Match[str], ctx: Ctx) -> Result:
    name = " ".join(m["name"].split())
    year = read_year(m["y"]) if m["y"] else None
    if m["stem"]:
        named = can_chi_year(m["stem"], m["branch"], year or ctx.issued.year)
        if year is not None and named != year:
            raise DeadlineError(
                m.group(0),
                f"{m['stem']} {m['branch']} là năm {named} ({can_chi_name(named)}), không phải {year}",
            )
        year = named
    day = festival_day(name, year) if year is not None else next_festival_day(name, ctx.issued)
    if m["lead"].endswith("trước"):
        return Result(day - timedelta(days=1), rule=f"trước {name}: the day before {day:%d/%m/%Y}")
    return Result(day, rule=f"{name}: {day:%d/%m/%Y}")


_EVENT_LEAD = (
    r"ngay\s+sau\s+khi|ngay\s+khi|ngay\s+sau|sau\s+khi|trước\s+khi|kể\s+từ\s+khi|"
    r"trước\s+thời\s+điểm|trước\s+ngày|khi\s+có"
)


@_rule(
    "event",
    rf"{_W}(?P<lead>{_EVENT_LEAD})\s+(?!(?:ngày\s+)?(?:lễ\s+)?(?:{NAMES_RX})(?![\w]))(?P<event>{_EVENT_TEXT})"
    rf"(?:\s*\([^()]{{0,60}}?(?P<d>{DATE})[^()]{{0,30}}\))?",
)
def _event(m: re.Match[str], ctx: Ctx) -> Result:
    event = " ".join(m["event"].split())
    if m["d"]:  # "(dự kiến bắt đầu từ 19/1 tới)": the text gives the event's date
        day = ctx.read_date(m["d"])
        before = m["lead"].startswith("trước")
        return Result(
            day - timedelta(days=1) if before else day,
            event=event,
            rule="an event with its date given: " + ("the day before it" if before else "that day"),
        )
    return Result(None, event=event, rule="relative to an event: no date until it happens")


# What a text must contain for a rule to be worth running (a substring of the normalised text,
# and whether it needs a digit): a cheap test that spares most regular-expression passes over
# clauses that cannot match. It only skips rules that could not match anyway.
NEEDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "period": (("ngày", "tuần", "tháng"), True),
    "range of dates": (("từ",), True),
    "monthly window": (("tháng",), True),
    "range of months": (("tháng",), True),
    "before date": (("trước",), True),
    "on date": ((), True),
    "from date": (("từ",), True),
    "month": (("tháng",), True),
    "this or next month": (("tháng",), False),
    "quarter": (("quý",), False),
    "this or next quarter": (("quý",), False),
    "week": (("tuần",), False),
    "half year": (("tháng",), False),
    "year": (("năm",), False),
    "monthly on a day": (("tháng",), True),
    "quarterly on a day": (("quý",), True),
    "yearly on a date": (("năm",), True),
    "half-yearly on a date": (("định kỳ",), True),
    "once a month": (("lần",), False),
    "recurring period": (("hàng", "hằng", "mỗi", "định kỳ"), False),
    "daily at a time": (("ngày",), True),
    "weekly on a day": (("tuần",), False),
    "named day": (("tết", "khánh", "giỗ", "giải phóng", "lao động"), False),
    "event": (("khi", "thời điểm", "trước ngày", "ngay sau"), False),
}
