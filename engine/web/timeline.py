"""A directive's timeline as people read it: who by full name and position, what in the
workflow's Vietnamese labels (states, triggers, timers, roles), repeated system events folded
into one line ("3 lần Báo cáo vượt cấp")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..clock import VN_TZ
from ..core.directory import display
from ..core.records import AuditEvent
from ..core.spec import WorkflowSpec
from ..service.documents import KIND_NAMES

SYSTEM = "Hệ thống"

#: How the timeline names the moves (delegation, reassignment, claim, explanations).
MOVE_LABELS = {
    "delegate": "giao việc tiếp",
    "roll_up": "cập nhật tiến độ tổng hợp từ việc giao tiếp",
    "cooperate": "đề nghị đơn vị phối hợp",
    "reassign": "chuyển xử lý",
    "claim": "nhận xử lý từ hàng chờ của đơn vị",
    "assign": "phân công từ hàng chờ của đơn vị",
    "request_explanation": "yêu cầu giải trình",
    "answer_explanation": "giải trình",
    "assess_explanation": "đánh giá giải trình",
    "explanation_lapsed": "quá hạn giải trình",
}


@dataclass
class Entry:
    at: datetime
    who: str
    role: str | None
    text: str
    note: str | None = None
    count: int = 1
    key: tuple[Any, ...] = field(default=(), repr=False)
    last: datetime | None = None


def display_name(directory: Any, person: str) -> str:
    """A person's full name and position from the people directory; ``Hệ thống`` for the
    scheduler; the id when the directory does not know them."""
    if person.startswith("system"):
        return SYSTEM
    try:
        return display(directory, person)  # "Hoàng Thị Luyến – Phó Chánh Thanh tra"
    except Exception:  # a directory port may raise for an unknown person
        return person


def readable(events: list[AuditEvent], spec: WorkflowSpec, directory: Any) -> list[Entry]:
    states = {s.id: s.label for s in spec.states}
    triggers = {t.trigger: t.label for t in spec.transitions if t.label}
    timers = {t.id: t.label or t.id for t in spec.timers}
    roles = {r: s.label for r, s in spec.roles.items()}
    roles.setdefault("system", "")  # the scheduler is "Hệ thống" already; no "(system)"
    names: dict[str, str] = {}

    def who(person: str) -> str:
        if person not in names:
            names[person] = display_name(directory, person)
        return names[person]

    def person_or_unit(p: dict[str, Any]) -> str:
        if p.get("to_assignee"):
            return " → " + who(str(p["to_assignee"]))
        if p.get("to_unit"):
            return " → " + str(p["to_unit"])
        return ""

    out: list[Entry] = []
    for e in events:
        p = e.payload or {}
        note: str | None = None
        if e.kind == "created":
            text = "giao nhiệm vụ"
        elif e.kind in ("move", "rollup"):
            text = MOVE_LABELS.get(e.trigger or "", e.trigger or "") + person_or_unit(p)
            if p.get("reason"):
                note = str(p["reason"])
            if e.trigger == "roll_up" and "progress" in p:
                text += f" ({p['progress']}%)"
        elif e.kind == "letter":
            text = "Gửi " + KIND_NAMES.get(str(p.get("template", "")), "văn bản")
            sent = p.get("notified") or []
            if sent:
                text += " — gửi " + ", ".join(who(str(s)) for s in sent)
        elif e.kind == "timer":
            label = timers.get(str(p.get("timer", "")), "") or MOVE_LABELS.get(
                e.trigger or "", e.trigger or str(p.get("timer", ""))
            )
            text = label
            if e.to_state and e.to_state != e.from_state:
                text += f" (chuyển sang “{states.get(e.to_state, e.to_state)}”)"
            sent = p.get("notified") or []
            if sent:
                text += " — gửi " + ", ".join(who(str(s)) for s in sent)
        else:
            text = triggers.get(e.trigger or "", e.trigger or e.kind)
            if e.from_state != e.to_state:
                text += (
                    f" (“{states.get(e.from_state or '', e.from_state)}” → "
                    f"“{states.get(e.to_state or '', e.to_state)}”)"
                )
            for k in ("report", "result", "reason", "note"):
                if p.get(k):
                    note = str(p[k])
                    break
        key = (e.actor, e.kind, e.trigger, text) if e.kind == "timer" else ()
        at = e.at.astimezone(VN_TZ)
        if key and out and out[-1].key == key:
            out[-1].count += 1
            out[-1].last = at
            continue
        out.append(Entry(at, who(e.actor), roles.get(e.role or "", e.role), text, note, key=key))
    return out
