"""The scheduler's commands: fire due timers, create the instances of recurring series."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from ..clock import VN_TZ, local_date
from ..core.actors import SCHEDULER, Actor
from ..core.movespec import MOVE_TIMER_PREFIX
from ..core.records import Directive
from ..deadlines.calendar import WorkingCalendar
from ..deadlines.phrases import Recurrence, parse_deadline
from ..deadlines.timers import next_repeat_at
from ..errors import (
    ConflictError,
    PayloadError,
)
from ..store.statements import DirectiveState, DueTimer, Sql
from ..store.tables import (
    SeriesRow,
)
from .base import FiredTimer, NewDirective, person_context, timer_row
from .commands import Commands


class Scheduling(Commands):
    """Timers and recurring series (the worker calls these)."""

    def create_series(self, actor: Actor, workflow: str, new: NewDirective, recurrence: str) -> int:
        """Make ``new`` recur: one directive per period, created by the scheduler.

        ``recurrence`` is a phrase ("trước ngày 20 hàng tháng", "hằng quý") or a canonical
        form ("monthly:19"). The current period's instance is created by the next sweep; each
        later one at the start of its period (00:00 Asia/Ho_Chi_Minh). Returns the series id.
        """
        if not new.title.strip():
            raise PayloadError("title", "không được để trống")
        rec = _read_recurrence(recurrence, local_date(self.clock.now()), self.calendar)
        self.workflows.get(workflow)  # NotFound now rather than at the first period
        template = {
            k: (v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v)
            for k, v in asdict(new).items()
            if k not in ("due", "deadline", "start", "recurrence", "due_text")
        }
        template["due_text"] = new.deadline or new.due_text or recurrence
        template["assigner"] = new.assigner or actor.id
        with self._tx() as repo:
            row = SeriesRow(
                workflow=workflow,
                title=new.title.strip(),
                recurrence=str(rec),
                template=template,
                created_by=actor.id,
                next_run_at=self.clock.now(),
                active=True,
                created_at=self.clock.now(),
            )
            repo.s.add(row)
            repo.s.flush()
            return row.id

    def run_next_series(self) -> list[Directive] | None:
        """Create the instances of the earliest series whose period has started.

        Returns the directives created (possibly none, when they already existed), or None when
        no series is due. One transaction; an instance per period at most (a unique key on
        (series, period) holds across restarts and concurrent workers).
        """
        now = self.clock.now()
        with self._tx() as repo:
            series = repo.next_due_series(now)
            if series is None:
                return None
            rec = Recurrence.parse(series.recurrence)
            trigger = period_trigger(rec)
            compiled = self.workflows.get(series.workflow)
            created: list[DirectiveState] = []
            run_at = series.next_run_at
            while run_at <= now:
                due = rec.next_due(local_date(run_at))
                key = due.isoformat()
                if not repo.series_has_period(series.id, key):
                    fields = dict(series.template)
                    if fields.get("doc_date"):
                        fields["doc_date"] = date.fromisoformat(fields["doc_date"])
                    fields["cooperating_units"] = tuple(fields.get("cooperating_units") or ())
                    fields["title"] = f"{series.title} (kỳ {due:%d/%m/%Y})"
                    new = NewDirective(**{**fields, "due": due, "recurrence": series.recurrence})
                    created.append(
                        self._insert_directive(
                            repo.sql,
                            SCHEDULER.id,
                            compiled,
                            new,
                            now,
                            series_id=series.id,
                            period_key=key,
                        )
                    )
                nxt = trigger.get_next_fire_time(run_at, run_at + timedelta(microseconds=1))
                run_at = nxt.astimezone(UTC)
            series.next_run_at = run_at
            return [self._to_record(repo, r) for r in created]

    def fire_next_timer(self, *, worker: str = "worker") -> FiredTimer | None:
        """Fire the earliest due timer, if any, in one transaction. Returns what it did.

        The timer's status changes from pending to fired with a conditional UPDATE in the same
        transaction as its effects (audit event, notifications in the outbox, an automatic
        transition, the next repetition). Two workers never both fire it; a crash before the
        commit leaves it pending. On PostgreSQL candidates are taken ``FOR UPDATE SKIP LOCKED``
        so workers do not queue behind each other.
        """
        now = self.clock.now()
        failed: tuple[int, str] | None = None
        try:
            with self._cmd() as sql:
                timer = sql.claim_timer(now, worker)
                if timer is None:
                    return None
                try:
                    return self._fire_timer(sql, timer, now)
                except (ConflictError, IntegrityError, OperationalError, InterfaceError):
                    raise  # a concurrent command, or the database: handled below / retried
                except Exception as exc:
                    # A timer that cannot fire (a broken admin template, a guard that fails,
                    # anything unexpected): undo this firing, keep the timer pending with the
                    # error, retry it later with a backoff — never block the queue behind it
                    # nor stop the worker.
                    failed = (timer.id, f"{type(exc).__name__}: {exc}")
                    raise
        except (ConflictError, IntegrityError):
            return FiredTimer(0, 0, "", skipped=True)  # a concurrent command won; retry next sweep
        except Exception:
            if failed is None:
                raise
        timer_id, error = failed
        with self._tx() as repo:
            repo.defer_timer(timer_id, now, error)
        return FiredTimer(timer_id, 0, "", error=error)

    def _fire_timer(self, sql: Sql, timer: DueTimer, now: datetime) -> FiredTimer:
        row = sql.load(timer.directive_id, for_update=True)
        assert row is not None
        if timer.timer.startswith(MOVE_TIMER_PREFIX):
            return self._fire_move_timer(sql, timer, row, now)
        compiled = self._compiled(sql, row.workflow, row.workflow_version)
        spec = next((tm for tm in compiled.spec.timers if tm.id == timer.timer), None)
        if spec is None or row.state != timer.state or not row.is_open:
            sql.set_timer_status(timer.id, "cancelled")
            return FiredTimer(timer.id, row.id, timer.timer, skipped=True)
        record = self._to_record(sql, row)
        context = {
            **self._directive_context(record, now),
            "timer": {"id": spec.id, "label": spec.label or spec.id},
            "repeat_index": timer.repeat_index,
        }
        notified: list[str] = []
        messages: list[dict[str, Any]] = []
        for n in spec.notify:
            people = (
                [self.directory.person(n.person)]
                if n.person
                else self.directory.resolve(n.role or "", record)
            )
            for person in people:
                msg = self.renderer.render_text(
                    n.template, {**context, "recipient": person_context(person)}
                )
                messages.append(
                    {
                        "idempotency_key": f"timer:{timer.id}:{n.template}:{person.id}",
                        "directive_id": row.id,
                        "template": n.template,
                        "recipient": person.id,
                        "recipient_role": n.role,
                        "subject": msg.subject,
                        "body": msg.body,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
                notified.append(person.id)
        sql.add_outbox(messages)
        row.updated_at = now  # a new version: a concurrent command on it gets ConflictError
        self._write(
            sql,
            row,
            self._chain(
                row,
                actor=SCHEDULER.id,
                role="system",
                kind="timer",
                trigger=None,
                from_state=row.state,
                to_state=row.state,
                payload={
                    "timer": spec.id,
                    "timer_row": timer.id,
                    "repeat": timer.repeat_index,
                    "scheduled_for": timer.due_at.isoformat(),
                    "notified": notified,
                },
                at=now,
            ),
        )
        fired_trigger = None
        if spec.fire is not None:
            self._apply(sql, row, spec.fire, SCHEDULER, {}, now, entered_at=timer.due_at)
            fired_trigger = spec.fire
            if spec.when.at_due or spec.when.after_due is not None:
                sql.also("overdue")  # the deadline passed: for the hooks, an overdue event too
        elif spec.repeat is not None and timer.repeat_index < spec.repeat.max:
            nxt = next_repeat_at(spec, timer.due_at, self.calendar)
            if nxt is not None:
                sql.add_timers(
                    [timer_row(row.id, spec.id, row.state, nxt, timer.repeat_index + 1, now)]
                )
        return FiredTimer(
            timer.id,
            row.id,
            spec.id,
            notified=tuple(notified),
            trigger=fired_trigger,
            due_at=timer.due_at,
            state_after=row.state,
        )

    def _fire_move_timer(
        self, sql: Sql, timer: DueTimer, row: DirectiveState, now: datetime
    ) -> FiredTimer:
        """A timer a move scheduled (e.g. an explanation's deadline); see service/moves.py."""
        sql.set_timer_status(timer.id, "cancelled")
        return FiredTimer(timer.id, row.id, timer.timer, skipped=True)

    def next_wakeup(self, *, outbox: bool = False) -> datetime | None:
        """When the scheduler next has work: the earliest pending timer or series period (and,
        with ``outbox``, the next message to deliver or retry)."""
        with self._tx() as repo:
            return repo.next_wakeup(outbox=outbox)

    def timers(self, directive_id: int) -> list[dict[str, Any]]:
        """The directive's timers (pending, fired, cancelled), for inspection."""
        with self._tx() as repo:
            return [
                {
                    "id": t.id,
                    "timer": t.timer,
                    "state": t.state,
                    "due_at": t.due_at,
                    "repeat": t.repeat_index,
                    "status": t.status,
                    "fired_at": t.fired_at,
                }
                for t in repo.timers(directive_id)
            ]


def period_trigger(rec: Recurrence) -> CronTrigger:
    """APScheduler cron trigger for the start of each period of ``rec``, in Vietnam time."""
    fields: dict[str, str] = {
        "daily": {},
        "weekly": {"day_of_week": "mon"},
        "monthly": {"day": "1"},
        "quarterly": {"month": "1,4,7,10", "day": "1"},
        "semiannual": {"month": "1,7", "day": "1"},
        "yearly": {"month": "1", "day": "1"},
    }[rec.freq]
    return CronTrigger(hour=0, minute=0, second=0, timezone=VN_TZ, **fields)


def _read_recurrence(text: str, today: date, calendar: WorkingCalendar) -> Recurrence:
    try:
        return Recurrence.parse(text)
    except ValueError:
        pass
    parsed = parse_deadline(text, today, calendar=calendar)
    if parsed.recurrence is None:
        raise PayloadError(
            "recurrence", f"{text!r} does not repeat; e.g. 'trước ngày 20 hàng tháng'"
        )
    return parsed.recurrence
