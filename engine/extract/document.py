"""From a conclusion document to draft directives for a clerk to confirm. Pure.

``extract(text)`` reads the header (issuer, type, number/symbol, place and date, signer,
recipients) and the body's numbered and bulleted structure ("1.", "(1)", "a)", "-", "+",
inline "(1) …; (2) …"), decides which items are tasks (directive cues, the section they sit
in) and which are findings, and proposes one draft per task — with the responsible unit or
person, cooperating units, the deadline read by :mod:`dondoc.deadlines.phrases`, the source span and a
confidence. A deadline stated for a group applies to each of its items; "từng đồng chí lãnh
đạo" becomes one draft per leader when a roster is given; named officials ("gồm có ông A …;
bà B …") and unit lists ("Giám đốc các Sở: KHĐT, GTVT") become one draft each.

Nothing here guesses silently: every uncertainty is a flag on the draft or a warning on the
document. Garbage in gives fewer drafts and more warnings, never an exception.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..deadlines.phrases import Deadline, normalize, parse_deadline
from ..errors import DeadlineError, PayloadError
from .units import Unit, UnitsDirectory

# --- reading ----------------------------------------------------------------------------------

DEBRIS = re.compile(
    r"^(?:latest news|other news|copy link|powered by|write your comment|full name|phone number|"
    r"view search|nổi bật|đừng bỏ lỡ|\(\d+\) bình luận|https?://\S+$|theo [\w.-]+\.(?:vn|com)\b)",
    re.IGNORECASE,
)


def read_document(path: str | Path) -> str:
    """The text of a .txt (UTF-8) or .docx file, normalised (see :func:`clean`)."""
    p = Path(path)
    if p.suffix.lower() == ".docx":
        try:
            import docx
        except ImportError:  # pragma: no cover - python-docx is a dependency
            raise PayloadError("file", "reading .docx needs python-docx") from None
        try:
            document = docx.Document(str(p))
        except Exception as exc:  # a damaged or non-docx file
            raise PayloadError("file", f"{p}: not a readable .docx ({exc})") from None
        return clean("\n".join(par.text for par in document.paragraphs))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PayloadError("file", f"cannot read {p}: {exc}") from None
    try:
        return clean(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise PayloadError(
            "file", f"{p} is not UTF-8 text (byte {exc.start}); convert it first"
        ) from None


def clean(text: str) -> str:
    """NFC, Unix line ends, markdown emphasis and non-breaking spaces removed, no trailing
    spaces, and web-page debris after the article cut off."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("**", "").replace("\u00a0", " ").replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if DEBRIS.match(line.strip()):
            if (
                line.strip()
                .lower()
                .startswith(
                    ("latest news", "copy link", "powered by", "write your comment", "theo ")
                )
            ):
                break
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


# --- results ----------------------------------------------------------------------------------


@dataclass
class Header:
    issuer: str | None = None
    doc_type: str | None = None
    number: str | None = None
    symbol: str | None = None
    place: str | None = None
    date: date | None = None
    date_text: str | None = None
    title: str | None = None
    signer: str | None = None
    signer_position: str | None = None
    authority: str | None = None
    recipients: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "type": self.doc_type,
            "number": self.number,
            "symbol": self.symbol,
            "place": self.place,
            "date": self.date.isoformat() if self.date else None,
            "date_text": self.date_text,
            "title": self.title,
            "signer": self.signer,
            "signer_position": self.signer_position,
            "authority": self.authority,
            "recipients": self.recipients,
            "warnings": self.warnings,
        }


@dataclass
class Draft:
    text: str
    unit: str | None
    assignee: str | None
    cooperating: list[str]
    deadline_text: str | None
    due: date | None
    start: date | None
    recurrence: str | None
    confidence: float
    source_span: tuple[int, int]
    flags: list[str] = field(default_factory=list)
    concerns: str | None = None  # the official a review meeting is about

    def to_json(self) -> dict[str, Any]:
        return {
            "concerns": self.concerns,
            "text": self.text,
            "unit": self.unit,
            "assignee": self.assignee,
            "cooperating": self.cooperating,
            "deadline_text": self.deadline_text,
            "due": self.due.isoformat() if self.due else None,
            "start": self.start.isoformat() if self.start else None,
            "recurrence": self.recurrence,
            "confidence": round(self.confidence, 2),
            "source_span": list(self.source_span),
            "flags": self.flags,
        }


@dataclass
class Extraction:
    header: Header
    drafts: list[Draft]

    def to_json(self) -> dict[str, Any]:
        return {"document": self.header.to_json(), "directives": [d.to_json() for d in self.drafts]}


# --- header -----------------------------------------------------------------------------------

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
        if words and (token.lower() in STOP_WORDS or (token == "-" and len(words) > 6)):
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
            h.warnings.append("the number is blank (Số: /…): it was not filled in on the document")
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
        h.place = m.group(1).strip()
        day, month, year = m.group(2), m.group(3), m.group(4)
        h.date_text = m.group(0).strip()
        missing = [n for n, v in (("day", day), ("month", month), ("year", year)) if not v]
        if missing:
            h.warnings.append(
                f"the date is incomplete ({', '.join(missing)} missing): {h.date_text!r}"
            )
        if year and month and day:
            try:
                h.date = date(int(year), int(month), int(day))
            except ValueError:
                h.warnings.append(f"the date {h.date_text!r} does not exist")
    elif h.date is None:
        h.warnings.append("no place-and-date line found")
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
        h.warnings.append("the issuing body could not be found")
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


# --- structure --------------------------------------------------------------------------------


@dataclass
class Node:
    marker: str
    text: str
    start: int
    end: int
    children: list[Node] = field(default_factory=list)
    parent: Node | None = None

    @property
    def heading_like(self) -> bool:
        return len(self.text) <= 90 and not self.text.rstrip().endswith((".", ";", "./."))


MARKERS = [
    ("num", re.compile(r"^(\d{1,2})\.\s+(?=\S)")),
    ("roman", re.compile(r"^([IVX]{1,4})\.\s+")),
    ("paren", re.compile(r"^\((\d{1,2})\)\s*")),
    ("alpha", re.compile(r"^([a-zđ])\)\s+")),
    ("dash", re.compile(r"^[-–•]\s*")),
    ("plus", re.compile(r"^\+\s*")),
]
STOP = re.compile(
    r"^(Nơi nhận|Trên đây là|Đề nghị .{0,60}triển khai thực hiện nghiêm túc)", re.IGNORECASE
)


def build_tree(text: str, body_start: int) -> Node:
    root = Node("root", "", 0, len(text))
    stack: list[tuple[int, Node]] = [(0, root)]
    levels: dict[str, int] = {}
    pos = 0
    for raw in text.splitlines(keepends=True):
        start, pos = pos, pos + len(raw)
        line = raw.strip()
        if start < body_start or not line:
            continue
        if STOP.match(line):
            break
        kind, body = "para", line
        for name, rx in MARKERS:
            if (m := rx.match(line)) is not None:
                kind, body = name, line[m.end() :]
                break
        lead = len(raw) - len(raw.lstrip())
        node = Node(kind, body, start + lead, start + lead + len(line))
        if kind == "para":
            top = stack[-1][1]
            parent = (
                top
                if (top is not root and top.heading_like)
                else (top.parent or root)
                if top is not root
                else root
            )
            if top is not root and not top.heading_like:
                parent = top.parent or root
            node.parent = parent
            parent.children.append(node)
            continue
        level = levels.setdefault(kind, len(levels) + 1)
        while len(stack) > 1 and stack[-1][0] >= level:
            stack.pop()
        node.parent = stack[-1][1]
        stack[-1][1].children.append(node)
        stack.append((level, node))
    return root


def _split_inline(node: Node) -> list[tuple[str, int, int]] | None:
    """'intro: (1) a; (2) b; (3) c. Deadline.' → [(intro…), (a), (b), (c)] with spans, or None."""
    marks = list(re.finditer(r"\((\d{1,2})\)\s*", node.text))
    if len(marks) < 2 or [int(m.group(1)) for m in marks] != list(range(1, len(marks) + 1)):
        return None
    parts: list[tuple[str, int, int]] = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(node.text)
        parts.append(
            (node.text[m.end() : end].strip(" ;,"), node.start + m.start(), node.start + end)
        )
    return [
        (node.text[: marks[0].start()].strip(" :;"), node.start, node.start + marks[0].start()),
        *parts,
    ]


# --- classification ---------------------------------------------------------------------------

IMPERATIVE_START = re.compile(
    r"^(?:giao|yêu cầu|đề nghị|kiến nghị|chỉ đạo|khẩn trương|tiếp tục|tăng cường|đẩy mạnh|chấn chỉnh|"
    r"bàn giao|tổ chức|triển khai|rà soát|xây dựng|giải quyết|theo dõi|thường xuyên|chuẩn bị|tham mưu|"
    r"hoàn thành|làm rõ|bổ sung|khắc phục|thực hiện|nghiên cứu|quán triệt|kiểm tra|báo cáo|phối hợp|"
    r"duy trì|nâng cao|cần|phải|trước ngày|quá trình .{0,40}yêu cầu|đánh giá .{0,80}bổ sung)",
    re.IGNORECASE,
)
STRONG = re.compile(
    r"(?<!đã )(?<!được )\b(?:yêu cầu|giao đồng chí|giao cho|đề nghị|kiến nghị|phải|cần)\b",
    re.IGNORECASE,
)
FINDING = re.compile(
    r"\b(?:cho biết|ghi nhận|biểu dương|đánh giá cao|qua kiểm tra|kết quả thanh tra cho thấy|phê bình|"
    r"chưa đạt|chưa kịp thời|chưa thực hiện|chưa có|chỉ đạt|không có biên bản|nguyên nhân|đáng chú ý|"
    r"tiếp thu|khẳng định|xoay quanh|chậm yêu cầu|chưa chặt chẽ|chưa sâu sát|chưa thể hiện|còn nhiều sai sót)\b",
    re.IGNORECASE,
)
TASK_SECTION = re.compile(
    r"(?:nhiệm vụ|phương hướng|giải pháp|kiến nghị|yêu cầu|đề nghị|kết luận như sau)", re.IGNORECASE
)
FINDING_SECTION = re.compile(
    r"(?:thực hiện nhiệm vụ tháng|tuy nhiên có một số nội dung)", re.IGNORECASE
)
DUE_ACTION = re.compile(
    r"(?:trước ngày|chậm nhất|hoàn thành trong|trong tháng).{0,200}(?:báo cáo|gửi|đề xuất|hoàn thành|bàn giao)|"
    r"(?:báo cáo|gửi|bàn giao).{0,120}(?:trước ngày|chậm nhất)",
    re.IGNORECASE,
)
WEAK = re.compile(r"\b(?:bổ sung thêm|làm rõ thêm|từng đồng chí|từng lãnh đạo)\b", re.IGNORECASE)
REPORTED = re.compile(r"\b(?:đã|được)\s+(?:yêu cầu|đề nghị|kiến nghị)", re.IGNORECASE)


def _task_score(text: str, context: str) -> float:
    t = text.strip()
    score = 0.0
    if IMPERATIVE_START.match(t):
        score += 0.5
    if STRONG.search(t) and not REPORTED.search(t):
        score += 0.35
    if DUE_ACTION.search(t):
        score += 0.4
    if WEAK.search(t):
        score += 0.3
    if FINDING_SECTION.search(context):
        score -= 0.6
    elif TASK_SECTION.search(context):
        score += 0.2
    if FINDING.search(t):
        score -= 0.45
    if re.search(r"\b(?:đã|được)\b", t[:40]) and not IMPERATIVE_START.match(t):
        score -= 0.2
    return score


# --- who --------------------------------------------------------------------------------------

GENERIC_UNIT = re.compile(
    r"\b((?:Sở|Phòng|Văn phòng|Ban|Trung tâm|Thanh tra) (?:[A-ZĐ][\wÀ-ỹ&]*)(?: (?:[A-ZĐ][\wÀ-ỹ&]*|và|-))*)"
)
PERSON = re.compile(
    r"\b(?:ông|bà|đồng chí|đ/c)\s+((?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]+ ){1,4}[A-ZĐÀ-Ỹ][a-zà-ỹđ]+)\s*-\s*([^;,.]+)"
)
EVERY_LEADER = re.compile(r"\btừng (?:đồng chí )?lãnh đạo\b", re.IGNORECASE)
UNIT_LIST = re.compile(
    r"\b(Giám đốc|Thủ trưởng|lãnh đạo) các (Sở|phòng|đơn vị)\s*:\s*([A-ZĐ&]{2,}(?:\s*,\s*[A-ZĐ&]{2,}\b)+)"
)
COOP = re.compile(r"phối hợp với ((?:[^.;]{0,160}))", re.IGNORECASE)


@dataclass
class Who:
    unit: str | None = None
    assignee: str | None = None
    cooperating: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def _units_in(
    text: str, units: UnitsDirectory | None, *, generic: bool = False
) -> list[tuple[int, str, bool]]:
    """(position, name, resolved) of the units mentioned in ``text``; with ``generic``, also
    unit-like phrases the directory does not know ("Sở …", "Phòng …")."""
    found: list[tuple[int, str, bool]] = []
    if units is not None:
        found = [(pos, u.name, True) for pos, u in units.find_all(text)]
    if generic:
        for m in re.finditer(r"\b(?:Sở|Phòng|Văn phòng|Trung tâm|UBND) [A-ZĐ]", text):
            if any(abs(m.start() - pos) < 12 for pos, _, _ in found):
                continue
            found.append((m.start(), unit_phrase(text, m.start()), False))
    return sorted(found)


def _who(text: str, inherited: Who, units: UnitsDirectory | None) -> Who:
    who = Who(inherited.unit, inherited.assignee, list(inherited.cooperating), [])
    coop_text = ""
    if (m := COOP.search(text)) is not None:
        coop_text = re.split(
            r"\s(?:rà soát|thực hiện|để|trong|nhằm|tổ chức|xây dựng|cấp|triển khai)\b", m.group(1)
        )[0]
        who.cooperating = [n for _, n, _ in _units_in(coop_text, units, generic=True)]
    main_text = text.replace(coop_text, " ") if coop_text else text
    verb = re.search(r"\b(?:giao|yêu cầu|đề nghị|kiến nghị)\b", main_text, re.IGNORECASE)
    scope = main_text[verb.end() :] if verb else main_text
    mentioned = _units_in(scope, units, generic=verb is not None)
    if mentioned:
        _, name, resolved = mentioned[0]
        who.unit = name
        if not resolved:
            who.flags.append(f"unit {name!r} is not in the units directory")
    role = re.search(
        r"\b((?:Phó )?(?:Chánh|Giám đốc|Trưởng)\s+(?:Thanh tra|Văn phòng|phòng|Sở)(?:\s+[A-ZĐ][\wÀ-ỹ&]*)?)",
        scope if verb else "",
    )
    if role is not None:
        who.assignee = role.group(1).strip()
    if who.unit is None and who.assignee is None:
        who.flags.append("no responsible unit or person found")
    return who


# --- deadlines --------------------------------------------------------------------------------


def _deadline(text: str, issued: date) -> tuple[Deadline | None, str | None]:
    try:
        d = parse_deadline(text, issued)
    except DeadlineError:
        return None, "no deadline found: confirm it is a standing duty, or add one"
    return d, None


def _group_deadline(text: str) -> str | None:
    """A trailing sentence that only states a deadline ("Hoàn thành trong tháng 4/2024.")."""
    sentences = [s.strip() for s in re.split(r"(?<=[.;])\s+", text.strip()) if s.strip()]
    if len(sentences) >= 2 and len(sentences[-1]) < 60:
        last = sentences[-1]
        if re.search(r"(?:hoàn thành|trước|chậm nhất|trong tháng|hạn)", last, re.IGNORECASE):
            return last
    return None


def _heading_deadline(heading: str) -> str | None:
    """'Nhiệm vụ trọng tâm tháng 9/2022' → 'trong tháng 9/2022' (a briefing's tasks for a month)."""
    if re.match(r"\s*(?:thực hiện|kết quả|đánh giá)", heading, re.IGNORECASE):
        return None
    if re.search(r"nhiệm vụ", heading, re.IGNORECASE) and (
        m := re.search(r"tháng\s+\d{1,2}\s*/\s*\d{4}", heading)
    ):
        return "trong " + m.group(0)
    return None


# --- the extractor ----------------------------------------------------------------------------


def extract(
    text: str, *, units: UnitsDirectory | None = None, issued: date | None = None
) -> Extraction:
    """Propose draft directives from a document's text (see the module docstring)."""
    text = clean(text) if text.strip() else "\n"
    header = parse_header(text)
    when = header.date or issued
    partial = re.search(r"tháng\s*(\d{1,2})\s*năm\s*(\d{4})", header.date_text or "")
    if when is None and partial is not None:
        when = date(int(partial.group(2)), int(partial.group(1)), 1)
        header.warnings.append(
            f"the issue day is unknown; deadlines are read as from {when:%d/%m/%Y}"
        )
    elif when is None:
        when = date(1970, 1, 1)
        header.warnings.append(
            "no issue date: deadlines without a year cannot be placed; give --issued"
        )
    body_start = _body_start(text)
    tree = build_tree(text, body_start)
    drafts: list[Draft] = []
    _walk(tree, "", Who(), None, when, units, drafts, text)
    return Extraction(header, drafts)


def _body_start(text: str) -> int:
    """Skip the header: start after the place-and-date line / title block."""
    m = PLACE_DATE.search(text[:1500])
    start = m.end() if m else 0
    nl = text.find("\n", start)
    return nl + 1 if nl >= 0 else start


def _walk(
    node: Node,
    context: str,
    who: Who,
    group_deadline: str | None,
    issued: date,
    units: UnitsDirectory | None,
    drafts: list[Draft],
    text: str,
) -> None:
    for child in node.children:
        if child.marker == "para" and not child.children and _is_intro(child.text):
            who = _who(
                child.text, who, units
            )  # "…, đề nghị Sở GTVT thực hiện một số nội dung sau:"
            context = f"{context} {child.text[:160]}"
            continue
        if child.marker == "para" and not child.children and child.heading_like:
            context = f"{context} {child.text}"  # a heading line such as "Kiến nghị tổ chức họp kiểm điểm"
            continue
        inline = _split_inline(child)
        child_context = f"{context} {child.text[:160]}"
        heading_deadline = _heading_deadline(child.text) if child.heading_like else None
        if child.children and (child.heading_like or child.text.rstrip().endswith(":")):
            # A heading or an intro ("… yêu cầu lãnh đạo Phòng Thanh tra … thực hiện:"): context only.
            inherited = _who(child.text, who, units) if not child.heading_like else who
            _walk(
                child,
                child_context,
                inherited,
                heading_deadline or group_deadline,
                issued,
                units,
                drafts,
                text,
            )
            continue
        if inline is not None:
            intro, *parts = inline
            trailing = _group_deadline(parts[-1][0])
            if trailing:
                parts[-1] = (
                    parts[-1][0][: parts[-1][0].rfind(trailing)].strip(" ."),
                    parts[-1][1],
                    parts[-1][2],
                )
            base = _who(intro[0], who, units)
            for part_text, s, e in parts:
                _propose(
                    part_text,
                    s,
                    e,
                    f"{child_context} {intro[0]}",
                    base,
                    trailing or group_deadline,
                    issued,
                    units,
                    drafts,
                    force_task=_task_score(intro[0], context) > 0.3,
                )
            continue
        _propose(
            child.text, child.start, child.end, context, who, group_deadline, issued, units, drafts
        )
        if child.children:
            _walk(
                child,
                child_context,
                _who(child.text, who, units),
                group_deadline,
                issued,
                units,
                drafts,
                text,
            )


def _is_intro(text: str) -> bool:
    t = text.rstrip()
    return t.endswith(":") or bool(re.search(r"(?:sau|như sau)\s*[.:]$", t))


def _propose(
    item: str,
    start: int,
    end: int,
    context: str,
    inherited: Who,
    group_deadline: str | None,
    issued: date,
    units: UnitsDirectory | None,
    drafts: list[Draft],
    *,
    force_task: bool = False,
) -> None:
    score = _task_score(item, context)
    if not force_task and score < 0.3:
        return
    who = _who(item, inherited, units)
    phrase = item if group_deadline is None else f"{item} {group_deadline}"
    deadline, missing = _deadline(phrase, issued)
    flags = list(who.flags)
    if missing:
        flags.append(missing)
    elif deadline is not None and deadline.due is None and deadline.start is None:
        flags.append("standing duty (no deadline): confirm")
    if deadline is not None:
        flags.extend(deadline.warnings)
    confidence = 0.45 + min(score, 0.8) * 0.4 + (0.1 if who.unit or who.assignee else -0.1)
    confidence += 0.1 if deadline is not None and deadline.due is not None else 0.0

    def make(text: str, unit: str | None, assignee: str | None, extra: list[str]) -> Draft:
        return Draft(
            text=text,
            unit=unit,
            assignee=assignee,
            cooperating=who.cooperating,
            deadline_text=(deadline.matched if deadline and deadline.matched else group_deadline)
            if deadline
            else None,
            due=deadline.due if deadline else None,
            start=deadline.start if deadline else None,
            recurrence=str(deadline.recurrence) if deadline and deadline.recurrence else None,
            confidence=max(0.05, min(0.95, confidence)),
            source_span=(start, end),
            flags=[*flags, *extra],
        )

    # one draft per leader / named person / listed unit
    if EVERY_LEADER.search(item):
        unit = units.resolve(who.unit) if units is not None and who.unit else None
        if unit is not None and unit.leaders:
            for leader in unit.leaders:
                drafts.append(make(item, unit.name, leader, ["one of a directive per leader"]))
            return
        drafts.append(
            make(
                item,
                who.unit,
                None,
                ["addressed to each leader: give a roster (units.yaml 'leaders') to split it"],
            )
        )
        return
    people = PERSON.findall(item)
    if len(people) >= 1 and re.search(r"\bgồm\b|đối với các cá nhân", item):
        for name, position in people:
            d = make(item, who.unit, who.assignee, ["one directive per named official"])
            d.concerns = f"{name} - {position.strip()}"
            drafts.append(d)
        return
    if (m := UNIT_LIST.search(item)) is not None:
        title, kind = m.group(1), m.group(2)
        for abbr in [a.strip() for a in m.group(3).split(",")]:
            mention = f"{kind} {abbr}" if kind == "Sở" else abbr
            resolved = units.resolve(mention) if units is not None else None
            drafts.append(
                make(
                    item,
                    resolved.name if resolved else mention,
                    f"{title} {mention}",
                    ["one directive per listed unit"]
                    + ([] if resolved else [f"unit {mention!r} is not in the units directory"]),
                )
            )
        return
    drafts.append(make(item, who.unit, who.assignee, []))


def _unit_of(units: UnitsDirectory | None, name: str | None) -> Unit | None:
    return units.resolve(name) if units is not None and name else None


def normalize_for_search(text: str) -> str:
    return normalize(text)
