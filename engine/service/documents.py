"""Documents rendered from the tracked work: letters for one directive, the progress report."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..clock import local_date
from ..core.actors import Actor
from ..deadlines.status import (
    Status,
    days_late,
)
from ..documents.office import Office
from ..documents.pdf import html_to_pdf
from ..documents.render import is_report
from ..errors import (
    PayloadError,
)
from .queries import Queries


class Documents(Queries):
    """Rendering documents from directives and statistics."""

    def document_context(
        self,
        template: str,
        *,
        directive_id: int | None = None,
        office: Office | None = None,
        against: str = "current",
        scope: str | None = None,
        report_to: str | None = None,
        actor: Actor | None = None,
    ) -> dict[str, Any]:
        """The context a document template is rendered with (see :meth:`render_document`).

        A report covers what ``actor`` may see (everything when None); its rows are plain
        data (``rows``, ``totals``, ``overdue``) for any writer."""
        now = self.clock.now()
        base: dict[str, Any] = {
            "office": asdict(office or Office()),
            "today": local_date(now),
            "now": now,
            "directive_issuer": "",
        }
        if is_report(template):
            rows = self.statistics(against=against, actor=actor)
            statuses = [s.value for s in Status]
            totals = {s: sum(r.counts[Status(s)] for r in rows) for s in statuses}
            totals["total"] = sum(r.total for r in rows)
            overdue = []
            for d in self.overdue(against=against, actor=actor):  # most late first
                due = d.original_due if against == "original" else d.due
                names = self._directive_context(d, now)["directive"]
                overdue.append({**names, "days_late": days_late(due, local_date(now))})
            return {
                **base,
                "rows": [
                    {
                        "key": r.key,
                        "total": r.total,
                        "counts": {s.value: n for s, n in r.counts.items()},
                    }
                    for r in rows
                ],
                "totals": totals,
                "overdue": overdue,
                "against": against,
                "scope": scope,
                "report_to": report_to,
            }
        if directive_id is None:
            raise PayloadError("directive", f"template {template!r} needs a directive")
        context = {**base, **self._directive_context(self.get(directive_id), now)}
        context["directive_issuer"] = context["directive"]["doc_issuer"] or ""
        context["history"] = [asdict(e) for e in self.history(directive_id)]
        return context

    def render_document(
        self,
        template: str,
        *,
        fmt: str = "html",
        directive_id: int | None = None,
        office: Office | None = None,
        against: str = "current",
        scope: str | None = None,
        report_to: str | None = None,
        actor: Actor | None = None,
    ) -> bytes:
        """Render ``template`` for a directive (or, for ``progress_report``, for all of them
        ``actor`` may see) as ``html``, ``txt`` or ``pdf``. Returns bytes (UTF-8 for html and
        txt)."""
        if fmt not in ("html", "txt", "pdf"):
            raise PayloadError("format", "expected html, txt or pdf")
        context = self.document_context(
            template,
            directive_id=directive_id,
            office=office,
            against=against,
            scope=scope,
            report_to=report_to,
            actor=actor,
        )
        if fmt == "txt":
            msg = self.renderer.render_text(template, context)
            return f"{msg.subject}\n\n{msg.body}".encode()
        html = self.renderer.render_html(template, context)
        return html.encode() if fmt == "html" else html_to_pdf(html)
