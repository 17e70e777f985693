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
from .assign import Who, deadline_of_heading, find_who, propose, trailing_deadline
from .header import PLACE_DATE, body_start_of, parse_header, unit_phrase
from .items import Node, build_tree, is_intro, split_inline, task_score
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
    body_start = body_start_of(text)
    tree = build_tree(text, body_start)
    drafts: list[Draft] = []
    _walk(tree, "", Who(), None, when, units, drafts, text)
    return Extraction(header, drafts)


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
        if child.marker == "para" and not child.children and is_intro(child.text):
            who = find_who(
                child.text, who, units
            )  # "…, đề nghị Sở GTVT thực hiện một số nội dung sau:"
            context = f"{context} {child.text[:160]}"
            continue
        if child.marker == "para" and not child.children and child.heading_like:
            context = f"{context} {child.text}"  # a heading line such as "Kiến nghị tổ chức họp kiểm điểm"
            continue
        inline = split_inline(child)
        child_context = f"{context} {child.text[:160]}"
        heading_deadline = deadline_of_heading(child.text) if child.heading_like else None
        if child.children and (child.heading_like or child.text.rstrip().endswith(":")):
            # A heading or an intro ("… yêu cầu lãnh đạo Phòng Thanh tra … thực hiện:"): context only.
            inherited = find_who(child.text, who, units) if not child.heading_like else who
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
            trailing = trailing_deadline(parts[-1][0])
            if trailing:
                parts[-1] = (
                    parts[-1][0][: parts[-1][0].rfind(trailing)].strip(" ."),
                    parts[-1][1],
                    parts[-1][2],
                )
            base = find_who(intro[0], who, units)
            for part_text, s, e in parts:
                propose(
                    part_text,
                    s,
                    e,
                    f"{child_context} {intro[0]}",
                    base,
                    trailing or group_deadline,
                    issued,
                    units,
                    drafts,
                    force_task=task_score(intro[0], context) > 0.3,
                )
            continue
        propose(
            child.text, child.start, child.end, context, who, group_deadline, issued, units, drafts
        )
        if child.children:
            _walk(
                child,
                child_context,
                find_who(child.text, who, units),
                group_deadline,
                issued,
                units,
                drafts,
                text,
            )


def normalize_for_search(text: str) -> str:
    return normalize(text)
