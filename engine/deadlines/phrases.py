"""Vietnamese deadline language → dates. Pure: every function takes the dates it needs.

``parse_deadline("…báo cáo về UBND tỉnh trước ngày 20.7.2020", issued=date(2020, 7, 1))``
finds the deadline expression inside the sentence and returns a :class:`Deadline`. The rules
(see ``docs/deadlines.md``) follow the Civil Code 2015:

* art. 146 — "đầu tháng" is day 1, "giữa tháng" day 15, "cuối tháng" the last day; "đầu năm"
  is 1 January, "giữa năm" 30 June, "cuối năm" 31 December;
* art. 147 — a period counted from an event starts the day after the event;
* art. 148 — a period in days/weeks/months ends at the end of its last day; when that day is a
  day off, the period ends at the end of the next working day.

"trước ngày D" means the last allowed day is the day before D. Only phrases with an explicit
marker ("trước", "chậm nhất", "trong tháng"…) are deadlines: a bare date in a sentence ("Chỉ
thị số 26/CT-TTg ngày 05/9/2016") is a reference, not a deadline. Anything unreadable raises
:class:`DeadlineError` — a wrong date is worse than none.
"""

from __future__ import annotations

import calendar as _stdcal
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from ..clock import local_midnight
from ..errors import DeadlineError
from .calendar import DEFAULT_CALENDAR, WorkingCalendar
from .durations import Offset

# --- results ---------------------------------------------------------------------------------

Freq = Literal["weekly", "monthly", "quarterly", "semiannual", "yearly"]


@dataclass(frozen=True)
class Recurrence:
    """A repeating deadline. ``day`` is a day of month (None: the period's last day);
    ``month`` is for yearly ones."""

    freq: Freq
    day: int | None = None
    month: int | None = None

    def __str__(self) -> str:
        if self.freq == "weekly":
            return "weekly:fri"
        if self.freq == "yearly":
            return f"yearly:{self.month or 12:02d}-{self.day or 31:02d}"
        return f"{self.freq}:{self.day if self.day is not None else 'end'}"

    @classmethod
    def parse(cls, text: str) -> Recurrence:
        """Inverse of ``str()``: 'monthly:19', 'monthly:end', 'quarterly:end', 'yearly:12-14'."""
        freq, _, rest = text.partition(":")
        if freq == "weekly":
            return cls("weekly")
        if freq == "yearly":
            m, _, d = rest.partition("-")
            return cls("yearly", int(d), int(m))
        if freq in ("monthly", "quarterly", "semiannual"):
            return cls(freq, None if rest in ("", "end") else int(rest))  # type: ignore[arg-type]
        raise ValueError(f"unknown recurrence {text!r}")

    def _period_months(self) -> tuple[int, ...]:
        return {
            "monthly": tuple(range(1, 13)),
            "quarterly": (3, 6, 9, 12),
            "semiannual": (6, 12),
            "yearly": (self.month or 12,),
        }.get(self.freq, ())

    def next_due(self, on_or_after: date) -> date:
        """The first due date of this recurrence on or after ``on_or_after``."""
        if self.freq == "weekly":
            return on_or_after + timedelta(days=(4 - on_or_after.weekday()) % 7)
        months = self._period_months()
        year, month = on_or_after.year, on_or_after.month
        for _ in range(40):
            if month in months:
                candidate = _clip_day(year, month, self.day)
                if candidate >= on_or_after:
                    return candidate
            month += 1
            if month > 12:
                year, month = year + 1, 1
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Deadline:
    """A deadline as read from text.

    ``due`` is the last allowed day (the directive is late from 24:00 of that day, local time),
    or None for a standing duty; ``start`` when the text gives one; ``recurrence`` when it
    repeats (``due`` is then the first occurrence); ``text`` the phrase as written;
    ``matched`` the part of it that was read; ``rule`` the rule applied.
    """

    text: str
    due: date | None
    start: date | None = None
    recurrence: Recurrence | None = None
    warnings: tuple[str, ...] = ()
    matched: str | None = None
    rule: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "due": self.due.isoformat() if self.due else None,
            "start": self.start.isoformat() if self.start else None,
            "recurrence": str(self.recurrence) if self.recurrence else None,
            "warnings": list(self.warnings),
        }


def due_instant(due: date) -> datetime:
    """The instant a directive due on ``due`` becomes late: 24:00 Asia/Ho_Chi_Minh, as UTC."""
    return local_midnight(due + timedelta(days=1))


# --- date helpers ----------------------------------------------------------------------------


def _last_day(year: int, month: int) -> date:
    return date(year, month, _stdcal.monthrange(year, month)[1])


def _clip_day(year: int, month: int, day: int | None) -> date:
    """Day ``day`` of the month, or its last day when the month is shorter (or day is None)."""
    last = _stdcal.monthrange(year, month)[1]
    return date(year, month, last if day is None else min(day, last))


def _add_months(day: date, n: int) -> date:
    """Art. 148(1): the corresponding day of the n-th month; its last day if it has none."""
    month0 = day.month - 1 + n
    return _clip_day(day.year + month0 // 12, month0 % 12 + 1, day.day)


def _year(text: str | None, issued: date) -> int:
    if text is None:
        return issued.year
    y = int(text)
    return 2000 + y if y < 100 else y


ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

# --- grammar ---------------------------------------------------------------------------------

_D = r"(?<!\d)(\d{1,2})(?!\d)"
_NUMERIC_DATE = rf"{_D}\s*[/.\-]\s*{_D}(?:\s*[/.\-]\s*(\d{{4}}|\d{{2}})(?!\d))?"
_WORDY_DATE = rf"{_D}\s+tháng\s+{_D}(?:\s*,?\s*năm\s+(\d{{4}}))?"
DATE = rf"(?:ngày\s+)?(?:{_NUMERIC_DATE}|{_WORDY_DATE})"
_DATE_RX = re.compile(rf"^(?:ngày\s+)?(?:{_NUMERIC_DATE}|{_WORDY_DATE})$")


def _month_rx(tag: str = "") -> str:
    return rf"tháng\s+(?P<mo{tag}>\d{{1,2}})(?!\d)(?:\s*(?:/|-|năm)\s*(?P<y{tag}>\d{{4}}))?"


MONTH = _month_rx()
QUARTER = r"quý\s+(?P<q>iv|i{1,3}|[1-4])(?![\w])(?:\s*(?:/|-|năm)\s*(?P<y>\d{4}))?"
YEAR = r"năm\s+(\d{4})"
_W = r"(?<![\w])"  # start of a word (Unicode-aware)


@dataclass
class _Ctx:
    issued: date
    cal: WorkingCalendar
    warnings: list[str] = field(default_factory=list)

    def read_date(self, text: str, *, not_before: date | None = None) -> date:
        """Read one date expression; a missing year means the first such date on/after issue."""
        m = _DATE_RX.match(text.strip())
        if not m:  # pragma: no cover - callers only pass DATE matches
            raise DeadlineError(text, "not a date")
        if m.group(1) is not None:
            d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
        else:
            d, mo, y = int(m.group(4)), int(m.group(5)), m.group(6)
        if y is not None:
            try:
                return date(_year(y, self.issued), mo, d)
            except ValueError:
                raise DeadlineError(
                    text, f"there is no day {d:02d}/{mo:02d}/{_year(y, self.issued)}"
                ) from None
        anchor = not_before or self.issued
        for year in (
            anchor.year,
            anchor.year + 1,
            anchor.year + 2,
            anchor.year + 3,
            anchor.year + 4,
        ):
            try:
                candidate = date(year, mo, d)
            except ValueError:
                continue
            if candidate >= anchor:
                return candidate
        raise DeadlineError(text, f"there is no day {d:02d}/{mo:02d}")

    def month(
        self, month: str, year: str | None, *, not_before: date | None = None
    ) -> tuple[int, int]:
        mo = int(month)
        if not 1 <= mo <= 12:
            raise DeadlineError(f"tháng {month}", "a month is 1-12")
        if year is not None:
            return _year(year, self.issued), mo
        anchor = not_before or self.issued
        y = anchor.year
        if _last_day(y, mo) < anchor:
            y += 1
        return y, mo

    def quarter(self, q: str, year: str | None) -> tuple[int, int]:
        n = ROMAN.get(q) or int(q)
        if year is not None:
            return _year(year, self.issued), n
        y = self.issued.year
        if _last_day(y, 3 * n) < self.issued:
            y += 1
        return y, n

    def period_end(self, anchor: date, n: int, unit: str) -> date:
        """Art. 147-148: a period of n units after the event day ``anchor``."""
        if unit == "ngày làm việc":
            return self.cal.add_working_days(anchor, n)
        if unit == "ngày":
            end = anchor + timedelta(days=n)
        elif unit == "tuần":
            end = anchor + timedelta(weeks=n)
        else:  # tháng
            end = _add_months(anchor, n)
        moved = self.cal.next_working_day(end)
        if moved != end:
            self.warnings.append(
                f"the period's last day {end:%d/%m/%Y} is {self.cal.why_not_working(end)}; "
                f"it ends on the next working day {moved:%d/%m/%Y} (Civil Code art. 148)"
            )
        return moved


@dataclass(frozen=True)
class _Result:
    due: date | None
    start: date | None = None
    recurrence: Recurrence | None = None
    rule: str = ""


_Handler = Callable[[re.Match[str], _Ctx], _Result]
_RULES: list[tuple[str, re.Pattern[str], _Handler]] = []


def _rule(name: str, pattern: str) -> Callable[[_Handler], _Handler]:
    def register(fn: _Handler) -> _Handler:
        _RULES.append((name, re.compile(pattern), fn))
        return fn

    return register


# Order matters only for overlapping matches of equal length; longer matches win.

_PERIOD_UNIT = r"(ngày\s+làm\s+việc|ngày|tuần|tháng)"
_EVENT = r"(?:ngày\s+)?(?:ký|ban\s+hành|nhận\s+được|nhận|văn\s+bản\s+(?:này\s+)?có\s+hiệu\s+lực|có\s+hiệu\s+lực)[^,.;]*"


@_rule(
    "period",
    rf"{_W}(?:trong|chậm\s+nhất|không\s+quá|tối\s+đa)\s+(?:vòng\s+|thời\s+hạn\s+|thời\s+gian\s+|phạm\s+vi\s+)?(?:không\s+quá\s+|tối\s+đa\s+)?"
    rf"(?P<n>\d{{1,3}})\s*(?:\([^)]{{0,40}}\)\s*)?(?P<unit>{_PERIOD_UNIT})(?!\s+\d)"
    rf"(?:\s*,?\s*(?:kể\s+)?(?:từ|tính\s+từ|sau)\s+(?:ngày\s+)?(?:(?P<date>{DATE})|(?P<event>{_EVENT})))?",
)
def _period(m: re.Match[str], ctx: _Ctx) -> _Result:
    n = int(m["n"])
    unit = " ".join(m["unit"].split())
    event = m["event"]
    if m["date"]:
        anchor = ctx.read_date(m["date"])
    else:
        anchor = ctx.issued
        if event is None:
            ctx.warnings.append(
                "no start event is named; the period is counted from the issue date"
            )
        elif "nhận" in event:
            ctx.warnings.append(
                "the period runs from receipt; counted from the issue date (receipt date unknown)"
            )
    return _Result(
        ctx.period_end(anchor, n, unit), rule=f"period of {n} {unit} after {anchor:%d/%m/%Y}"
    )


@_rule("range of dates", rf"{_W}từ\s+(?P<d1>{DATE})\s+(?:đến|tới)\s+(?:hết\s+)?(?P<d2>{DATE})")
def _date_range(m: re.Match[str], ctx: _Ctx) -> _Result:
    start = ctx.read_date(m["d1"])
    due = ctx.read_date(m["d2"], not_before=start)
    if due < start:
        raise DeadlineError(m.group(0), "the range ends before it starts")
    return _Result(due, start, rule="từ ngày D1 đến ngày D2")


@_rule(
    "range of months",
    rf"{_W}từ\s+(?:đầu\s+)?{_month_rx('1')}\s+(?:đến|tới)\s+(?:hết\s+|cuối\s+)?{_month_rx('2')}",
)
def _month_range(m: re.Match[str], ctx: _Ctx) -> _Result:
    y2, m2 = ctx.month(m["mo2"], m["y2"])
    m1 = int(m["mo1"])
    y1 = int(m["y1"]) if m["y1"] else (y2 if m1 <= m2 else y2 - 1)
    if not 1 <= m1 <= 12:
        raise DeadlineError(m.group(0), "a month is 1-12")
    start = date(y1, m1, 1)
    due = _last_day(y2, m2)
    if due < start:
        raise DeadlineError(m.group(0), "the range ends before it starts")
    return _Result(due, start, rule="từ tháng M1 đến hết tháng M2")


@_rule("before date", rf"{_W}trước\s+(?P<d>{DATE})")
def _before_date(m: re.Match[str], ctx: _Ctx) -> _Result:
    return _Result(ctx.read_date(m["d"]) - timedelta(days=1), rule="trước ngày D: the day before D")


@_rule(
    "on date",
    rf"{_W}(?:chậm\s+nhất|muộn\s+nhất|hạn\s+chót|hạn\s+cuối|không\s+quá|không\s+muộn\s+hơn|đến|tới|trong|xong|vào|"
    rf"(?:thời\s+)?hạn(?:\s+hoàn\s+thành|\s+xử\s+lý|\s+báo\s+cáo|\s+nộp)?\s*[:\-]?)"
    rf"\s+(?:là\s+)?(?:vào\s+)?(?:trước\s+hoặc\s+trong\s+)?(?P<d>{DATE})",
)
def _on_date(m: re.Match[str], ctx: _Ctx) -> _Result:
    return _Result(ctx.read_date(m["d"]), rule="chậm nhất/hạn chót/đến/trong ngày D: D itself")


@_rule("from date", rf"{_W}(?:kể\s+)?từ\s+(?P<d>{DATE})")
def _from_date(m: re.Match[str], ctx: _Ctx) -> _Result:
    return _Result(None, ctx.read_date(m["d"]), rule="kể từ ngày D: starts on D, no end")


@_rule(
    "month",
    rf"{_W}(?:(?:trong|hết|cuối|đến\s+hết|đến\s+cuối|trước\s+hết|chậm\s+nhất\s+(?:là\s+)?(?:cuối|hết|trong)|hoàn\s+thành(?:\s+trong)?)|(?P<early>đầu)|(?P<mid>giữa)|(?P<before>trước))\s+{MONTH}",
)
def _month(m: re.Match[str], ctx: _Ctx) -> _Result:
    y, mo = ctx.month(m["mo"], m["y"])
    if m["early"]:
        return _Result(date(y, mo, 1), rule="đầu tháng: day 1 (art. 146)")
    if m["mid"]:
        return _Result(date(y, mo, 15), rule="giữa tháng: day 15 (art. 146)")
    if m["before"]:
        return _Result(
            date(y, mo, 1) - timedelta(days=1),
            rule="trước tháng M: the last day of the month before",
        )
    return _Result(_last_day(y, mo), rule="trong/hết/cuối tháng: the month's last day (art. 146)")


@_rule(
    "quarter",
    rf"{_W}(?:(?P<early>đầu)\s+|(?P<before>trước)\s+|(?:trong|hết|cuối|đến\s+hết|trước\s+hết|chậm\s+nhất)\s+)?{QUARTER}",
)
def _quarter(m: re.Match[str], ctx: _Ctx) -> _Result:
    y, q = ctx.quarter(m["q"], m["y"])
    if m["early"]:
        return _Result(date(y, 3 * q - 2, 1), rule="đầu quý: the quarter's first day")
    if m["before"]:
        return _Result(
            date(y, 3 * q - 2, 1) - timedelta(days=1), rule="trước quý: the day before it starts"
        )
    return _Result(_last_day(y, 3 * q), rule="quý: the quarter's last day")


@_rule("half year", rf"{_W}(?:trong\s+)?(6|sáu)\s+tháng\s+(đầu|cuối)\s+năm(?:\s+(\d{{4}}))?")
def _half_year(m: re.Match[str], ctx: _Ctx) -> _Result:
    y = _year(m.group(3), ctx.issued)
    due = date(y, 6, 30) if m.group(2) == "đầu" else date(y, 12, 31)
    return _Result(due, rule="6 tháng đầu/cuối năm: 30/6 or 31/12")


@_rule(
    "year",
    rf"{_W}(?:(đầu)|(giữa)|(?:cuối|hết|trong|đến\s+hết|trước\s+hết|chậm\s+nhất\s+(?:là\s+)?(?:cuối|hết|trong)))\s+năm(?:\s+(\d{{4}})|\s+nay)?(?!\s*(?:học|tài))",
)
def _year_rule(m: re.Match[str], ctx: _Ctx) -> _Result:
    y = _year(m.group(3), ctx.issued)
    if m.group(1):
        return _Result(date(y, 1, 1), rule="đầu năm: 1 January (art. 146)")
    if m.group(2):
        return _Result(date(y, 6, 30), rule="giữa năm: 30 June (art. 146)")
    return _Result(date(y, 12, 31), rule="cuối/hết/trong năm: 31 December (art. 146)")


_EVERY = r"(?:hàng|hằng|mỗi)"


@_rule(
    "monthly on a day",
    rf"{_W}(?:(trước)\s+)?(?:(?:chậm\s+nhất|vào)\s+)?(?:ngày\s+)?(\d{{1,2}})\s+(?:của\s+)?{_EVERY}\s+tháng",
)
def _monthly_day(m: re.Match[str], ctx: _Ctx) -> _Result:
    day = int(m.group(2))
    if not 1 <= day <= 31:
        raise DeadlineError(m.group(0), "a day of the month is 1-31")
    if m.group(1):
        if day == 1:
            raise DeadlineError(
                m.group(0), "'trước ngày 01 hàng tháng' has no day before it in the same month"
            )
        day -= 1
    rec = Recurrence("monthly", day)
    return _Result(rec.next_due(ctx.issued), recurrence=rec, rule="monthly on a day")


@_rule(
    "yearly on a date",
    rf"{_W}(?:(trước)\s+)?(?:ngày\s+)?(\d{{1,2}})\s*[/.\-]\s*(\d{{1,2}})\s+{_EVERY}\s+năm",
)
def _yearly_date(m: re.Match[str], ctx: _Ctx) -> _Result:
    try:
        d = date(2024, int(m.group(3)), int(m.group(2)))  # a leap year accepts 29/02
    except ValueError:
        raise DeadlineError(m.group(0), "no such day of the year") from None
    if m.group(1):
        d -= timedelta(days=1)
    rec = Recurrence("yearly", d.day, d.month)
    return _Result(rec.next_due(ctx.issued), recurrence=rec, rule="yearly on a date")


@_rule("once a month", rf"{_W}(?:ít\s+nhất\s+)?(?:1|một)\s+(?:lần\s*/\s*tháng|tháng\s*/\s*lần)")
def _once_a_month(m: re.Match[str], ctx: _Ctx) -> _Result:
    rec = Recurrence("monthly")
    return _Result(
        rec.next_due(ctx.issued), recurrence=rec, rule="at least once a month: by each month's end"
    )


@_rule(
    "recurring period",
    rf"{_W}(?:định\s+kỳ\s+)?(?:{_EVERY}\s+(tuần|tháng|quý|năm)|định\s+kỳ\s+(6|sáu)\s+tháng)",
)
def _recurring(m: re.Match[str], ctx: _Ctx) -> _Result:
    kind = m.group(1) or "6 tháng"
    freq: Freq = {
        "tuần": "weekly",
        "tháng": "monthly",
        "quý": "quarterly",
        "năm": "yearly",
        "6 tháng": "semiannual",
    }[kind]  # type: ignore[assignment]
    rec = Recurrence(freq)
    return _Result(
        rec.next_due(ctx.issued), recurrence=rec, rule=f"every {kind}: the period's last day"
    )


STANDING = re.compile(
    rf"{_W}(?:thường\s+xuyên|ngay(?![\w])|khẩn\s+trương|kịp\s+thời|tiếp\s+tục|liên\s+tục|hằng\s+ngày|hàng\s+ngày|định\s+kỳ|sớm|theo\s+dõi|đôn\s+đốc)"
)

EXPECTED = (
    "expected a deadline such as 'trước ngày 01/07/2024', 'chậm nhất ngày 20.7.2020', "
    "'trong tháng 4/2024', 'quý II/2024', 'trong 15 ngày làm việc kể từ ngày ký', "
    "'trước ngày 20 hàng tháng', or a standing duty ('thường xuyên', 'kịp thời')"
)


def normalize(text: str) -> str:
    """NFC, lower case, markdown emphasis removed, white space folded."""
    text = unicodedata.normalize("NFC", text).replace("**", " ").replace("\u00a0", " ")
    return " ".join(text.lower().split())


def parse_deadline(text: str, issued: date, *, calendar: WorkingCalendar | None = None) -> Deadline:
    """Read the deadline in ``text`` (a phrase or a whole sentence) issued on ``issued``.

    Returns a :class:`Deadline`; ``due=None`` for standing duties ("thường xuyên", "kịp thời").
    Raises :class:`DeadlineError` when no deadline can be read, or a date does not exist.
    """
    cal = calendar or DEFAULT_CALENDAR
    norm = normalize(text)
    if not norm:
        raise DeadlineError(text, "the text is empty; " + EXPECTED)
    ctx = _Ctx(issued, cal)
    found: list[tuple[int, int, str, _Result]] = []
    for name, rx, handler in _RULES:
        for m in rx.finditer(norm):
            try:
                found.append((m.start(), m.end(), name, handler(m, ctx)))
            except DeadlineError as exc:
                raise DeadlineError(text, f"{exc.reason} (in {exc.text!r})") from None
    # Drop matches inside a longer one ("trước ngày 20 hàng tháng" is not also "trước ngày 20/…").
    kept = [
        f for f in found
        if not any(o is not f and o[0] <= f[0] and f[1] <= o[1] and (o[1] - o[0]) > (f[1] - f[0]) for o in found)
    ]  # fmt: skip
    kept.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    due_matches = [f for f in kept if f[3].due is not None]
    start_matches = [f for f in kept if f[3].due is None and f[3].start is not None]
    warnings = ctx.warnings
    if not due_matches:
        if start_matches:
            s = start_matches[0]
            return Deadline(
                text, None, s[3].start, None, tuple(warnings), norm[s[0] : s[1]], s[3].rule
            )
        if STANDING.search(norm):
            return Deadline(
                text, None, None, None, tuple(warnings), None, "standing duty: no deadline"
            )
        raise DeadlineError(text, EXPECTED)
    first = due_matches[0]
    result = first[3]
    others = {f[3].due for f in due_matches[1:] if f[3].due != result.due}
    if others:
        shown = ", ".join(sorted(d.strftime("%d/%m/%Y") for d in others if d))
        warnings.append(f"the text has several deadlines; the first was used (others: {shown})")
    start = result.start
    if start is None and start_matches:
        start = start_matches[0][3].start
    assert result.due is not None
    why = cal.why_not_working(result.due)
    if why is not None and result.recurrence is None:
        warnings.append(f"the due date {result.due:%d/%m/%Y} is {why}")
    if result.due < issued:
        warnings.append(
            f"the due date {result.due:%d/%m/%Y} is before the issue date {issued:%d/%m/%Y}"
        )
    return Deadline(
        text,
        result.due,
        start,
        result.recurrence,
        tuple(warnings),
        norm[first[0] : first[1]],
        result.rule,
    )


def apply_offset(cal: WorkingCalendar, day: date, offset: Offset, *, before: bool) -> date:
    """``offset`` (days or working days) before or after ``day``; hours round up to days."""
    n = offset.amount if offset.unit != "hour" else -(-offset.amount // 24)
    if offset.unit == "working_day":
        return cal.add_working_days(day, -n if before else n)
    return day - timedelta(days=n) if before else day + timedelta(days=n)
