"""Who, what and when for a task: the responsible unit or person and cooperating units, the
deadline (its own, its group's or its heading's), and one draft per leader, named official or
listed unit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from ..deadlines.phrases import Deadline, normalize, parse_deadline
from ..errors import DeadlineError
from .clauses import ACTION, BODY_HEAD
from .header import unit_phrase
from .items import task_score
from .model import Draft
from .units import UnitsDirectory

# --- who --------------------------------------------------------------------------------------

PERSON = re.compile(
    r"\b(?:ông|bà|đồng chí|đ/c)\s+((?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]+ ){1,4}[A-ZĐÀ-Ỹ][a-zà-ỹđ]+)\s*-\s*([^;,.]+)"
)
EVERY_LEADER = re.compile(r"\btừng (?:đồng chí )?lãnh đạo\b", re.IGNORECASE)
UNIT_LIST = re.compile(
    r"\b(Giám đốc|Thủ trưởng|lãnh đạo) các (Sở|phòng|đơn vị)\s*:\s*([A-ZĐ&]{2,}(?:\s*,\s*[A-ZĐ&]{2,}\b)+)"
)
COOP = re.compile(r"phối hợp với ((?:[^.;]{0,160}))", re.IGNORECASE)
GENERIC_UNIT = re.compile(
    r"\b(?:Sở|Phòng|Văn phòng|Trung tâm|UBND|Ủy ban nhân dân|Uỷ ban nhân dân|Ban|Bộ|Cục|Chi cục) [A-ZĐ]"
)
DIRECTIVE_VERB = re.compile(
    r"(?<![\wÀ-ỹ])(?<!bàn )(?<!số )(?<!các )(?<!những )(?<!ý )(?<!được )"
    r"(?:giao(?!\s+thông)|yêu cầu|đề nghị|kiến nghị|chỉ đạo)"
    r"(?!\s+(?:này|trên|đó|của|tại))(?:\s+nhiệm\s+vụ)?(?:\s+cho)?\s+",
    re.IGNORECASE,
)
_LEAD = re.compile(r"^(?:[^,]{0,80},\s*)?")
ADDRESSEE = re.compile(
    r"(?i:UBND|HĐND|ủy ban|uỷ ban|ban|phòng|sở|văn phòng|trung tâm|lực lượng|bộ|cục|chi cục|tổ|đội|"
    r"công an|thanh tra|hội|đoàn|trường|viện|cơ quan|các|những|mỗi|từng|giám đốc|chủ tịch|hiệu trưởng|"
    r"thủ trưởng|trưởng|phó|bí thư|giảng viên|đồng chí|đ/c|cán bộ|công chức|viên chức|lãnh đạo|chủ đầu tư|"
    r"đơn vị|địa phương|ngành|người|quân|chi bộ|đảng ủy|đảng uỷ|huyện ủy|tỉnh ủy|thành ủy)(?![\wÀ-ỹ])"
)
GLUED = re.compile(r"[a-zà-ỹđ]{8,}")  # no Vietnamese syllable has 8 letters: words a page glued


def subject_phrase(text: str) -> str | None:
    """Who a clause addresses, as written: the words between the directive verb (or the start,
    when the clause opens with a public body) and the first action ("yêu cầu **giám đốc các
    sở, ban, ngành và chủ tịch UBND các huyện** khẩn trương rà soát", "**Ban Tổ chức Huyện ủy**
    tham mưu"). Words glued by a web page ("Cácsởgiáodục") end it."""
    head = text[:400]
    m = DIRECTIVE_VERB.search(head)
    lead = _LEAD.match(head)
    after = head[lead.end() :] if lead is not None else head
    body = (
        lead.end()
        if lead is not None and (BODY_HEAD.match(after) or re.match(r"(?:các|những)\s", after))
        else -1
    )
    if body < 0 and (BODY_HEAD.match(head) or re.match(r"(?:các|những)\s", head)):
        body = 0  # "…; các chủ đầu tư hoàn thiện hồ sơ …"
    first_action = ACTION.search(head, max(body, 0))
    if body >= 0 and first_action is not None and (m is None or first_action.start() < m.start()):
        start = (
            body  # "Ban Tổ chức Huyện ủy tham mưu …", "…, Sở Khoa học và Công nghệ sẽ xây dựng …"
        )
    elif m is not None:
        start = m.end()
    else:
        return None
    action = ACTION.search(head, start)
    if action is None:
        return None
    phrase = head[start : action.start()]
    if (glued := GLUED.search(phrase)) is not None:
        phrase = phrase[: phrase.rfind(" ", 0, glued.start()) + 1]
    words = r"(?:và|cùng|để|thì|phải|cần|được giao|được|sẽ|đã|trực tiếp|có trách nhiệm|nghiêm túc|tiếp tục)"
    phrase = re.sub(rf"^(?:{words}(?![\wÀ-ỹ])\s*)+", "", phrase.strip(" ,:;"))
    phrase = re.sub(rf"(?:(?<![\wÀ-ỹ]){words}\s*)+$", "", phrase).strip(" ,:;")
    if not 2 <= len(phrase) <= 250 or not re.search(r"[A-Za-zÀ-ỹĐđ]", phrase):
        return None
    if BODY_HEAD.fullmatch(phrase):
        return None  # "đề nghị Sở tiếp tục …": which Sở, the text does not say
    if start != body and not ADDRESSEE.match(phrase):
        return None  # "chỉ đạo chặt chẽ và tổ chức …": an adverb, not someone
    if re.match(r"(?i)(?:các|những)?\s*(?:nội dung|nhiệm vụ|công việc|việc)\b", phrase):
        return None
    return phrase


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
        for m in GENERIC_UNIT.finditer(text):
            if any(abs(m.start() - pos) < 12 for pos, _, _ in found):
                continue
            found.append((m.start(), unit_phrase(text, m.start()), False))
    return sorted(found)


def find_who(text: str, inherited: Who, units: UnitsDirectory | None) -> Who:
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
    # the addressee comes right after the verb; a unit named further on is something else
    mentioned = [
        u
        for u in _units_in(scope[:600], units, generic=verb is not None)
        if verb is None or u[0] <= 80
    ]
    subject = subject_phrase(main_text)
    if mentioned and (mentioned[0][2] or subject is None):
        _, name, resolved = mentioned[0]
        who.unit = name
        if not resolved:
            who.flags.append(f"đơn vị {name!r} không có trong danh mục đơn vị")
    elif subject is not None:
        resolved_unit = units.resolve(subject) if units is not None else None
        who.unit = resolved_unit.name if resolved_unit is not None else subject
        if resolved_unit is None:
            who.flags.append(f"đơn vị {subject!r} không có trong danh mục đơn vị")
    role = re.search(
        r"\b((?:Phó )?(?:Chánh|Giám đốc|Trưởng)\s+(?:Thanh tra|Văn phòng|phòng|Sở)(?:\s+[A-ZĐ][\wÀ-ỹ&]*)?)",
        scope if verb else "",
    )
    if role is not None:
        who.assignee = role.group(1).strip()
    if who.unit is None and who.assignee is None:
        who.flags.append("không tìm thấy đơn vị hoặc người chịu trách nhiệm")
    return who


# --- deadlines --------------------------------------------------------------------------------


NO_DEADLINE = "không thấy thời hạn: xác nhận là nhiệm vụ thường xuyên, hoặc thêm thời hạn"
# Two issue dates far apart: a deadline that reads the same from both does not depend on the
# (unknown) issue date; one that differs ("trước ngày 20.4", "trong tháng tới") cannot be placed.
PROBES = (date(1950, 6, 15), date(2090, 6, 15))
CONDITION = re.compile(
    r"^(?:[^,]{0,60},\s*)?(?:trường hợp|nếu|khi|đối với (?:những|các) (?:vấn đề|trường hợp))\s+(?!có\))([^,.;]{3,100})",
    re.IGNORECASE,
)


def read_deadline(text: str, issued: date | None) -> tuple[Deadline | None, list[str]]:
    """The deadline of ``text`` and the flags it needs. Without an issue date, a deadline that
    depends on it keeps its form (recurrence, event, the phrase) but no date, and is flagged."""
    if issued is not None:
        try:
            return parse_deadline(text, issued), []
        except DeadlineError:
            return None, [NO_DEADLINE]
    try:
        a, b = (parse_deadline(text, probe) for probe in PROBES)
    except DeadlineError:
        return None, [NO_DEADLINE]
    warnings = tuple(w for w in a.warnings if "ngày ban hành" not in w)
    if (a.due, a.start) == (b.due, b.start):
        return replace(a, warnings=warnings), []
    unplaced = (
        f"chưa xác định được: {a.matched!r} tính từ ngày ban hành, mà văn bản không ghi ngày; "
        "hãy cho --issued"
    )
    return replace(
        a,
        due=a.due if a.due == b.due else None,
        start=a.start if a.start == b.start else None,
        warnings=warnings,
    ), [unplaced]


def attach_deadline(draft: Draft, sentence: str, issued: date | None, why: str) -> None:
    """Give ``draft`` the deadline of a sentence that closes it (a line below, or earlier)."""
    deadline, flags = read_deadline(sentence, issued)
    if deadline is None:
        return
    draft.deadline_text = deadline.matched or sentence
    draft.due, draft.due_time = deadline.due, deadline.due_time
    draft.start = draft.start or deadline.start
    draft.recurrence = str(deadline.recurrence) if deadline.recurrence else None
    draft.event = deadline.event
    draft.flags = [f for f in draft.flags if f != NO_DEADLINE] + flags + [why + ": hãy kiểm tra"]
    draft.flags.extend(deadline.warnings)


def trailing_deadline(text: str) -> str | None:
    """A trailing sentence that only states a deadline ("Hoàn thành trong tháng 4/2024.")."""
    sentences = [s.strip() for s in re.split(r"(?<=[.;])\s+", text.strip()) if s.strip()]
    if len(sentences) >= 2 and len(sentences[-1]) < 60:
        last = sentences[-1]
        if re.search(r"(?:hoàn thành|trước|chậm nhất|trong tháng|hạn)", last, re.IGNORECASE):
            return last
    return None


def deadline_of_heading(heading: str) -> str | None:
    """'Nhiệm vụ trọng tâm tháng 9/2022' → 'trong tháng 9/2022' (a briefing's tasks for a month;
    also "tháng 5 năm 2021")."""
    if re.match(r"\s*(?:thực hiện|kết quả|đánh giá)", heading, re.IGNORECASE):
        return None
    if re.search(r"nhiệm vụ", heading, re.IGNORECASE) and (
        m := re.search(r"tháng\s+(\d{1,2})\s*(?:/|năm)\s*(\d{4})", heading)
    ):
        return f"trong tháng {m.group(1)}/{m.group(2)}"
    return None


def propose(
    item: str,
    start: int,
    end: int,
    context: str,
    inherited: Who,
    group_deadline: str | None,
    issued: date | None,
    units: UnitsDirectory | None,
    drafts: list[Draft],
    *,
    force_task: bool = False,
) -> None:
    phrase = item if group_deadline is None else f"{item} {group_deadline}"
    deadline, deadline_flags = read_deadline(phrase, issued)
    score = task_score(item, context)
    dated = deadline is not None and (
        deadline.due is not None or deadline.event is not None or deadline.recurrence is not None
    )
    marked = (
        deadline is not None
        and not deadline.rule.startswith("every ")  # a bare "hàng năm" in a finding
        and not (deadline.matched or "").startswith("vào")  # "Vào lúc 16 giờ ngày …": when it met
        and (deadline.due is None or issued is None or deadline.due >= issued)
    )
    own = group_deadline is None or (
        deadline is not None
        and deadline.matched is not None
        and deadline.matched not in normalize(group_deadline)
    )
    if dated and marked and own and ACTION.search(item):
        score += 0.4  # an action with a deadline of its own ("UBND quận … báo cáo … trước 16h30")
    event = deadline.event if deadline is not None else None
    condition = CONDITION.match(item) if not dated else None
    if condition is not None and ACTION.search(item):
        event = condition.group(1).strip()  # "trường hợp có khó khăn, …, kịp thời báo cáo"
        score += 0.35
    if not force_task and score < 0.3:
        return
    who = find_who(item, inherited, units)
    flags = list(who.flags) + deadline_flags
    if condition is not None and event is not None:
        flags.append(f"nhiệm vụ có điều kiện: khi {event}")
    elif (
        deadline is not None
        and deadline.due is None
        and deadline.start is None
        and deadline.event is None
        and deadline.recurrence is None
    ):
        flags.append("nhiệm vụ thường xuyên (không có thời hạn): hãy xác nhận")
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
            due_time=deadline.due_time if deadline else None,
            event=event,
        )

    # one draft per leader / named person / listed unit
    if EVERY_LEADER.search(item):
        unit = units.resolve(who.unit) if units is not None and who.unit else None
        if unit is not None and unit.leaders:
            for leader in unit.leaders:
                drafts.append(make(item, unit.name, leader, ["một nhiệm vụ cho mỗi lãnh đạo"]))
            return
        drafts.append(
            make(
                item,
                who.unit,
                None,
                ["giao cho từng lãnh đạo: cần danh sách lãnh đạo (units.yaml 'leaders') để tách"],
            )
        )
        return
    people = PERSON.findall(item)
    if len(people) >= 1 and re.search(r"\bgồm\b|đối với các cá nhân", item):
        for name, position in people:
            d = make(item, who.unit, who.assignee, ["một nhiệm vụ cho mỗi người được nêu tên"])
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
                    ["một nhiệm vụ cho mỗi đơn vị được liệt kê"]
                    + ([] if resolved else [f"đơn vị {mention!r} không có trong danh mục đơn vị"]),
                )
            )
        return
    drafts.append(make(item, who.unit, who.assignee, []))
