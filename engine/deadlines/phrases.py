"""Vietnamese deadline language → dates. Pure: every function takes the dates it needs.

``parse_deadline("…báo cáo về UBND tỉnh trước ngày 20.7.2020", issued=date(2020, 7, 1))``
finds the deadline expression inside the sentence and returns a :class:`Deadline`. The forms and
their rules live in :mod:`.grammar` (see ``docs/deadlines.md``) and follow the Civil Code 2015:

* art. 146 — "đầu tháng" is day 1, "giữa tháng" day 15, "cuối tháng" the last day; "đầu năm"
  is 1 January, "giữa năm" 30 June, "cuối năm" 31 December;
* art. 147 — a period counted from an event starts the day after the event;
* art. 148 — a period in days/weeks/months ends at the end of its last day; when that day is a
  day off, the period ends at the end of the next working day.

"trước ngày D" means the last allowed day is the day before D ("trước 17 giờ ngày D": D, before
17:00). Only phrases with an explicit marker ("trước", "chậm nhất", "trong tháng"…) are
deadlines: a bare date in a sentence ("Chỉ thị số 26/CT-TTg ngày 05/9/2016") is a reference, not
a deadline, and a date in a purpose clause ("nhằm … trước Tết") is not one either. A deadline
relative to an event ("ngay sau khi kết thúc Đại hội") has no date: ``due`` is None and
``event`` names it. Anything unreadable raises :class:`DeadlineError` — a wrong date is worse
than none.

The scan is linear in the text: each rule is one pass of a regular expression, and matches
inside a longer one are dropped by one sort and sweep.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..clock import local_midnight
from ..errors import DeadlineError
from .calendar import DEFAULT_CALENDAR, WorkingCalendar
from .durations import Offset
from .grammar import NEEDS, RULES, Ctx, Result
from .recurrence import Freq, Recurrence

__all__ = [
    "EXPECTED",
    "STANDING",
    "Deadline",
    "Freq",
    "Recurrence",
    "apply_offset",
    "due_instant",
    "normalize",
    "parse_deadline",
]


@dataclass(frozen=True)
class Deadline:
    """A deadline as read from text.

    ``due`` is the last allowed day (the directive is late from 24:00 of that day, local time,
    or from ``due_time`` on it when the text gives a time of day), or None for a standing duty
    or a deadline relative to an ``event`` that has no date yet; ``start`` when the text gives
    one; ``recurrence`` when it repeats (``due`` is then the first occurrence); ``text`` the
    phrase as written; ``matched`` the part of it that was read; ``rule`` the rule applied.
    """

    text: str
    due: date | None
    start: date | None = None
    recurrence: Recurrence | None = None
    warnings: tuple[str, ...] = ()
    matched: str | None = None
    rule: str = ""
    due_time: time | None = None
    event: str | None = None

    @property
    def kind(self) -> str:
        """'date', 'recurring', 'event', 'start' (a rule from a date on) or 'standing'."""
        if self.recurrence is not None:
            return "recurring"
        if self.due is not None:
            return "date"
        if self.event is not None:
            return "event"
        return "start" if self.start is not None else "standing"

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "kind": self.kind,
            "due": self.due.isoformat() if self.due else None,
            "due_time": self.due_time.strftime("%H:%M") if self.due_time else None,
            "start": self.start.isoformat() if self.start else None,
            "recurrence": str(self.recurrence) if self.recurrence else None,
            "event": self.event,
            "warnings": list(self.warnings),
        }


def due_instant(due: date) -> datetime:
    """The instant a directive due on ``due`` becomes late: 24:00 Asia/Ho_Chi_Minh, as UTC."""
    return local_midnight(due + timedelta(days=1))


STANDING = re.compile(
    r"(?<![\w])(?:thường\s+xuyên|ngay(?![\w])|khẩn\s+trương|kịp\s+thời|tiếp\s+tục|liên\s+tục|hằng\s+ngày|hàng\s+ngày|định\s+kỳ|sớm|theo\s+dõi|đôn\s+đốc)"
)
PURPOSE = re.compile(r"(?<![\w])nhằm(?![\w])")
DIRECTIVE = re.compile(
    r"(?<![\w])(?:yêu\s+cầu|giao|đề\s+nghị|chỉ\s+đạo|kiến\s+nghị)(?![\w])|[.;!?]"
)

EXPECTED = (
    "cần một thời hạn như 'trước ngày 01/07/2024', 'chậm nhất ngày 20.7.2020', "
    "'trong tháng 4/2024', 'quý II/2024', 'trong 15 ngày làm việc kể từ ngày ký', "
    "'trước ngày 20 hàng tháng', 'trước Tết Nguyên đán', 'ngay sau khi …', "
    "hoặc một nhiệm vụ thường xuyên ('thường xuyên', 'kịp thời')"
)


def normalize(text: str) -> str:
    """NFC, lower case, markdown emphasis removed, white space folded."""
    text = unicodedata.normalize("NFC", text).replace("**", " ").replace("\u00a0", " ")
    return " ".join(text.lower().split())


_Match = tuple[int, int, Result, str]

# Forms that name a day (or a repeating day, or an event); a clause's deadline is one of these
# when it has one, before a period's end ("Thời gian từ nay đến cuối năm 2023 không còn nhiều, …
# báo cáo chậm nhất trước ngày 20 tháng 12 năm 2023": the 19/12).
PRECISE = frozenset(
    {
        "period",
        "range of dates",
        "monthly window",
        "before date",
        "on date",
        "monthly on a day",
        "quarterly on a day",
        "yearly on a date",
        "half-yearly on a date",
        "daily at a time",
        "weekly on a day",
        "named day",
        "event",
    }
)


def _outermost(found: list[_Match]) -> list[_Match]:
    """Drop every match that lies inside a strictly longer one ("trước ngày 20 hàng tháng" is
    not also "trước ngày 20/…"): one sort and one sweep, O(k log k) for k matches."""
    found.sort(key=lambda f: (f[0], -f[1]))
    kept: list[_Match] = []
    max_end, max_end_start = -1, -1
    for f in found:
        inside = max_end > f[1] or (max_end == f[1] and max_end_start < f[0])
        if not inside:
            kept.append(f)
        if f[1] > max_end:
            max_end, max_end_start = f[1], f[0]
    return kept


def _purpose_filter(norm: str, kept: list[_Match]) -> list[_Match]:
    """Drop matches inside a purpose clause: after "nhằm" with no directive verb or sentence end
    between ("nhằm giúp người dân … trước Tết" states why, not by when)."""
    purposes = [m.start() for m in PURPOSE.finditer(norm)]
    if not purposes:
        return kept
    verbs = [m.start() for m in DIRECTIVE.finditer(norm)]
    out = []
    for f in kept:
        i = bisect.bisect_right(purposes, f[0]) - 1
        if i >= 0:
            j = bisect.bisect_right(verbs, f[0]) - 1
            if j < 0 or verbs[j] < purposes[i]:
                continue
        out.append(f)
    return out


_DIGIT = re.compile(r"\d")
_KEYWORDS = frozenset(w for words, _ in NEEDS.values() for w in words)


def _scan(norm: str, ctx: Ctx, text: str) -> list[_Match]:
    found: list[_Match] = []
    has_digit = _DIGIT.search(norm) is not None
    present = {w for w in _KEYWORDS if w in norm}  # one substring test per key word
    for name, rx, handler in RULES:
        words, digit = NEEDS[name]
        if (digit and not has_digit) or (words and present.isdisjoint(words)):
            continue
        for m in rx.finditer(norm):
            try:
                found.append((m.start(), m.end(), handler(m, ctx), name))
            except DeadlineError as exc:
                raise DeadlineError(text, f"{exc.reason} (ở {exc.text!r})") from None
    return _purpose_filter(norm, _outermost(found))


@dataclass(frozen=True)
class Span:
    """Where a deadline expression lies in ``normalize(text)``, and whether it names a day."""

    start: int
    end: int
    precise: bool


def deadline_spans(
    text: str, issued: date, *, calendar: WorkingCalendar | None = None
) -> list[Span]:
    """Every deadline expression in ``text`` (offsets into ``normalize(text)``), in order;
    none when the text has an unreadable one. Used to cut a sentence between two deadlines."""
    norm = normalize(text)
    try:
        kept = _scan(norm, Ctx(issued, calendar or DEFAULT_CALENDAR), text)
    except DeadlineError:
        return []
    return [
        Span(s, e, name in PRECISE)
        for s, e, r, name in kept
        if r.due is not None or r.event is not None or r.recurrence is not None
    ]


def _rank(norm: str, f: _Match) -> tuple[int, int]:
    """Which due match a sentence means: one naming a day before a period's end; "vào H giờ"
    (at) after "trước H giờ" (before); then the first."""
    if f[3] not in PRECISE:
        return 2, f[0]
    return (1 if norm.startswith("vào", f[0]) else 0), f[0]


def parse_deadline(text: str, issued: date, *, calendar: WorkingCalendar | None = None) -> Deadline:
    """Read the deadline in ``text`` (a phrase or a whole sentence) issued on ``issued``.

    Returns a :class:`Deadline`; ``due=None`` for standing duties ("thường xuyên", "kịp thời")
    and for deadlines relative to an event ("sau khi có quyết định phê duyệt": ``event`` set).
    Raises :class:`DeadlineError` when no deadline can be read, or a date does not exist.
    Linear in the length of ``text``.
    """
    cal = calendar or DEFAULT_CALENDAR
    norm = normalize(text)
    if not norm:
        raise DeadlineError(text, "văn bản trống; " + EXPECTED)
    try:
        kept = _scan(norm, Ctx(issued, cal), text)
    except (OverflowError, ValueError):  # a period counted past 31/12/9999 (or before year 1)
        raise DeadlineError(
            text, f"ngày tính ra từ ngày ban hành {issued:%d/%m/%Y} nằm ngoài các năm 1–9999"
        ) from None
    due_matches = [f for f in kept if f[2].due is not None]
    if not due_matches:
        others = [f for f in kept if f[2].start is not None] or [
            f for f in kept if f[2].event is not None
        ]
        if others:
            s, e, r, _ = others[0]
            return Deadline(
                text, None, r.start, None, r.warnings, norm[s:e], r.rule, r.due_time, r.event
            )
        if STANDING.search(norm):
            warnings: tuple[str, ...] = ()
            if "theo định kỳ" in norm:
                warnings = ("làm 'theo định kỳ' nhưng chưa nêu chu kỳ: hãy đặt chu kỳ",)
            return Deadline(text, None, None, None, warnings, None, "standing duty: no deadline")
        raise DeadlineError(text, EXPECTED)
    chosen = min(due_matches, key=lambda f: _rank(norm, f))
    s, e, result, _ = chosen
    warnings_l = list(result.warnings)
    others_due = {f[2].due for f in due_matches if f is not chosen and f[2].due != result.due}
    if others_due:
        shown = ", ".join(sorted(d.strftime("%d/%m/%Y") for d in others_due if d))
        warnings_l.append(
            f"văn bản có nhiều thời hạn; đã dùng {result.due:%d/%m/%Y} (các thời hạn khác: {shown})"
        )
    assert result.due is not None
    start = result.start
    if start is None:  # a start written elsewhere in the sentence ("từ tháng 04/2024 …")
        starts = [
            f[2].start
            for f in kept
            if f[2].start is not None and (f[2].due is None or f[2].start <= result.due)
        ]
        start = starts[0] if starts else None
    why = cal.why_not_working(result.due)
    if why is not None and result.recurrence is None:
        warnings_l.append(f"hạn {result.due:%d/%m/%Y} rơi vào {why}")
    if result.due < issued:
        warnings_l.append(f"hạn {result.due:%d/%m/%Y} trước ngày ban hành {issued:%d/%m/%Y}")
    return Deadline(
        text,
        result.due,
        start,
        result.recurrence,
        tuple(warnings_l),
        norm[s:e],
        result.rule,
        result.due_time,
        result.event,
    )


def apply_offset(cal: WorkingCalendar, day: date, offset: Offset, *, before: bool) -> date:
    """``offset`` (days or working days) before or after ``day``; hours round up to days."""
    n = offset.amount if offset.unit != "hour" else -(-offset.amount // 24)
    if offset.unit == "working_day":
        return cal.add_working_days(day, -n if before else n)
    return day - timedelta(days=n) if before else day + timedelta(days=n)
