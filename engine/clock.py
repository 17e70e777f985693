"""Where time comes from. The only module that reads the wall clock.

Everything below the adapters receives a :class:`Clock` and asks it for ``now()``; tests and
``dondoc demo`` pass a :class:`FakeClock` and move it forward by hand, so nothing ever sleeps.
All instants are timezone-aware UTC; :data:`VN_TZ` is for display and for local-day arithmetic.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    """A source of the current instant (aware, UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to. Thread-safe."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)`` and return the new instant."""
        step = timedelta(**delta)
        if step < timedelta(0):
            raise ValueError("time does not go backwards")
        with self._lock:
            self._now += step
            return self._now

    def set(self, instant: datetime) -> None:
        """Jump to ``instant`` (aware); it must not be in the past of this clock."""
        instant = instant.astimezone(UTC)
        with self._lock:
            if instant < self._now:
                raise ValueError("time does not go backwards")
            self._now = instant


def local_date(instant: datetime) -> date:
    """The calendar day in Vietnam at ``instant``."""
    return instant.astimezone(VN_TZ).date()


def local_midnight(day: date) -> datetime:
    """00:00 of ``day`` in Vietnam, as an aware UTC instant."""
    return datetime(day.year, day.month, day.day, tzinfo=VN_TZ).astimezone(UTC)
