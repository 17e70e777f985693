"""Living inside a host application: its transaction (:meth:`Embedding.within`) and
after-commit hooks (:meth:`Embedding.on`). See docs/embedding.md."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .base import EngineBase
from .hooks import DERIVED_KINDS, Hook
from .host import HostTransaction

__all__ = ["DERIVED_KINDS", "Embedding", "Hook"]


class Embedding(EngineBase):
    """The host's transaction and after-commit hooks."""

    @contextmanager
    def within(self, bind: sa.Connection | Session) -> Iterator[Self]:
        """Run commands in the host's transaction: ``with engine.within(session) as eng:``.

        ``bind`` is the host's SQLAlchemy ``Connection`` or ORM ``Session`` on the same
        database as this engine. Every command and query of the engine yielded runs on it, each
        in a SAVEPOINT (a failed command leaves no trace and the host's transaction goes on);
        the host commits or rolls back, and dondoc's writes — directives, events, timers,
        outbox — go with it. dondoc never commits the host's transaction. After-commit hooks
        fire when the host commits, and never when it rolls back.

        The engine yielded is for this block only (it raises RuntimeError after it).
        """
        bound = copy.copy(self)
        host = HostTransaction(bind, self._statements, self._bus)
        bound._host = host
        try:
            yield bound
        finally:
            host.close()

    def on(self, kind: str, callback: Hook) -> Hook:
        """Call ``callback(event)`` after each committed audit event of ``kind`` (``created``,
        ``transition``, ``timer``, ``migration``, …), ``overdue`` (a transition fired by a
        timer at or after the due date) or ``*`` (every event). Returns ``callback``.

        Called after the commit, never for a rolled-back change, in commit order, once; a
        callback that raises is logged and does not undo or fail the command. For what must
        not be lost, use the outbox (delivered at least once, retried): see docs/embedding.md.
        """
        self._bus.on(kind, callback)
        return callback

    def off(self, kind: str, callback: Hook) -> None:
        """Stop calling ``callback`` for ``kind``."""
        self._bus.off(kind, callback)
