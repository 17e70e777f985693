"""Letters sent on a directive (issue 22, item 3): a chasing letter (công văn đôn đốc) written,
recorded and sent in one command.

The letter is rendered as Word (to edit and sign) and PDF from the directive as it stands; one
transaction then keeps both files (table ``letters``), appends a ``letter`` event to the
directive's hash-chained history with the files' digests, and queues the letter's text in the
outbox for the people it is addressed to. If the directive changed while the letter was being
written, nothing is kept (:class:`ConflictError`); a letter that does not fit the case (chasing
a closed directive) is refused with the reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..core.actors import Actor
from ..core.movespec import UNIT_HEAD
from ..core.permissions import Permission, can
from ..documents.pdf import PdfUnavailable
from ..errors import ConflictError, NotFound, PayloadError
from ..store.tables import LetterRow
from .documents import CHASING, KIND_NAMES, MEDIA_TYPES, Documents, RenderedDocument
from .explanations import Explanations

#: Who may send a letter on a directive: these roles on it, or the global review or admin
#: permission (a board member chases any unit).
LETTER_ROLES = ("assigner", "reviewer", UNIT_HEAD)
_L: sa.Table = LetterRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class SentLetter:
    """A letter as sent: who sent it when, to whom, and its files' digest."""

    id: int
    directive_id: int
    template: str
    title: str
    sent_by: str
    sent_at: datetime
    recipient: str | None
    sha256: str
    has_pdf: bool


class Letters(Explanations, Documents):
    """Send letters on a directive and fetch them as sent."""

    def send_letter(
        self, directive_id: int, actor: Actor, template: str = "chasing_letter"
    ) -> SentLetter:
        """Write ``template`` (a chasing letter by default) for the directive, keep it, record
        it in the directive's history and queue it to the assignee (or the lead unit's head).

        Raises NotFound, PermissionDenied (not its assigner, reviewer or unit head, nor a
        holder of the review permission), DocumentNotApplicable (the directive is closed or
        already reported done), ConflictError (it changed meanwhile), PayloadError (a template
        that is not a letter chasing work)."""
        if template not in CHASING:
            raise PayloadError("template", f"cần một trong {', '.join(CHASING)}")
        seen = self.get(directive_id)
        docx = self.document(template, fmt="docx", directive_id=directive_id).data
        try:
            pdf: bytes | None = self.document(template, fmt="pdf", directive_id=directive_id).data
        except PdfUnavailable:
            pdf = None  # no Pango on this machine: the Word file is what an office signs anyway
        digest = hashlib.sha256(docx).hexdigest()
        now = self.clock.now()
        with self._cmd() as sql:
            row = self._load_for_move(sql, directive_id, "send_letter")
            if row.version != seen.version:
                raise ConflictError(directive_id, "nhiệm vụ thay đổi trong lúc lập công văn")
            compiled = self._compiled(sql, row.workflow, row.workflow_version)
            if can(actor, Permission.ADMIN) or can(actor, Permission.REVIEW):
                held = self._move_roles(actor, row, compiled)
                role = next((r for r in LETTER_ROLES if r in held), "reviewer")
            else:
                role = self._need("send_letter", list(LETTER_ROLES), actor, row, compiled)
            record = self._to_record(sql, row)
            if row.assignee:
                people = [self.directory.person(row.assignee)]
            else:
                people = list(self.directory.resolve("lead_unit", record))
            recipient = people[0].id if people else None
            inserted = sql.conn.execute(
                _L.insert().values(
                    directive_id=row.id,
                    event_seq=row.event_seq + 1,
                    template=template,
                    sent_by=actor.id,
                    sent_at=now,
                    recipient=recipient,
                    docx=docx,
                    pdf=pdf,
                    sha256=digest,
                )
            ).inserted_primary_key
            assert inserted is not None
            letter_id = int(inserted[0])
            notified = self._notify(
                sql,
                row,
                people,
                template,
                f"letter:{letter_id}",
                now,
                role="assignee" if row.assignee else "lead_unit",
            )
            self._move_event(
                sql,
                row,
                actor=actor.id,
                role=role,
                move="send_letter",
                kind="letter",
                payload={
                    "template": template,
                    "letter": letter_id,
                    "sha256": digest,
                    "pdf_sha256": hashlib.sha256(pdf).hexdigest() if pdf is not None else None,
                    "notified": notified,
                },
                now=now,
            )
        return SentLetter(
            letter_id,
            directive_id,
            template,
            KIND_NAMES.get(template, template),
            actor.id,
            now,
            recipient,
            digest,
            pdf is not None,
        )

    def letters(self, directive_id: int) -> list[SentLetter]:
        """The letters sent on a directive, oldest first (without their files)."""
        cols = [_L.c[n] for n in ("id", "directive_id", "template", "sent_by", "sent_at")]
        with self._tx() as repo:
            rows = repo.s.execute(
                sa.select(*cols, _L.c.recipient, _L.c.sha256, _L.c.pdf.is_not(None))
                .where(_L.c.directive_id == directive_id)
                .order_by(_L.c.id)
            ).all()
        return [
            SentLetter(
                r[0], r[1], r[2], KIND_NAMES.get(r[2], r[2]), r[3], r[4], r[5], r[6], bool(r[7])
            )
            for r in rows
        ]

    def letter_file(self, directive_id: int, letter_id: int, fmt: str = "docx") -> RenderedDocument:
        """A sent letter's file as it was sent: ``docx`` or ``pdf``. NotFound when there is no
        such letter on the directive (or no PDF of it)."""
        if fmt not in ("docx", "pdf"):
            raise PayloadError("format", "cần docx hoặc pdf")
        with self._tx() as repo:
            row = repo.s.execute(
                sa.select(_L.c.template, _L.c[fmt]).where(
                    _L.c.id == letter_id, _L.c.directive_id == directive_id
                )
            ).first()
        if row is None or row[1] is None:
            raise NotFound("letter", letter_id)
        name = f"{row[0]}_{directive_id}_{letter_id}.{fmt}"
        return RenderedDocument(bytes(row[1]), fmt, MEDIA_TYPES[fmt], name)
