"""The body's items: the tree of numbered and bulleted lines ("1.", "(1)", "a)", "-", "+"),
inline "(1) …; (2) …" lists, and how strongly an item reads as a task rather than a finding."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .clauses import ACTION, BODY_HEAD


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


def split_inline(node: Node) -> list[tuple[str, int, int]] | None:
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
    r"hoàn thành|làm rõ|bổ sung|khắc phục|thực hiện(?!\s+(?:kế hoạch|chỉ thị|công văn|văn bản|nghị quyết|"
    r"quyết định|thông báo|kết luận|chương trình|nghị định|thông tư|ý kiến)\b)|nghiên cứu|quán triệt|kiểm tra|báo cáo|phối hợp|"
    r"duy trì|nâng cao|cần|phải|trước ngày|quá trình .{0,40}yêu cầu|đánh giá .{0,80}bổ sung)",
    re.IGNORECASE,
)
STRONG = re.compile(
    r"(?<!đã )(?<!được )(?<!theo )(?<!ứng )(?<!đúng )\b(?:yêu cầu|giao đồng chí|giao cho|đề nghị|kiến nghị|(?-i:phải|cần))\b"
    r"(?!\s+(?:này|trên|đó))|(?<!đã )\bđược giao\b"
    r"|(?<!đã )(?<!công tác )\bchỉ đạo\s+(?=(?-i:[A-ZĐ])|các\b|chủ đầu tư\b)",
    re.IGNORECASE,
)
ASSIGNED = re.compile(r"(?<!đã )\bđược giao\b", re.IGNORECASE)
FINDING = re.compile(
    r"\b(?:cho biết|ghi nhận|biểu dương|đánh giá cao|qua kiểm tra|kết quả thanh tra cho thấy|phê bình|"
    r"chưa đạt|chưa kịp thời|chưa thực hiện|chưa có|chỉ đạt|không có biên bản|nguyên nhân|đáng chú ý|"
    r"tiếp thu|khẳng định|xoay quanh|chỉ ra|cho thấy|chậm yêu cầu|chưa chặt chẽ|chưa sâu sát|chưa thể hiện|còn nhiều sai sót)\b",
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


def task_score(text: str, context: str) -> float:
    """How strongly ``text`` reads as a task (≥ 0.3: propose it). Reads its first 1,000
    characters: the cues of a task are at its start, and a longer clause is merged narrative."""
    t = text.strip()[:1000]
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
    if (
        re.search(r"\b(?:đã|được)\b", t[:40])
        and not IMPERATIVE_START.match(t)
        and not ASSIGNED.search(t[:80])
    ):
        score -= 0.2
    action = ACTION.search(t[:160])
    if BODY_HEAD.match(t) and action is not None and action.start() <= 60 and not FINDING.search(t):
        score += 0.3  # "Phòng Chính trị, tư tưởng phối hợp … tổ chức …": a body and its action
    return score


def is_intro(text: str) -> bool:
    t = text.rstrip()
    return t.endswith(":") or bool(re.search(r"(?:sau|như sau)\s*[.:]$", t))
