"""Scheduled periodic reports (issue 20, item 3; Decree 09/2019/NĐ-CP).

An administrator schedules a report per kind of period (month, quarter, half-year, year): at
each period's report date — ``send_after_days`` working days after its data cut-off (Decree
09's window, art. 12, with the cut-off day configurable), at ``hour`` Vietnam time — the
worker renders the follow-up report for the period (Word and Excel, the directives due in the
window as they stood on its last day), keeps it, and queues its text to the recipients in the
outbox. A period's report is produced once (a unique key on schedule and period holds across
restarts and concurrent workers); a worker that was down catches up on start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..clock import VN_TZ, local_date
from ..core.actors import Actor
from ..core.permissions import Permission, require
from ..deadlines.periods import DEFAULT_CUTOFF_DAY, Kind, Period
from ..errors import NotFound, PayloadError
from ..store.tables import OutboxRow, ReportRunRow, ReportScheduleRow
from .documents import Documents
from .publishing import Publishing

KINDS: tuple[Kind, ...] = ("month", "quarter", "half", "year")
REPORT_FORMATS = ("docx", "xlsx")


@dataclass(frozen=True)
class ReportSchedule:
    id: int
    name: str
    kind: str
    cutoff_day: int
    send_after_days: int
    hour: int
    recipients: tuple[str, ...]
    formats: tuple[str, ...]
    next_period: str
    next_run_at: datetime
    active: bool


@dataclass(frozen=True)
class ReportRun:
    """A period's report as produced: when, its totals, to whom it was queued."""

    id: int
    schedule_id: int
    period: str
    produced_at: datetime
    totals: dict[str, int]
    notified: tuple[str, ...]


class Reporting(Documents, Publishing):
    """Schedule periodic reports; produce the due ones (the worker calls
    :meth:`run_next_report`)."""

    def report_date(
        self, period: Period, *, cutoff_day: int, send_after_days: int, hour: int
    ) -> datetime:
        """When a period's report is produced: ``send_after_days`` working days after the last
        day of its data window, at ``hour`` Vietnam time (an instant in UTC)."""
        _start, end = period.report_window(cutoff_day)
        day = self.calendar.add_working_days(end, send_after_days)
        return datetime.combine(day, time(hour), tzinfo=VN_TZ).astimezone(UTC)

    def schedule_report(
        self,
        actor: Actor,
        *,
        name: str,
        kind: str,
        recipients: Sequence[str],
        cutoff_day: int = DEFAULT_CUTOFF_DAY,
        send_after_days: int = 1,
        hour: int = 7,
        formats: Iterable[str] = REPORT_FORMATS,
        against: str = "current",
        report_to: str | None = None,
        first: str | None = None,
    ) -> ReportSchedule:
        """Schedule a periodic report (administrators). ``kind``: month, quarter, half or
        year; ``cutoff_day``: 15 is Decree 09/2019's window, 1 the calendar period;
        ``send_after_days``: working days from the cut-off to the report date (at least 1,
        Decree 09 art. 8(5)(b)); ``first``: the first period ("2024-Q2"), by default the first
        whose report date is still ahead."""
        require(actor, Permission.ADMIN, "schedule_report")
        if kind not in KINDS:
            raise PayloadError("kind", f"cần một trong {', '.join(KINDS)}")
        if not name.strip() or len(name) > 200:
            raise PayloadError("name", "phải dài từ 1 đến 200 ký tự")
        if not recipients or any(not r.strip() or len(r) > 200 for r in recipients):
            raise PayloadError("recipients", "cần ít nhất một người nhận (mã đăng nhập)")
        if not 1 <= cutoff_day <= 28:
            raise PayloadError("cutoff_day", "cần một ngày từ 1 đến 28")
        if not 1 <= send_after_days <= 60:
            raise PayloadError("send_after_days", "cần từ 1 đến 60 ngày làm việc")
        if not 0 <= hour <= 23:
            raise PayloadError("hour", "cần một giờ từ 0 đến 23")
        fmts = tuple(dict.fromkeys(formats))
        if not fmts or any(f not in REPORT_FORMATS for f in fmts):
            raise PayloadError("formats", f"cần một hoặc nhiều trong {', '.join(REPORT_FORMATS)}")
        if against not in ("current", "original"):
            raise PayloadError("against", "cần current (hạn hiện tại) hoặc original (hạn ban đầu)")
        now = self.clock.now()
        timing = {"cutoff_day": cutoff_day, "send_after_days": send_after_days, "hour": hour}
        if first is not None:
            period = Period.parse(first)
            if period.kind != kind:
                raise PayloadError("first", f"cần một kỳ loại {kind}")
        else:
            period = Period.containing(kind, local_date(now))
            while self.report_date(period.previous(), **timing) >= now:
                period = period.previous()
            while self.report_date(period, **timing) < now:
                period = period.next()
        with self._tx() as repo:
            row = ReportScheduleRow(
                name=name.strip(),
                template="progress_report",
                kind=kind,
                formats=list(fmts),
                recipients=list(recipients),
                against=against,
                report_to=report_to,
                next_period=str(period),
                next_run_at=self.report_date(period, **timing),
                active=True,
                created_by=actor.id,
                created_at=now,
                **timing,
            )
            repo.s.add(row)
            repo.s.flush()
            self._admin_event(
                repo.s,
                actor.id,
                "schedule_report",
                f"report #{row.id}",
                {"name": row.name, "kind": kind, "recipients": list(recipients), **timing},
                now,
            )
            return _schedule(row)

    def report_schedules(self) -> list[ReportSchedule]:
        with self._tx() as repo:
            rows = repo.s.scalars(sa.select(ReportScheduleRow).order_by(ReportScheduleRow.id))
            return [_schedule(r) for r in rows]

    def report_runs(self, schedule_id: int | None = None) -> list[ReportRun]:
        """Reports produced, oldest first."""
        r = ReportRunRow
        stmt = sa.select(
            r.id, r.schedule_id, r.period, r.produced_at, r.totals, r.notified
        ).order_by(r.id)
        if schedule_id is not None:
            stmt = stmt.where(r.schedule_id == schedule_id)
        with self._tx() as repo:
            return [
                ReportRun(i, s, p, at, dict(t), tuple(n))
                for i, s, p, at, t, n in repo.s.execute(stmt)
            ]

    def report_file(self, run_id: int, fmt: str = "docx") -> bytes:
        """A produced report's file (``docx`` or ``xlsx``) as it was produced."""
        if fmt not in REPORT_FORMATS:
            raise PayloadError("format", "cần docx hoặc xlsx")
        with self._tx() as repo:
            data = repo.s.scalar(
                sa.select(ReportRunRow.__table__.c[fmt]).where(ReportRunRow.id == run_id)
            )
        if data is None:
            raise NotFound("report", run_id)
        return bytes(data)

    def run_next_report(self) -> ReportRun | None:
        """Produce the earliest due periodic report, if any: render it for its period, keep
        it, queue it to the recipients and move the schedule to the next period. Returns the
        run, or None when nothing is due. A period already produced (by another worker) is
        skipped, never produced twice."""
        now = self.clock.now()
        with self._tx() as repo:
            s = repo.s.scalars(
                sa.select(ReportScheduleRow)
                .where(ReportScheduleRow.active.is_(True), ReportScheduleRow.next_run_at <= now)
                .order_by(ReportScheduleRow.next_run_at)
                .limit(1)
            ).first()
            if s is None:
                return None
            schedule = _schedule(s)
            template, against, report_to = s.template, s.against, s.report_to
        period = Period.parse(schedule.next_period)
        scope = self.period_scope(period, cutoff_day=schedule.cutoff_day, against=against)
        files: dict[str, bytes | None] = {f: None for f in REPORT_FORMATS}
        for fmt in schedule.formats:
            files[fmt] = self.document(
                template, fmt=fmt, period=scope, against=against, report_to=report_to
            ).data
        context = self.document_context(
            template, period=scope, against=against, report_to=report_to
        )
        totals = {k: int(v) for k, v in context["totals"].items()}
        msg = self.renderer.render_text(template, context)
        following = period.next()
        timing = {
            "cutoff_day": schedule.cutoff_day,
            "send_after_days": schedule.send_after_days,
            "hour": schedule.hour,
        }
        try:
            with self._tx() as repo:
                row = ReportRunRow(
                    schedule_id=schedule.id,
                    period=str(period),
                    produced_at=now,
                    totals=totals,
                    docx=files["docx"],
                    xlsx=files["xlsx"],
                    notified=list(schedule.recipients),
                )
                repo.s.add(row)
                for person in schedule.recipients:
                    repo.s.add(
                        OutboxRow(
                            idempotency_key=f"report:{schedule.id}:{period}:{person}",
                            directive_id=None,
                            template=template,
                            recipient=person,
                            recipient_role=None,
                            subject=f"{schedule.name}: {msg.subject}"[:500],
                            body=msg.body,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
                moved = repo.s.execute(
                    sa.update(ReportScheduleRow)
                    .where(
                        ReportScheduleRow.id == schedule.id,
                        ReportScheduleRow.next_period == str(period),
                    )
                    .values(
                        next_period=str(following),
                        next_run_at=self.report_date(following, **timing),
                    )
                )
                if moved.rowcount != 1:  # type: ignore[attr-defined]
                    raise IntegrityError("report schedule moved on", None, Exception())
                repo.s.flush()
                return ReportRun(row.id, schedule.id, str(period), now, totals, schedule.recipients)
        except IntegrityError:
            return None  # another worker produced it meanwhile; the next sweep goes on


def _schedule(r: ReportScheduleRow) -> ReportSchedule:
    return ReportSchedule(
        r.id,
        r.name,
        r.kind,
        r.cutoff_day,
        r.send_after_days,
        r.hour,
        tuple(r.recipients),
        tuple(r.formats),
        r.next_period,
        r.next_run_at,
        r.active,
    )
