"""What extraction proposes: the document's header and one draft per task found in its body."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Any


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
    due_time: time | None = None  # "trước 17 giờ ngày …": late from that time on ``due``
    event: str | None = None  # relative to an event or a condition, when there is no date

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
            "due_time": self.due_time.strftime("%H:%M") if self.due_time else None,
            "recurrence": self.recurrence,
            "event": self.event,
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
