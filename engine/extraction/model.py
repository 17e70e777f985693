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

    def describe(self) -> str:
        """One line for a clerk: type, number/symbol, issuer, place and date (dd/mm/yyyy).
        A part already contained in another one is left out: the place-and-date line
        ("Đắk Nông, ngày … tháng 3 năm 2024") already names the place, an issuer "Thanh tra
        tỉnh Tây Ninh" already names the province."""
        number = f"số {self.number or '…'}/{self.symbol}" if self.symbol else ""
        when = f"ngày {self.date:%d/%m/%Y}" if self.date is not None else self.date_text or ""
        parts = [
            " ".join(x for x in (self.doc_type or "", number) if x),
            self.issuer or "",
            self.place or "",
            when,
        ]
        return " · ".join(_without_repeats(parts)) or "(không đọc được phần đầu văn bản)"

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


def _without_repeats(parts: list[str]) -> list[str]:
    """The non-empty parts, each dropped when another part already contains it."""
    kept = [p.strip() for p in parts if p and p.strip()]
    folded = [p.casefold() for p in kept]
    return [
        p
        for i, p in enumerate(kept)
        if not any(
            j != i and folded[i] in folded[j] and folded[i] != folded[j] for j in range(len(kept))
        )
        and folded[i] not in folded[:i]
    ]


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
