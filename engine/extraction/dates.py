"""The issue date of a document that has no Decree-30 place-and-date line: the layouts of press
and portal pages and of legal databases. Pure. In order of trust:

1. the reproduced document's own date — "vừa ký Công điện số 07 ngày 1/2/2026", "vừa có Văn bản
   số 1086/UBND-KTGS1 ngày 23/2/2021" (not a document it merely cites: "nhận được Công văn số …");
2. a legal database's field — "Ngày ban hành: 26/05/2009";
3. the page's date line — "Thứ Ba, 23/02/2021 17:01", "Thứ bảy, 3/1/2026 15:04 (GMT+7)",
   "Ngày đăng: 21/06/2017", "02/02/2026 09:45" alone on a line, "date 2026-01-04";
4. a first sentence that dates the meeting or the act — "Chiều ngày 06/4/2023, UBND xã …",
   "Ngày 9/10/2021" alone on a line, "Ngày 26 tháng 05 năm 2009, Bộ Nội vụ ban hành …" — and
   when it has no year ("Ngày 21/ 5, UBND tỉnh ban hành …"), the year the text's full dates
   agree on, with a warning; no such year, no date;
5. a closing source line — "(Theo Công văn số 6202/UBND-KT, ngày 23/11/2023)".

Nothing else: a date in a URL, a cited plan's date or a status date ("đến ngày 02/01/2019") is
not the document's.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

_DMY = r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})"
_WORDY = r"(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
_DOC = r"(?:Công điện|Công văn|Văn bản|Thông báo|Kết luận|Chỉ thị|Quyết định|Kế hoạch|Nghị quyết)"

OWN = re.compile(
    rf"(?i:vừa\s+(?:ký|ban hành|có|gửi)|đã\s+ký|ký\s+ban\s+hành)\s+{_DOC}\s+(?:số\s+)?[^\s,]{{1,30}}\s*,?\s*ngày\s+{_DMY}"
)
FIELD = re.compile(rf"(?im)^\s*ngày\s+(?:ban hành|ký|đăng|cập nhật)\s*:\s*{_DMY}")
WEEKDAY_LINE = re.compile(
    rf"(?i)(?<![\wÀ-ỹ])(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật)\s*,\s*(?:ngày\s+)?{_DMY}"
)
STAMP_LINE = re.compile(rf"(?m)^\s*{_DMY}\s*[-|,]?\s*\d{{1,2}}:\d{{2}}(?::\d{{2}})?\s*$")
ISO_LINE = re.compile(r"(?m)^\s*date\s+(\d{4})-(\d{2})-(\d{2})(?!\d)")
FIRST_SENTENCE = re.compile(
    rf"(?i)^\s*(?:(?:sáng|chiều|trưa|tối)\s+)?(?:hôm\s+)?ngày\s+(?:{_DMY}|{_WORDY}|(\d{{1,2}})\s*/\s*(\d{{1,2}})(?!\s*/\s*\d))"
)
SOURCE_LINE = re.compile(
    rf"\(\s*(?i:theo)\s+{_DOC}\s+số\s+[^\s,]{{1,30}}\s*,?\s*ngày\s+{_DMY}\s*\)"
)
FULL_DATE = re.compile(rf"(?<![\d/]){_DMY}(?![\d/])")


def _make(d: str, m: str, y: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def layout_date(text: str) -> tuple[date | None, str | None, list[str]]:
    """(date, the text it was read from, warnings) — see the module docstring."""
    head = text[:3000]
    for rx in (OWN, FIELD, WEEKDAY_LINE, STAMP_LINE):
        if (m := rx.search(head)) is not None and (d := _make(*m.groups()[:3])) is not None:
            return d, m.group(0).strip(), []
    if (m := ISO_LINE.search(head[:400])) is not None:
        y, mo, dd = m.groups()
        if (d := _make(dd, mo, y)) is not None:
            return d, m.group(0).strip(), []
    for line in head.splitlines()[:12]:
        if (m := FIRST_SENTENCE.match(line)) is None:
            continue
        g = m.groups()
        if g[0] is not None and (d := _make(*g[:3])) is not None:
            return d, m.group(0).strip(), []
        if g[3] is not None and (d := _make(*g[3:6])) is not None:
            return d, m.group(0).strip(), []
        if g[6] is not None:
            years = Counter(int(y) for *_, y in FULL_DATE.findall(text))
            if years:
                (year, _), *_ = years.most_common(1)
                if (d := _make(g[6], g[7], str(year))) is not None:
                    return (
                        d,
                        m.group(0).strip(),
                        [
                            f"ngày ban hành {m.group(0).strip()!r} không ghi năm: lấy năm {year}, "
                            "năm của các ngày trong văn bản"
                        ],
                    )
        break
    if (m := SOURCE_LINE.search(text[-1500:])) is not None and (
        d := _make(*m.groups())
    ) is not None:
        return d, m.group(0).strip(), []
    return None, None, []
