"""Documents rendered from the tracked work: letters for one directive, the progress report.

The Engine builds the context (plain dicts and lists: people by name and position, dates as
dates, choice values by their labels); the writers in :mod:`dondoc.documents` turn it into
bytes — HTML and text (Jinja2), PDF (from the HTML), Word (a .docx template with Jinja2 tags),
Excel (the report's grids). A letter is only written when it fits the case
(:class:`~dondoc.errors.DocumentNotApplicable` says why not).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from ..clock import local_date
from ..core.actors import Actor
from ..core.records import Directive
from ..deadlines.status import Status, days_late, progress_status
from ..documents.office import Office
from ..documents.pdf import html_to_pdf
from ..documents.render import is_report
from ..errors import DocumentNotApplicable, PayloadError
from ..store.listing import UNKNOWN_KEY
from .base import completed_on, person_context
from .queries import PeriodScope, Queries

FORMATS = ("pdf", "docx", "html", "txt", "xlsx")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
}
#: What each bundled document is called in a sentence (errors, warnings).
KIND_NAMES = {
    "chasing_letter": "công văn đôn đốc",
    "reminder": "phiếu nhắc việc",
    "escalation": "báo cáo nhiệm vụ quá hạn",
    "self_assessment": "báo cáo tự đánh giá",
    "progress_report": "báo cáo tình hình thực hiện nhiệm vụ",
}
#: Letters that chase work still to be done: only for an open directive not yet reported done.
CHASING = ("chasing_letter", "reminder", "escalation")
NO_PERIOD = "Không có thời hạn"


@dataclass(frozen=True)
class RenderedDocument:
    """A rendered document: its bytes, format and media type, and what a clerk should check
    (people the directory does not know, shown by login id)."""

    data: bytes
    fmt: str
    media_type: str
    filename: str
    warnings: tuple[str, ...] = ()


def _dmy(d: date | None) -> str:
    return "—" if d is None else f"{d.day:02d}/{d.month:02d}/{d.year}"


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
        period: PeriodScope | str | None = None,
    ) -> dict[str, Any]:
        """The context a document template is rendered with (see :meth:`render_document`).

        A report covers what ``actor`` may see (everything when None), and with ``period``
        ("2024-Q2" or a :meth:`period_scope`) only the directives due in it, as they stood on
        its last day; its rows are plain data (``rows``, ``totals``, ``overdue``) for any
        writer."""
        now = self.clock.now()
        if against not in ("current", "original"):
            raise PayloadError("against", "cần current (hạn hiện tại) hoặc original (hạn ban đầu)")
        base: dict[str, Any] = {"today": local_date(now), "now": now, "directive_issuer": ""}
        if is_report(template):
            return {
                **base,
                **self._report_context(against, actor, self._scope(period, against)),
                "office": self._office_context(office, ""),
                "scope": scope,
                "report_to": report_to,
            }
        if directive_id is None:
            raise PayloadError("directive", f"mẫu {template!r} cần một nhiệm vụ (--directive)")
        record = self.get(directive_id)
        context = {**base, **self._directive_context(record, now)}
        context["office"] = self._office_context(office, record.doc_issuer or "")
        if template == "escalation" and (record.assigner or record.reviewer):
            # An escalation is addressed up the line: to whoever assigned the work.
            boss = self.directory.person(record.assigner or record.reviewer or "")
            context["recipient"] = person_context(boss)
        context["history"] = [
            {**asdict(e), "actor_display": self.display(e.actor)}
            for e in self.history(directive_id)
        ]
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
        period: PeriodScope | str | None = None,
    ) -> bytes:
        """Render ``template`` for a directive (or, for ``*_report``, for all of them) as
        ``pdf``, ``docx``, ``html``, ``txt`` or (reports) ``xlsx``; a report covers what
        ``actor`` may report on (everything when None). Returns the bytes (UTF-8
        for html and txt); see :meth:`document` for the warnings too."""
        return self.document(
            template,
            fmt=fmt,
            directive_id=directive_id,
            office=office,
            against=against,
            scope=scope,
            report_to=report_to,
            actor=actor,
            period=period,
        ).data

    def document(
        self,
        template: str,
        *,
        fmt: str = "pdf",
        directive_id: int | None = None,
        office: Office | None = None,
        against: str = "current",
        scope: str | None = None,
        report_to: str | None = None,
        actor: Actor | None = None,
        period: PeriodScope | str | None = None,
    ) -> RenderedDocument:
        """Render a document (see :meth:`render_document`).

        Raises :class:`PayloadError` for an unknown format (or xlsx for a letter),
        :class:`DocumentNotApplicable` when the letter does not fit the directive (a chasing
        letter for a closed directive…), :class:`TemplateError` for a broken admin template."""
        if fmt not in FORMATS:
            raise PayloadError("format", f"cần một trong {', '.join(FORMATS)}")
        if fmt == "xlsx" and not is_report(template):
            raise PayloadError(
                "format", "xlsx chỉ dành cho báo cáo (progress_report); văn bản: docx"
            )
        context = self.document_context(
            template,
            directive_id=directive_id,
            office=office,
            against=against,
            scope=scope,
            report_to=report_to,
            actor=actor,
            period=period,
        )
        if directive_id is not None and not is_report(template):
            _check_fits(template, directive_id, context)
        if fmt == "txt":
            msg = self.renderer.render_text(template, context)
            data = f"{msg.subject}\n\n{msg.body}".encode()
        elif fmt == "docx":
            data = self.renderer.render_docx(template, context)
        elif fmt == "xlsx":
            from ..documents.excel import report_xlsx  # openpyxl: loaded when asked for

            data = report_xlsx(context)
        else:
            html = self.renderer.render_html(template, context)
            data = html.encode() if fmt == "html" else html_to_pdf(html)
        name = template if directive_id is None else f"{template}_{directive_id}"
        if context.get("period"):
            name += f"_{context['period']['key']}"
        return RenderedDocument(
            data, fmt, MEDIA_TYPES[fmt], f"{name}.{fmt}", self._warnings(template, context)
        )

    # --- contexts ----------------------------------------------------------------------------

    def _office_context(self, office: Office | None, issuer: str) -> dict[str, Any]:
        """The office profile as templates see it: the signer's name and position filled from
        the directory when the profile names a person (``signer: thang``), the name in running
        text (proper case) falling back to the directive's issuer."""
        profile = office or self.office
        if profile.signer:
            who = self.directory.person(profile.signer)
            position: str | None = getattr(who, "position", None)
            profile = replace(
                profile,
                signer_name=profile.signer_name or who.name,
                signer_position=profile.signer_position or (position.upper() if position else None),
            )
        data = asdict(profile)
        data["name_in_text"] = profile.name_in_text or issuer or "Cơ quan"
        data["authority_lines"] = [x for x in (profile.authority or "").split("\n") if x]
        return data

    def _report_context(
        self, against: str, actor: Actor | None, scope: PeriodScope | None = None
    ) -> dict[str, Any]:
        """The progress report's data as plain rows: the grid per unit, per person and per
        month of the due date (GROUP BY in SQL), every directive, and the overdue ones — for a
        period, those due in it as they stood on its last day."""
        today = scope.as_of if scope else local_date(self.clock.now())
        by_unit = self.statistics(against=against, actor=actor, period=scope)
        persons = self.statistics(by="assignee", against=against, actor=actor, period=scope)
        months = self.statistics(by="month", against=against, actor=actor, period=scope)
        statuses = [s.value for s in Status]
        totals: dict[str, int] = {s: sum(r.counts[Status(s)] for r in by_unit) for s in statuses}
        totals["total"] = sum(r.total for r in by_unit)

        def rows(grid_rows: list[Any], label: Any) -> list[dict[str, Any]]:
            last = sorted(grid_rows, key=lambda r: r.key == UNKNOWN_KEY)  # "không có hạn" last
            return [
                {
                    "key": label(r.key),
                    "total": r.total,
                    "counts": {s.value: n for s, n in r.counts.items()},
                }
                for r in last
            ]

        viewer = self.viewer(actor, reports=True)
        if scope is None:
            records = self._list(viewer, {}, after=None, limit=None, offset=0)
            overdue_records = self.overdue(against=against, actor=actor)
        else:
            with self._tx() as repo:
                where = [*self._where(repo, viewer, {}, whole=True), scope.where()]
                records = [self._to_record(repo, r) for r in repo.page(where)]
            overdue_records = records
        items = [self._report_item(d, against, today, scope is not None) for d in records]
        overdue = [self._report_item(d, against, today, scope is not None) for d in overdue_records]
        if scope is not None:
            overdue = [x for x in overdue if x["status"] == Status.IN_PROGRESS_OVERDUE.value]
        overdue.sort(key=lambda x: -x["days_late"])
        return {
            "rows": rows(by_unit, str),
            "by_person": rows(persons, self._person_key),
            "by_period": rows(months, _period_label),
            "totals": totals,
            "items": items,
            "overdue": overdue,
            "against": against,
            "period": None
            if scope is None
            else {
                "key": str(scope.period),
                "label": scope.label,
                "start": scope.start,
                "end": scope.end,
                "as_of": scope.as_of,
                "cutoff_day": scope.cutoff_day,
            },
        }

    def _person_key(self, key: str) -> str:
        return key if key == UNKNOWN_KEY else self.display(key)

    def _report_item(
        self, d: Directive, against: str, today: date, past: bool = False
    ) -> dict[str, Any]:
        """One directive as a report's plain row (with ``past``: as it stood on ``today``, a
        past day — done or cancelled after it, still open then)."""
        due = d.original_due if against == "original" else d.due
        cancelled = d.outcome == "cancelled"
        if past and cancelled and (d.closed_at is None or local_date(d.closed_at) > today):
            cancelled = False
        done_on = completed_on(d.done_at, cancelled=cancelled)
        if past and done_on is not None and done_on > today:
            done_on = None
        status = progress_status(
            due,
            today,
            completed_on=done_on,
            cancelled=cancelled,
            due_soon_days=self.due_soon_days,
            calendar=self.calendar,
        )
        return {
            "id": d.id,
            "kind": d.kind,
            "title": d.title,
            "lead_unit": d.lead_unit,
            "assignee": d.assignee,
            "assignee_name": self.directory.person(d.assignee).name if d.assignee else None,
            "assignee_display": self.display(d.assignee) if d.assignee else None,
            "original_due": d.original_due or d.due,
            "due": d.due,
            "due_text": d.due_text,
            "extended": d.extended,
            "done_on": done_on,
            "is_open": d.is_open,
            "state_label": d.state_label,
            "status": status.value,
            "status_label": status.label,
            "days_late": days_late(due, today, done_on),
            "period_key": f"{due.year:04d}-{due.month:02d}" if due else UNKNOWN_KEY,
        }

    def _warnings(self, template: str, context: dict[str, Any]) -> tuple[str, ...]:
        """People named in the document whom the directory does not know (shown by login id)."""
        if is_report(template):
            ids = [i["assignee"] for i in context["items"]]
        else:
            d = context["directive"]
            ids = [d["assignee"], d["assigner"], d["reviewer"], context["recipient"]["id"]]
        unknown: list[str] = []
        for i in ids:
            if not i or i in unknown or i.startswith("unit:") or i == "—":
                continue
            if not getattr(self.directory.person(i), "known", True):
                unknown.append(i)
        if not unknown:
            return ()
        return (
            f"{KIND_NAMES.get(template, template)}: {', '.join(unknown)} không có trong danh bạ "
            "(hiện bằng tên đăng nhập); nạp danh bạ: dondoc people load FILE",
        )


def _check_fits(template: str, directive_id: int, context: dict[str, Any]) -> None:
    """Refuse a letter that does not fit the directive's case, saying why (in Vietnamese)."""
    d = context["directive"]
    if template not in CHASING:
        return
    if not d["is_open"]:
        closed = d["closed_at"]
        when = f" ngày {_dmy(local_date(closed))}" if closed else ""
        raise DocumentNotApplicable(
            KIND_NAMES[template], directive_id, f"nhiệm vụ đã kết thúc{when} ({d['state_label']})"
        )
    if d["done_at"] is not None:
        raise DocumentNotApplicable(
            KIND_NAMES[template],
            directive_id,
            f"nhiệm vụ đã báo cáo kết quả ngày {_dmy(local_date(d['done_at']))}, đang chờ xem xét "
            f"({d['state_label']})",
        )
    if template == "reminder" and d["due"] is None:
        raise DocumentNotApplicable(
            KIND_NAMES[template], directive_id, "nhiệm vụ không có thời hạn để nhắc"
        )
    if template == "reminder" and d["days_late"] > 0:
        raise DocumentNotApplicable(
            KIND_NAMES[template],
            directive_id,
            f"nhiệm vụ đã quá hạn {d['days_late']} ngày; lập công văn đôn đốc (chasing_letter)",
        )
    if template == "escalation" and d["days_late"] == 0:
        raise DocumentNotApplicable(KIND_NAMES[template], directive_id, "nhiệm vụ chưa quá hạn")


def _period_label(key: str) -> str:
    """'2024-06' → 'Tháng 6/2024'; no due date → 'Không có thời hạn'."""
    if key == UNKNOWN_KEY or "-" not in key:
        return NO_PERIOD if key == UNKNOWN_KEY else key
    year, month = key.split("-", 1)
    return f"Tháng {int(month)}/{year}" if month.isdigit() else key
