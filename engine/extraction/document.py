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

The stages live in their own modules — :mod:`.reader` (reading, debris), :mod:`.header`,
:mod:`.items` (the item tree, task or finding), :mod:`.assign` (who, deadlines, one draft per
leader/official/unit) and :mod:`.model` (the results); this module runs them in order.
"""

from __future__ import annotations

import re
from datetime import date

from ..deadlines.phrases import normalize
from .assign import (
    Who,
    attach_deadline,
    deadline_of_heading,
    find_who,
    propose,
    trailing_deadline,
)
from .clauses import ACTION, ADDRESSING, LIST_INTRO, is_deadline_sentence, split_clauses
from .header import PLACE_DATE, body_start_of, parse_header, unit_phrase
from .items import TASK_SECTION, Node, build_tree, is_intro, split_inline, task_score
from .model import Draft, Extraction, Header
from .reader import clean, read_document
from .units import Unit, UnitsDirectory

__all__ = [
    "PLACE_DATE",
    "Draft",
    "Extraction",
    "Header",
    "Node",
    "Unit",
    "UnitsDirectory",
    "Who",
    "build_tree",
    "clean",
    "extract",
    "normalize_for_search",
    "parse_header",
    "read_document",
    "unit_phrase",
]


def extract(
    text: str, *, units: UnitsDirectory | None = None, issued: date | None = None
) -> Extraction:
    """Propose draft directives from a document's text (see the module docstring).

    ``issued`` is used when the document gives no date of its own. With neither, deadlines that
    depend on the issue date ("trước ngày 20.4", "trong tháng tới") stay unplaced and flagged:
    no year is ever invented. Linear in the length of the text.
    """
    text = clean(text) if text.strip() else "\n"
    header = parse_header(text)
    when = header.date or issued
    partial = re.search(r"tháng\s*(\d{1,2})\s*năm\s*(\d{4})", header.date_text or "")
    if when is None and partial is not None:
        # year 0 or month 13: the header already warns that the date does not exist
        when = _first_of_month(int(partial.group(2)), int(partial.group(1)))
        if when is not None:
            header.warnings.append(f"không rõ ngày ban hành; thời hạn được tính từ {when:%d/%m/%Y}")
    if when is None and partial is None:
        header.warnings.append(
            "không có ngày ban hành: thời hạn không ghi năm thì không xác định được; hãy cho --issued"
        )
    body_start = body_start_of(text)
    tree = build_tree(text, body_start)
    walker = _Walker(when, units, text)
    walker.walk(tree, "", Who(), None)
    return Extraction(header, walker.drafts)


REPORT = re.compile(r"(?i:cho biết|đáng chú ý|ghi nhận|biểu dương|khẳng định|báo cáo với)")
MUST = re.compile(r"(?<![\wÀ-ỹ])(?:phải|cần)(?![\wÀ-ỹ])")
_CONTEXT = 400  # characters of heading context an item sees: bounded, so the walk stays linear
_FOCUS_MONTH = re.compile(
    r"nhiệm vụ[^.;:]{0,40}?tháng\s+(\d{1,2})\s*(?:/|năm)\s*(\d{4})", re.IGNORECASE
)


def _tail(context: str, more: str) -> str:
    return f"{context} {more}"[-_CONTEXT:]


class _Walker:
    """One pass over the item tree, in document order, proposing drafts."""

    def __init__(self, issued: date | None, units: UnitsDirectory | None, text: str) -> None:
        self.issued = issued
        self.units = units
        self.text = text
        self.drafts: list[Draft] = []
        self.previous: list[Draft] = []  # the drafts of the item just before
        self.pending: str | None = None  # "Thời hạn nộp báo cáo: …" before its request

    def walk(self, node: Node, context: str, who: Who, group_deadline: str | None) -> None:
        for child in node.children:
            if child.marker == "para" and not child.children and self._closes_previous(child):
                continue
            if child.marker == "para" and not child.children and is_intro(child.text):
                who = find_who(child.text, who, self.units)
                context = _tail(context, child.text[:160])
                continue
            if child.marker == "para" and not child.children and child.heading_like:
                context = _tail(context, child.text)
                continue
            child_context = _tail(context, child.text[:160])
            heading_deadline = deadline_of_heading(child.text) if child.heading_like else None
            if child.children and (child.heading_like or child.text.rstrip().endswith(":")):
                inherited = find_who(child.text, who, self.units) if not child.heading_like else who
                self.walk(child, child_context, inherited, heading_deadline or group_deadline)
                continue
            before = len(self.drafts)
            inline = split_inline(child)
            if inline is not None:
                self._inline(inline, context, child_context, who, group_deadline)
            else:
                self._clauses(child, context, who, group_deadline)
            self.previous = self.drafts[before:]
            if child.children:
                self.walk(
                    child, child_context, find_who(child.text, who, self.units), group_deadline
                )

    def _closes_previous(self, child: Node) -> bool:
        """A deadline sentence on a line of its own ("Các đơn vị thực hiện trước ngày
        24/3/2016.") closes the request above it; "Thời hạn …" before its request waits for it."""
        if not is_deadline_sentence(child.text):
            return False
        open_drafts = [d for d in self.previous if d.due is None and d.event is None]
        if open_drafts:
            for d in open_drafts:
                attach_deadline(d, child.text, self.issued, "thời hạn ở dòng dưới")
            return True
        if re.match(r"(?i)\s*thời hạn", child.text):
            self.pending = child.text
            return True
        return False

    def _inline(
        self,
        inline: list[tuple[str, int, int]],
        context: str,
        child_context: str,
        who: Who,
        group_deadline: str | None,
    ) -> None:
        intro, *parts = inline
        trailing = trailing_deadline(parts[-1][0])
        if trailing:
            parts[-1] = (
                parts[-1][0][: parts[-1][0].rfind(trailing)].strip(" ."),
                parts[-1][1],
                parts[-1][2],
            )
        base = find_who(intro[0], who, self.units)
        for part_text, s, e in parts:
            self._propose(
                part_text,
                s,
                e,
                _tail(child_context, intro[0]),
                base,
                trailing or group_deadline,
                force_task=task_score(intro[0], context) > 0.3,
            )

    def _clauses(self, child: Node, context: str, who: Who, group_deadline: str | None) -> None:
        clauses = split_clauses(
            child.text, child.start, self.issued or _ANY_DAY, bulleted=child.marker != "para"
        )
        intro = LIST_INTRO.search(child.text)
        focus = None
        if intro is not None:  # the month named closest before "gồm:"
            months = list(
                _FOCUS_MONTH.finditer(child.text, max(0, intro.start() - 2000), intro.start())
            )
            focus = months[-1] if months else None
        list_deadline = group_deadline
        task_list = False  # a list of tasks ("… nhiệm vụ trọng tâm … gồm:"), not of findings
        task_before = False
        current = who
        # "Phó Giám đốc … cho biết: …": the sentences after a report cue are the report
        reported = bool(clauses) and REPORT.search(clauses[0].text) is not None
        for c in clauses:
            if c.continued and reported and not (ADDRESSING.search(c.text) or MUST.search(c.text)):
                continue
            if LIST_INTRO.search(c.text[-40:]) and not c.in_list:
                last_sentence = re.split(r"[.;]\s", c.text)[-1]
                task_list = TASK_SECTION.search(last_sentence) is not None
                # "… một số nhiệm vụ trọng tâm cần thực hiện trong tháng tới gồm:" frames the list
                current = find_who(c.text, current, self.units)
                if focus is not None:
                    list_deadline = f"trong tháng {focus.group(1)}/{focus.group(2)}"
                elif deadline_of_heading(c.text):
                    list_deadline = deadline_of_heading(c.text)
                continue
            force = (c.in_list and task_list) or (
                c.continued and task_before and ACTION.search(c.text) is not None
            )
            n = len(self.drafts)
            self._propose(
                c.text,
                c.start,
                c.end,
                context,
                current,
                list_deadline if c.in_list else group_deadline,
                force_task=force,
            )
            task_before = len(self.drafts) > n
            if task_before:
                last = self.drafts[-1]
                current = Who(last.unit, last.assignee, [], [])

    def _propose(
        self,
        item: str,
        start: int,
        end: int,
        context: str,
        who: Who,
        group_deadline: str | None,
        *,
        force_task: bool = False,
    ) -> None:
        n = len(self.drafts)
        propose(
            item,
            start,
            end,
            context,
            who,
            group_deadline,
            self.issued,
            self.units,
            self.drafts,
            force_task=force_task,
        )
        if self.pending is not None and len(self.drafts) > n:
            open_drafts = [d for d in self.drafts[n:] if d.due is None and d.event is None]
            for d in open_drafts:
                attach_deadline(d, self.pending, self.issued, "thời hạn được nêu ở phía trước")
            self.pending = None


_ANY_DAY = date(2000, 1, 1)  # only to find where deadlines lie, never to date one


def normalize_for_search(text: str) -> str:
    return normalize(text)


def _first_of_month(year: int, month: int) -> date | None:
    """The first day of that month, or None when there is no such month (year 0, month 13)."""
    try:
        return date(year, month, 1)
    except ValueError:
        return None
