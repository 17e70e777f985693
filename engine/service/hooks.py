"""After-commit hooks: callbacks told of each audit event once its transaction has committed.

``engine.on("transition", callback)`` registers ``callback(event)``, called with the
:class:`~dondoc.core.records.AuditEvent` of every committed transition. The kinds are the
audit event kinds — ``created``, ``transition``, ``timer`` (a timer fired: reminders queued),
``migration`` (a directive moved to another workflow version) and any kind a later command
adds — plus ``overdue`` (a transition fired by a timer that runs at or after the due date,
e.g. ``mark_overdue``; the same event is also a ``transition``) and ``*`` for every event.

The contract:

- **after the commit, never for a rolled-back change**: events are collected while the
  command runs and handed over only when its transaction has committed (for a command in the
  host's transaction — :meth:`Engine.within` — when the *host* commits);
- **in commit order**: within one process, events are delivered in the order their
  transactions committed (commits of commands that record events are serialised by a lock
  while hooks are registered), and in the order they were written within a transaction;
- **once, best effort**: each committed event reaches each matching callback once. A callback
  that raises is logged and the others still run; the command that caused it has already
  committed and returns normally. A process that dies between the commit and the callback
  loses the call: what must not be lost goes through the outbox (at least once, retried).

Callbacks run in the thread that committed (or in another thread already delivering), after
the commit, outside any dondoc transaction; they may call the Engine. A callback must not use
the host's Connection/Session it was fired from (that transaction is ending).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from typing import Any

from ..core.records import AuditEvent

log = logging.getLogger("dondoc.hooks")

Hook = Callable[[AuditEvent], None]

#: The kinds :meth:`HookBus.on` accepts besides the audit event kinds a command writes.
DERIVED_KINDS = ("overdue", "*")

Recorded = tuple[list[str], Mapping[str, Any]]


def audit_event(row: Mapping[str, Any]) -> AuditEvent:
    """The read model of an event row as :meth:`EngineBase._chain` builds it (every field of
    :class:`AuditEvent` the row has, so a column added to events reaches the hooks too)."""
    values = {name: row[name] for name in _EVENT_FIELDS if name in row}
    values["payload"] = dict(values.get("payload") or {})
    return AuditEvent(**values)


_EVENT_FIELDS = tuple(f.name for f in fields(AuditEvent))


class HookBus:
    """The registered callbacks and the queue of committed events waiting for them."""

    def __init__(self) -> None:
        self._hooks: dict[str, list[Hook]] = {}
        self.active = False  # any callback registered (read on every command: a plain bool)
        self._queue: deque[Recorded] = deque()
        self._order = threading.Lock()  # commit + enqueue, so the queue is in commit order
        self._delivering = threading.Lock()

    def on(self, kind: str, callback: Hook) -> None:
        if not kind or len(kind) > 64:
            raise ValueError(f"hook kind must be a short name, got {kind!r}")
        self._hooks.setdefault(kind, []).append(callback)
        self.active = True

    def off(self, kind: str, callback: Hook) -> None:
        """Unregister ``callback`` for ``kind`` (nothing when it was not registered)."""
        hooks = self._hooks.get(kind, [])
        if callback in hooks:
            hooks.remove(callback)
        self.active = any(self._hooks.values())

    def __bool__(self) -> bool:
        return self.active

    def commit(self, do_commit: Callable[[], None], events: Iterable[Recorded]) -> None:
        """Commit (``do_commit``) and queue ``events`` in commit order, then deliver them.
        Nothing is queued when the commit raises."""
        with self._order:
            do_commit()
            self._queue.extend(events)
        self.deliver()

    def committed(self, events: Iterable[Recorded]) -> None:
        """Queue the events of a transaction that has just committed, and deliver them."""
        with self._order:
            self._queue.extend(events)
        self.deliver()

    def deliver(self) -> None:
        """Call the callbacks for every queued event, oldest first. One thread delivers at a
        time; a thread that finds another delivering leaves its events to it (a callback that
        runs a command, in the delivering thread, gets its own events after the current one)."""
        while self._queue:
            if not self._delivering.acquire(blocking=False):
                return
            try:
                while True:
                    try:
                        kinds, row = self._queue.popleft()
                    except IndexError:
                        break
                    self._call(kinds, row)
            finally:
                self._delivering.release()

    def _call(self, kinds: list[str], row: Mapping[str, Any]) -> None:
        calls = [(k, cb) for k in (*kinds, "*") for cb in list(self._hooks.get(k, ()))]
        if not calls:
            return
        event = audit_event(row)
        for kind, cb in calls:
            try:
                cb(event)
            except Exception:  # the change is committed; one bad callback must not stop others
                log.exception(
                    "hook %r for %s event #%s of directive %s failed",
                    getattr(cb, "__qualname__", cb),
                    kind,
                    event.seq,
                    event.directive_id,
                )
