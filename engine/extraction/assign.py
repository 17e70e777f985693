"""Who, what and when for a task: the responsible unit or person and cooperating units, the
deadline (its own, its group's or its heading's), and one draft per leader, named official or
listed unit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..deadlines.phrases import Deadline, parse_deadline
from ..errors import DeadlineError
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


def trailing_deadline(text: str) -> str | None:
    """A trailing sentence that only states a deadline ("Hoàn thành trong tháng 4/2024.")."""
    sentences = [s.strip() for s in re.split(r"(?<=[.;])\s+", text.strip()) if s.strip()]
    if len(sentences) >= 2 and len(sentences[-1]) < 60:
        last = sentences[-1]
        if re.search(r"(?:hoàn thành|trước|chậm nhất|trong tháng|hạn)", last, re.IGNORECASE):
            return last
    return None


def deadline_of_heading(heading: str) -> str | None:
    """'Nhiệm vụ trọng tâm tháng 9/2022' → 'trong tháng 9/2022' (a briefing's tasks for a month)."""
    if re.match(r"\s*(?:thực hiện|kết quả|đánh giá)", heading, re.IGNORECASE):
        return None
    if re.search(r"nhiệm vụ", heading, re.IGNORECASE) and (
        m := re.search(r"tháng\s+\d{1,2}\s*/\s*\d{4}", heading)
    ):
        return "trong " + m.group(0)
    return None


def propose(
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
    score = task_score(item, context)
    if not force_task and score < 0.3:
        return
    who = find_who(item, inherited, units)
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
