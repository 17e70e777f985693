"""Time travel for the tests of an application that embeds dondoc.

A host's test says "advance to 01/07/2024 and run what is due" in one line::

    from datetime import UTC, datetime
    from dondoc import Engine, FakeClock
    from dondoc.testing import TimeMachine

    engine = Engine("sqlite://", clock=FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC)))
    tm = TimeMachine(engine)
    ...                                   # create directives, fire triggers
    report = tm.advance_to("01/07/2024")  # the real worker loop at each due instant on the way
    assert [f.timer for f in report.fired] == ["remind_before_due", "overdue_at_due"]

It is the loop ``dondoc demo`` runs: :meth:`dondoc.worker.Worker.advance` on the engine's
:class:`~dondoc.clock.FakeClock` — every due timer fires, in due order, in its own transaction,
at the instant it was due (so the audit trail and the outbox read as they would in production);
recurring series create their instances; nothing sleeps.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from .clock import VN_TZ, FakeClock
from .delivery.outbox import Deliverer
from .service.engine import Engine
from .worker import Listener, SweepReport, Worker

__all__ = ["SweepReport", "TimeMachine"]


class TimeMachine:
    """Moves an engine's :class:`FakeClock` forward, running the worker at each due instant.

    ``engine`` must have been built with ``clock=FakeClock(...)``. ``listener`` is told of each
    timer fired and each series instance created (as the worker's); with ``deliverer`` the
    outbox is delivered on the way too. ``history`` accumulates every sweep's report."""

    def __init__(
        self,
        engine: Engine,
        *,
        listener: Listener | None = None,
        deliverer: Deliverer | None = None,
    ) -> None:
        if not isinstance(engine.clock, FakeClock):
            raise TypeError(
                "TimeMachine needs an Engine built with clock=FakeClock(start); "
                f"this one has {type(engine.clock).__name__}"
            )
        self.engine = engine
        self.clock: FakeClock = engine.clock
        self.worker = Worker(engine, name="time-machine", listener=listener, deliverer=deliverer)
        self.history = SweepReport()

    def now(self) -> datetime:
        """The engine's current instant (aware, UTC)."""
        return self.clock.now()

    def advance_to(self, when: date | datetime | str) -> SweepReport:
        """Move to ``when`` and run everything due up to it, at the instants it was due.

        ``when`` is an aware datetime; a naive one or a date (00:00) is Vietnam local time;
        a string is ``dd/mm/yyyy`` or ``dd/mm/yyyy HH:MM`` (Vietnam). Returns what fired on
        the way (also added to :attr:`history`). Raises ValueError for a time in the past."""
        target = to_instant(when)
        if target < self.clock.now():
            raise ValueError(f"cannot travel back to {when!r}: the clock is at {self.now()}")
        report = self.worker.advance(self.clock, target)
        _extend(self.history, report)
        return report

    def advance(self, **delta: float) -> SweepReport:
        """Move forward by ``timedelta(**delta)`` (``days=3``, ``hours=2``…), running what is due."""
        return self.advance_to(self.clock.now() + timedelta(**delta))

    def run_due(self) -> SweepReport:
        """Run what is due now, without moving the clock."""
        return self.advance_to(self.clock.now())


def to_instant(when: date | datetime | str) -> datetime:
    """An aware instant for ``when`` (see :meth:`TimeMachine.advance_to`)."""
    if isinstance(when, str):
        text = when.strip()
        for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
            try:
                when = datetime.strptime(text, fmt)  # noqa: DTZ007 - made local just below
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"expected dd/mm/yyyy or dd/mm/yyyy HH:MM, got {text!r}")
    if isinstance(when, datetime):
        return when if when.tzinfo is not None else when.replace(tzinfo=VN_TZ)
    return datetime.combine(when, time(0, 0), tzinfo=VN_TZ)


def _extend(into: SweepReport, other: SweepReport) -> None:
    into.fired.extend(other.fired)
    into.created.extend(other.created)
    into.errors.extend(other.errors)
    into.reports.extend(other.reports)
