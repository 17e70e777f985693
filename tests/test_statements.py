"""The commands' prepared statements (dondoc.store.statements) against the ORM's view of the rows.

The commands write with SQL compiled once and run on the driver's cursor; everything else reads
with the ORM. Both must see the same values (types, time zones, JSON), and a driver error must
surface as SQLAlchemy's exception so the service handles it as before.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.errors import ConflictError
from dondoc.store.statements import FIELDS, MUTABLE, Sql
from dondoc.store.tables import DirectiveRow

BOARD = Actor.of("thang", "reviewer")
LEADER = Actor.of("phuong")


def _new(**extra: object) -> NewDirective:
    base: dict[str, object] = {
        "title": "Tự đánh giá, đề xuất hình thức kỷ luật",
        "assignee": "phuong",
        "reviewer": "thang",
        "lead_unit": "Thanh tra Sở",
        "cooperating_units": ("Văn phòng Sở", "Phòng Tổ chức cán bộ"),
        "deadline": "Trước ngày 01/07/2024",
        "doc_number": "185/TB-SNV",
        "doc_date": date(2024, 3, 18),
        "data": {"ghi_chú": "Đợt 1", "n": 3, "nested": {"a": [1, 2]}},
    }
    return NewDirective(**{**base, **extra})  # type: ignore[arg-type]


def test_directive_state_has_exactly_the_columns_of_directives() -> None:
    columns = [c.name for c in DirectiveRow.__table__.columns]
    assert sorted(FIELDS) == sorted(columns)
    assert set(MUTABLE) < set(FIELDS) and "version" not in MUTABLE and "id" not in MUTABLE


def test_what_commands_write_reads_back_the_same_through_the_orm(engine: Engine) -> None:
    d = engine.create_directive(BOARD, "remediation_self_assessment", _new())
    engine.fire(d.id, "start", LEADER)
    engine.fire(d.id, "report_progress", LEADER, {"progress": 40, "note": "Đã họp"})
    with engine._tx() as repo:
        orm = repo.load_directive(d.id)
        assert orm is not None
        fast = repo.sql.load(d.id)
        assert fast is not None
        for name in FIELDS:
            assert getattr(fast, name) == getattr(orm, name), name
        assert fast.updated_at.tzinfo is not None and fast.due == date(2024, 6, 30)
        assert fast.is_open is True and fast.data["ghi_chú"] == "Đợt 1"
        events = repo.events(d.id)
        assert [e.seq for e in events] == [1, 2, 3]
        assert events[-1].payload == {"progress": 40, "note": "Đã họp"}
        assert events[-1].at.tzinfo is not None
        timers = repo.timers(d.id)
        assert {t.status for t in timers} == {"pending", "cancelled"}
        assert all(t.due_at.tzinfo is not None for t in timers)
    assert engine.verify_audit([d.id]).ok


def test_a_stale_version_writes_nothing(engine: Engine) -> None:
    d = engine.create_directive(BOARD, "remediation_self_assessment", _new())
    with engine._cmd() as sql:
        state = sql.load(d.id)
        assert state is not None
        stale = dataclasses.replace(state, state="in_progress", version=state.version + 1)
        assert sql.update(stale, old_version=state.version + 5) is False
    assert engine.get(d.id).state == "assigned" and engine.get(d.id).version == 1


def test_driver_errors_are_sqlalchemy_errors(engine: Engine) -> None:
    d = engine.create_directive(BOARD, "remediation_self_assessment", _new())
    event = {
        "directive_id": d.id,
        "seq": 1,  # taken by the "created" event
        "at": d.created_at,
        "actor": "x",
        "role": None,
        "kind": "transition",
        "trigger": None,
        "from_state": None,
        "to_state": None,
        "payload": {},
        "prev_hash": "",
        "hash": "",
    }
    with pytest.raises(sa.exc.IntegrityError), engine._cmd() as sql:
        sql.insert_event(event)
    # the failed transaction wrote nothing and the engine carries on
    assert len(engine.history(d.id)) == 1
    assert engine.fire(d.id, "start", LEADER).state == "in_progress"


def test_missing_ids_load_nothing(engine: Engine) -> None:
    with engine._cmd() as sql:
        assert sql.load(0) is None and sql.load(10**12) is None and sql.load(424242) is None


def test_a_conflict_inside_a_timer_firing_is_a_skip_not_a_failure(
    engine: Engine,
    clock,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    """A command that changed the directive between the worker's read and its write: the
    firing is undone and retried (not deferred as a broken configuration)."""
    d = engine.create_directive(BOARD, "remediation_self_assessment", _new())
    clock.set(datetime(2024, 7, 1, 3, tzinfo=UTC))  # both timers are due
    before = engine.timers(d.id)
    monkeypatch.setattr(Sql, "update", lambda self, d, old_version: False)
    fired = engine.fire_next_timer(worker="w1")
    assert fired is not None and fired.skipped and fired.error is None
    assert engine.timers(d.id) == before  # still pending, not deferred
    assert len(engine.history(d.id)) == 1
    monkeypatch.undo()
    fired = engine.fire_next_timer(worker="w1")
    assert fired is not None and not fired.skipped
    assert len(engine.history(d.id)) >= 2


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(min_value=-(2**53), max_value=2**53),
            st.text(max_size=40),
            st.lists(st.integers(min_value=0, max_value=9), max_size=4),
        ),
        max_size=5,
    ),
    title=st.text(min_size=1, max_size=80).filter(lambda t: t.strip() and "\x00" not in t),
)
def test_any_payload_round_trips(engine: Engine, data: dict[str, object], title: str) -> None:
    data = {k: v for k, v in data.items() if "\x00" not in k and "\x00" not in str(v)}
    d = engine.create_directive(BOARD, "remediation_self_assessment", _new(title=title, data=data))
    back = engine.get(d.id)
    assert back.data == data and back.title == title.strip()
    with engine._cmd() as sql:
        state = sql.load(d.id)
        assert state is not None and state.data == data
    with pytest.raises(ConflictError):
        engine.fire(d.id, "start", LEADER, expected_version=d.version + 1)


@pytest.mark.postgres
def test_a_connection_cut_mid_command_is_an_operational_error_and_the_engine_recovers(
    clock,  # type: ignore[no-untyped-def]
) -> None:
    """The backend dies between the command's read and its write (pg_terminate_backend): the
    driver's error surfaces as SQLAlchemy's OperationalError, the connection is invalidated
    (not handed out again), nothing was written, and the next command works."""
    from conftest import PG_URL, _pg_engine

    _pg_engine().dispose()  # skips without PostgreSQL; starts from an empty database
    assert PG_URL is not None
    engine = Engine(PG_URL, clock=clock)
    try:
        d = engine.create_directive(BOARD, "remediation_self_assessment", _new())
        with pytest.raises(sa.exc.OperationalError) as info, engine._cmd() as sql:
            state = sql.load(d.id)
            assert state is not None
            pid = sql.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            killer = sa.create_engine(PG_URL)
            with killer.begin() as c:
                assert c.scalar(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            killer.dispose()
            state.state, state.version = "in_progress", state.version + 1
            sql.update(state, old_version=1)
        assert info.value.connection_invalidated
        assert engine.get(d.id).state == "assigned"
        assert engine.fire(d.id, "start", LEADER).state == "in_progress"
        assert engine.verify_audit([d.id]).ok
    finally:
        engine.db.dispose()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    at=st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=7)), timezone(-timedelta(hours=5))]
        ),
    ),
    due=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
)
def test_instants_and_dates_round_trip(engine: Engine, at: datetime, due: date) -> None:
    """Whatever zone the clock is in, instants are stored as UTC and come back equal (aware);
    dates come back as the same dates — through the statements and through the ORM."""
    engine.clock = FakeClock(at)  # examples go back and forth in time: a clock each
    d = engine.create_directive(BOARD, "remediation_self_assessment", _new(deadline=None, due=due))
    assert d.created_at == at and d.due == due
    with engine._tx() as repo:
        orm = repo.load_directive(d.id)
        fast = repo.sql.load(d.id)
        assert orm is not None and fast is not None
        assert orm.created_at == fast.created_at == at and fast.created_at.tzinfo is not None
        assert orm.due == fast.due == fast.original_due == due
        assert repo.events(d.id)[0].at == at
