"""The header of a document: issuer, type, number/symbol, place and date, title, signer and
recipients; and where the body starts."""

from __future__ import annotations

import re
from datetime import date

from .clauses import ACTION
from .dates import layout_date
from .model import Header

TYPES = {
    "THÔNG BÁO": "TB",
    "KẾT LUẬN": "KL",
    "BÁO CÁO": "BC",
    "CÔNG VĂN": "CV",
    "KẾ HOẠCH": "KH",
    "QUYẾT ĐỊNH": "QĐ",
    "CHỈ THỊ": "CT",
    "BIÊN BẢN": "BB",
}
NUMBER = re.compile(r"^\s*Số\s*:\s*(\d*)\s*/\s*([A-ZĐ][A-Za-zĐđ0-9&\-]*)", re.MULTILINE)
# only the document itself: "Kết luận thanh tra số 547/KL-TT", not a plan or directive it cites
INLINE_NUMBER = re.compile(
    r"(?i:kết luận(?: thanh tra)?|thông báo(?: kết luận)?)\s+số\s+(\d+)/([A-ZĐ]{1,4}-[A-ZĐ0-9&\-]+)"
)
PLACE_DATE = re.compile(
    r"^\s*([A-ZĐ][^\n,]{1,40}),\s*ngày\s*(\d{1,2})?\s*tháng\s*(\d{1,2})?\s*năm\s*(\d{4})?",
    re.MULTILINE,
)
AUTHORITY = re.compile(r"^\s*((?:TL|KT|TM|TUQ)\.\s*[A-ZĐÀ-Ỹ ]+)$", re.MULTILINE)
ISSUER_RX = re.compile(r"\b(?:Thanh tra (?:tỉnh|thành phố)|Sở)\b")
STOP_WORDS = {
    "tại",
    "đã",
    "họp",
    "tổ",
    "về",
    "cho",
    "với",
    "trong",
    "có",
    "là",
    "được",
    "đối",
    "chưa",
    "kiến",
    "nghị",
    "đề",
    "yêu",
    "cầu",
    "tiếp",
    "công",
    "khai",
    "làm",
    "thực",
    "chỉ",
    "cần",
    "để",
    "ngày",
    "số",
    "theo",
    "vào",
    "sẽ",
    "rà",
    "cấp",
    "triển",
    "báo",
    "quyết",
    "lãnh",
    "giải",
    "xoay",
    "trên",
    "ban",
}


def unit_phrase(text: str, start: int) -> str:
    """The unit name that starts at ``start``: words up to punctuation or a verb (max 8)."""
    words: list[str] = []
    for w in re.finditer(r"[^\s,.;:()\n]+", text[start : start + 120]):
        token = w.group(0)
        if words and (
            (token.islower() and token in STOP_WORDS)
            or (token == "-" and len(words) > 6)
            or ACTION.match(text, start + w.start())
        ):
            break
        if w.start() > 0 and re.search(r"[,.;:()\n]", text[start : start + w.start()]):
            break
        words.append(token)
        if len(words) >= 8:
            break
    return " ".join(words).strip(" -")


def parse_header(text: str) -> Header:
    h = Header()
    head = text[:1500]
    if (m := NUMBER.search(head)) is not None:
        h.number = m.group(1) or None
        h.symbol = m.group(2)
        h.doc_type = m.group(2).split("-")[0]
        if h.number is None:
            h.warnings.append("số văn bản để trống (Số: /…): văn bản chưa điền số")
    elif (m := INLINE_NUMBER.search(text)) is not None:
        h.number, h.symbol = m.group(1), m.group(2)
        h.doc_type = m.group(2).split("-")[0]
        if (d := re.match(r"\s*ngày\s+(\d{1,2})/(\d{1,2})/(\d{4})", text[m.end() :])) is not None:
            try:
                h.date = date(int(d.group(3)), int(d.group(2)), int(d.group(1)))
                h.date_text = f"số {m.group(1)}/{m.group(2)}{d.group(0)}"
            except ValueError:
                pass
    if (m := PLACE_DATE.search(head)) is not None:
        h.place = m.group(1).split("|")[-1].strip()  # a header flattened into a "|" table
        day, month, year = m.group(2), m.group(3), m.group(4)
        h.date_text = m.group(0).strip()
        missing = [n for n, v in (("ngày", day), ("tháng", month), ("năm", year)) if not v]
        if missing:
            h.warnings.append(
                f"ngày ban hành chưa đủ (thiếu {', '.join(missing)}): {h.date_text!r}"
            )
        if year and month and day:
            try:
                h.date = date(int(year), int(month), int(day))
            except ValueError:
                h.warnings.append(f"không có ngày {h.date_text!r}")
    elif h.date is None:
        h.date, h.date_text, warnings = layout_date(text)
        h.warnings.extend(warnings)
        if h.date is None:
            h.warnings.append("không thấy dòng địa danh, ngày tháng")
    for line in head.splitlines()[:25]:
        stripped = line.strip()
        if stripped.upper() == stripped and stripped in TYPES:
            h.doc_type = h.doc_type or TYPES[stripped]
            continue
        if (
            h.title is None
            and stripped
            and not stripped.startswith("Số")
            and (m := PLACE_DATE.match(line)) is None
        ) and (
            len(stripped) > 20
            and not stripped.isupper()
            and not stripped.startswith(("Vào", "Ngày", "Từ"))
        ):
            h.title = stripped
    if (m := ISSUER_RX.search(text[:3000])) is not None:
        h.issuer = unit_phrase(text, m.start())
        if h.issuer in ("Thanh tra tỉnh", "Thanh tra thành phố") and h.place:
            h.issuer = f"{h.issuer} {h.place}"  # "Thanh tra tỉnh" of the place on the date line
    else:
        h.warnings.append("không xác định được cơ quan ban hành")
    # signature block: after "Nơi nhận" (or at the end), TL./KT./TM. lines, position, name
    tail = text[-1200:]
    if (m := AUTHORITY.search(tail)) is not None:
        h.authority = m.group(1).strip()
    lines = [ln.strip() for ln in tail.splitlines() if ln.strip()]
    positions = [
        ln
        for ln in lines
        if ln.isupper() and len(ln) < 60 and not AUTHORITY.match(ln) and ln not in TYPES
    ]
    if positions:
        h.signer_position = positions[-1]
    names = [
        ln
        for ln in lines[-4:]
        if re.fullmatch(r"(?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]+ ){1,4}[A-ZĐÀ-Ỹ][a-zà-ỹđ]+", ln)
    ]
    if names:
        h.signer = names[-1]
    if (m := re.search(r"Nơi nhận\s*:?\s*\n((?:\s*[-–+].*\n?)+)", text)) is not None:
        h.recipients = [
            re.sub(r"^\s*[-–+]\s*", "", ln).rstrip(";.")
            for ln in m.group(1).splitlines()
            if ln.strip()
        ]
    return h


def body_start_of(text: str) -> int:
    """Skip the header: start after the place-and-date line / title block."""
    m = PLACE_DATE.search(text[:1500])
    if m is None:  # no header block: skip a title line, never a first paragraph
        first = text.lstrip("\n").split("\n", 1)[0].strip()
        if len(first) > 150 or first.endswith((".", ";", ":", "./.")):
            return 0
    start = m.end() if m else 0
    nl = text.find("\n", start)
    return nl + 1 if nl >= 0 else start
