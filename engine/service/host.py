"""Commands inside a transaction the host owns (:meth:`Engine.within`).

The host passes its SQLAlchemy ``Connection`` or ORM ``Session``; every command of the bound
engine then runs on that connection, in a SAVEPOINT of the host's transaction: a dondoc command
that fails leaves no trace and the host's transaction goes on; a command that succeeds is
committed — or rolled back — only with the host's transaction. dondoc never commits it.

After-commit hooks (:mod:`.hooks`) learn of the bound engine's events when the host commits:
on a ``Session`` through its ``after_commit`` event (which SQLAlchemy fires after the database
committed); on a ``Connection`` through its ``commit`` event, which SQLAlchemy fires just before
it asks the driver to commit — so there dondoc commits the driver connection first and delivers
after it succeeded (SQLAlchemy's own commit that follows has nothing left to do). A rollback of
the host's transaction drops the events.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from ..store.repository import Repository
from ..store.statements import RecordingSql, Sql, Statements
from .hooks import HookBus, Recorded


def _open_driver_transaction(conn: sa.Connection) -> None:
    """Make sure the driver's transaction has begun before a SAVEPOINT.

    The sqlite3 module (in its default, legacy mode) sends BEGIN only before the first
    INSERT/UPDATE/DELETE; a SAVEPOINT sent first opens the transaction itself, and releasing it
    then commits everything — the host could no longer roll dondoc's writes back."""
    if conn.dialect.name != "sqlite":
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None and not getattr(dbapi, "in_transaction", True):
        conn.exec_driver_sql("BEGIN")


class _HostEvents:
    """The events of one host Connection/Session waiting for its commit, and the listeners
    that hand them over (installed once per Connection/Session, kept for its life: SQLAlchemy
    does not allow removing a listener while its event is being dispatched)."""

    def __init__(self, bind: sa.Connection | Session, bus: HookBus) -> None:
        self.bus = bus
        self.pending: list[Recorded] = []
        if isinstance(bind, Session):
            event.listen(bind, "after_commit", self._session_committed)
            event.listen(bind, "after_transaction_end", self._session_ended)
        else:
            event.listen(bind, "commit", self._connection_commits)
            event.listen(bind, "rollback", self._connection_rolled_back)

    def _session_committed(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a SAVEPOINT released: not the host's commit
        events, self.pending = self.pending, []
        if events:
            self.bus.committed(events)

    def _session_ended(self, _session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            self.pending.clear()  # committed (delivered above) or rolled back (dropped)

    def _connection_commits(self, conn: sa.Connection) -> None:
        events, self.pending = self.pending, []
        driver = conn.connection.driver_connection
        status = getattr(getattr(driver, "info", None), "transaction_status", None)
        if getattr(status, "name", "") == "INERROR":
            return  # PostgreSQL answers COMMIT of a failed transaction with a rollback
        if not events:
            return
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        error = conn.dialect.loaded_dbapi.Error
        try:
            dbapi.commit()
        except error as exc:
            raise sa.exc.DBAPIError.instance(
                "COMMIT", None, exc, error, dialect=conn.dialect
            ) from exc
        self.bus.committed(events)

    def _connection_rolled_back(self, _conn: sa.Connection) -> None:
        self.pending.clear()


_waiting: weakref.WeakKeyDictionary[object, dict[int, _HostEvents]] = weakref.WeakKeyDictionary()
_waiting_lock = threading.Lock()


def _events_of(bind: sa.Connection | Session, bus: HookBus) -> _HostEvents:
    with _waiting_lock:
        per_bus = _waiting.setdefault(bind, {})
        found = per_bus.get(id(bus))
        if found is None or found.bus is not bus:
            found = per_bus[id(bus)] = _HostEvents(bind, bus)
        return found


class HostTransaction:
    """One :meth:`Engine.within` block: the host's connection or session."""

    def __init__(self, bind: sa.Connection | Session, statements: Statements, bus: HookBus):
        if not isinstance(bind, sa.Connection | Session):
            raise TypeError(
                f"Engine.within() takes an SQLAlchemy Connection or Session, not {type(bind).__name__}"
            )
        self.bind = bind
        self.statements = statements
        self.bus = bus
        self.closed = False

    def _check(self) -> None:
        if self.closed:
            raise RuntimeError("an engine from Engine.within() was used after its block ended")

    def _sql_class(self) -> type[Sql]:
        return RecordingSql if self.bus.active else Sql

    def _keep(self, recorded: list[Recorded]) -> None:
        if recorded:
            _events_of(self.bind, self.bus).pending.extend(recorded)

    @contextmanager
    def command(self) -> Iterator[Sql]:
        """One command in a SAVEPOINT of the host's transaction, on its connection."""
        self._check()
        cls = self._sql_class()
        if isinstance(self.bind, Session):
            session = self.bind
            _open_driver_transaction(session.connection())
            nested: sa.NestedTransaction | SessionTransaction = session.begin_nested()
            conn = session.connection()
        else:
            conn = self.bind
            if not conn.in_transaction():
                conn.begin()  # the host's transaction from now on: the host commits it
            _open_driver_transaction(conn)
            nested = conn.begin_nested()
        sql = cls(conn, self.statements)
        try:
            yield sql
        except BaseException:
            nested.rollback()
            raise
        nested.commit()
        if isinstance(sql, RecordingSql):
            self._keep(sql.recorded)

    @contextmanager
    def session(self) -> Iterator[Repository]:
        """An ORM unit of work in a SAVEPOINT of the host's transaction."""
        self._check()
        cls = self._sql_class()
        if isinstance(self.bind, Session):
            session = self.bind
            _open_driver_transaction(session.connection())
            nested = session.begin_nested()
            repo = Repository(session, self.statements, cls)
            try:
                yield repo
            except BaseException:
                nested.rollback()
                raise
            nested.commit()
        else:
            conn = self.bind
            if not conn.in_transaction():
                conn.begin()
            _open_driver_transaction(conn)
            # joins the host's transaction with a SAVEPOINT; never commits the host's
            with Session(
                bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
            ) as own:
                repo = Repository(own, self.statements, cls)
                try:
                    yield repo
                except BaseException:
                    own.rollback()
                    raise
                own.commit()
        self._keep(repo.recorded())

    def close(self) -> None:
        """The ``within`` block ended; its events still wait for the host's commit."""
        self.closed = True
