"""Living inside a host application (issue 21): the host's transaction, after-commit hooks, and
the time machine for the host's tests. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dondoc import Actor, AuditEvent, Engine, FakeClock, NewDirective, errors
from dondoc.clock import VN_TZ
from dondoc.testing import TimeMachine

BOARD = Actor.of("thang", "reviewer")
LEADER = Actor.of("phuong")
WORKFLOW = "remediation_self_assessment"

HOST = sa.MetaData()
HOST_DOCS = sa.Table(
    "host_incoming_documents",
    HOST,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(50)),
)


def new(title: str = "Báo cáo tự đánh giá") -> NewDirective:
    return NewDirective(
        title=title, assignee="phuong", reviewer="thang", lead_unit="Thanh tra Sở",
        due=date(2024, 6, 30), due_text="Trước ngày 01/07/2024",
    )  # fmt: skip


@pytest.fixture
def host(engine: Engine) -> Iterator[Engine]:
    """The engine, with the host's own table next to dondoc's in the same database."""
    HOST.create_all(engine.db)
    yield engine
    HOST.drop_all(engine.db)


def counts(engine: Engine) -> dict[str, int]:
    with engine.db.connect() as conn:
        return {
            t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() or 0)
            for t in ("host_incoming_documents", "directives", "events", "timers", "outbox")
        }


@pytest.fixture(params=["connection", "session"])
def bind_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class HostTx:
    """The host's transaction, as a Connection or an ORM Session (the two the issue names)."""

    def __init__(self, engine: Engine, kind: str) -> None:
        self.engine, self.kind = engine, kind
        self.bind: sa.Connection | Session = (
            engine.db.connect() if kind == "connection" else Session(engine.db)
        )

    def insert_host_row(self, number: str) -> None:
        self.bind.execute(HOST_DOCS.insert().values(number=number))

    def commit(self) -> None:
        self.bind.commit()

    def rollback(self) -> None:
        self.bind.rollback()

    def close(self) -> None:
        self.bind.close()


# --- the host's transaction ---------------------------------------------------------------------


def test_host_row_and_directive_commit_together(host: Engine, bind_kind: str) -> None:
    tx = HostTx(host, bind_kind)
    tx.insert_host_row("125/TB-STTTT")
    with host.within(tx.bind) as eng:
        d = eng.create_directive(BOARD, WORKFLOW, new())
        eng.fire(d.id, "start", LEADER)
        assert eng.get(d.id).state == "in_progress"  # reads see the host's transaction
    # not committed yet: another connection sees neither the host's row nor the directive
    assert counts(host)["host_incoming_documents"] == 0
    assert counts(host)["directives"] == 0
    tx.commit()
    tx.close()
    c = counts(host)
    assert c["host_incoming_documents"] == 1 and c["directives"] == 1
    assert [e.kind for e in host.history(d.id)] == ["created", "transition"]
    assert host.verify_audit().ok


def test_an_exception_in_the_host_block_rolls_everything_back(host: Engine, bind_kind: str) -> None:
    # A directive whose deadline has passed, so that firing its timer in the host's transaction
    # writes an event, a transition, new timers and outbox messages.
    existing = host.create_directive(BOARD, WORKFLOW, new("Đã có từ trước"))
    assert isinstance(host.clock, FakeClock)
    host.clock.set(datetime(2024, 7, 2, 2, tzinfo=UTC))
    before = counts(host)

    class HostFailure(Exception):
        pass

    tx = HostTx(host, bind_kind)
    with pytest.raises(HostFailure):
        try:
            # dondoc first: on SQLite the driver has not begun a transaction yet at this point
            with host.within(tx.bind) as eng:
                eng.create_directive(BOARD, WORKFLOW, new("Trong giao dịch của ứng dụng"))
                fired = eng.fire_next_timer()
                assert fired is not None and fired.directive_id == existing.id and fired.notified
                tx.insert_host_row("126/TB-STTTT")
                raise HostFailure("the host's own work failed")
        except HostFailure:
            tx.rollback()
            raise
        finally:
            tx.close()
    assert counts(host) == before  # nothing in directives, events, timers, outbox, host table
    assert host.get(existing.id).state == "assigned"
    assert host.verify_audit().ok


def test_a_failed_command_leaves_the_host_transaction_usable(host: Engine, bind_kind: str) -> None:
    tx = HostTx(host, bind_kind)
    with host.within(tx.bind) as eng:
        d = eng.create_directive(BOARD, WORKFLOW, new())
        with pytest.raises(errors.InvalidTransition):
            eng.fire(d.id, "accept", BOARD, {"conclusion": "—"})
        tx.insert_host_row("127/TB-STTTT")
        eng.fire(d.id, "start", LEADER)
    tx.commit()
    tx.close()
    assert counts(host)["host_incoming_documents"] == 1
    assert [e.trigger for e in host.history(d.id)] == [None, "start"]


def test_the_bound_engine_ends_with_its_block(host: Engine) -> None:
    with host.db.connect() as conn:
        with host.within(conn) as eng:
            pass
        with pytest.raises(RuntimeError, match="after its block"):
            eng.create_directive(BOARD, WORKFLOW, new())
    with pytest.raises(TypeError, match="Connection or Session"), host.within("sqlite://"):  # type: ignore[arg-type]
        pass


# --- after-commit hooks ---------------------------------------------------------------------------


def test_hooks_once_per_committed_change_in_commit_order(engine: Engine) -> None:
    every: list[tuple[str, int, int]] = []
    transitions: list[str | None] = []
    engine.on("*", lambda e: every.append((e.kind, e.directive_id, e.seq)))
    engine.on("transition", lambda e: transitions.append(e.trigger))
    a = engine.create_directive(BOARD, WORKFLOW, new("A"))
    b = engine.create_directive(BOARD, WORKFLOW, new("B"))
    engine.fire(b.id, "start", LEADER)
    engine.fire(a.id, "start", LEADER)
    engine.fire(a.id, "report_progress", LEADER, {"progress": 40})
    assert every == [
        ("created", a.id, 1),
        ("created", b.id, 1),
        ("transition", b.id, 2),
        ("transition", a.id, 2),
        ("transition", a.id, 3),
    ]
    assert transitions == ["start", "start", "report_progress"]


def test_hooks_never_on_rollback(host: Engine, bind_kind: str) -> None:
    seen: list[AuditEvent] = []
    host.on("*", seen.append)
    d = host.create_directive(BOARD, WORKFLOW, new())
    seen.clear()
    with pytest.raises(errors.InvalidTransition):
        host.fire(d.id, "accept", BOARD, {"conclusion": "—"})
    with pytest.raises(errors.ConflictError):
        host.fire(d.id, "start", LEADER, expected_version=99)
    tx = HostTx(host, bind_kind)
    with host.within(tx.bind) as eng:
        eng.fire(d.id, "start", LEADER)
        eng.create_directive(BOARD, WORKFLOW, new("Không bao giờ có"))
    tx.rollback()
    tx.close()
    assert seen == []
    assert host.get(d.id).state == "assigned"


def test_hooks_fire_on_the_host_commit_after_the_data_is_there(host: Engine, bind_kind: str) -> None:
    observed: list[tuple[int, str, str]] = []

    def check(e: AuditEvent) -> None:  # reads through the engine's own connections
        observed.append((e.directive_id, e.kind, host.get(e.directive_id).state))

    host.on("*", check)
    tx = HostTx(host, bind_kind)
    tx.insert_host_row("128/TB-STTTT")
    with host.within(tx.bind) as eng:
        d = eng.create_directive(BOARD, WORKFLOW, new())
        eng.fire(d.id, "start", LEADER)
    assert observed == []  # the host has not committed
    tx.commit()
    tx.close()
    # called after the commit: each callback already sees the committed row
    assert observed == [(d.id, "created", "in_progress"), (d.id, "transition", "in_progress")]


def test_overdue_hook_and_a_failing_callback(engine: Engine) -> None:
    overdue: list[AuditEvent] = []
    kinds: list[str] = []

    def broken(_e: AuditEvent) -> None:
        raise RuntimeError("a host bug")

    engine.on("transition", broken)
    engine.on("overdue", overdue.append)
    engine.on("*", lambda e: kinds.append(e.kind))
    d = engine.create_directive(BOARD, WORKFLOW, new())
    engine.fire(d.id, "start", LEADER)  # the broken callback does not fail the command
    assert engine.get(d.id).state == "in_progress"
    TimeMachine(engine).advance_to("02/07/2024")
    assert [(e.directive_id, e.trigger, e.to_state) for e in overdue] == [
        (d.id, "mark_overdue", "overdue")
    ]
    assert kinds == ["created", "transition", "timer", "timer", "transition"]


def test_a_callback_that_runs_a_command_gets_its_event_after(engine: Engine) -> None:
    order: list[tuple[str, int]] = []

    def react(e: AuditEvent) -> None:
        order.append((e.kind, e.directive_id))
        if e.kind == "created" and e.directive_id == 1:
            engine.create_directive(BOARD, WORKFLOW, new("Tạo từ hook"))
            order.append(("returned", 0))

    engine.on("*", react)
    engine.create_directive(BOARD, WORKFLOW, new())
    assert order == [("created", 1), ("returned", 0), ("created", 2)]


# --- the time machine -----------------------------------------------------------------------------


def test_time_machine_advance_to_runs_what_is_due(engine: Engine) -> None:
    tm = TimeMachine(engine)
    d = engine.create_directive(BOARD, WORKFLOW, new())
    report = tm.advance_to("01/07/2024")
    # Due Sunday 30/06/2024: "3 ngày làm việc" before it is Wednesday 26/06 at 08:00; the
    # deadline passes at 24:00 on 30/06, i.e. 01/07 00:00 in Vietnam.
    assert [(f.timer, f.due_at.astimezone(VN_TZ)) for f in report.fired] == [
        ("remind_before_due", datetime(2024, 6, 26, 8, tzinfo=VN_TZ)),
        ("overdue_at_due", datetime(2024, 7, 1, 0, tzinfo=VN_TZ)),
    ]
    assert engine.get(d.id).state == "overdue"
    assert tm.now() == datetime(2024, 7, 1, tzinfo=VN_TZ)
    later = tm.advance(days=3)  # escalation 2 working days after entering: Wed 03/07 08:00
    assert [f.timer for f in later.fired] == ["escalate_to_unit_head"]
    assert [f.timer for f in tm.history.fired][-1] == "escalate_to_unit_head"
    with pytest.raises(ValueError, match="back"):
        tm.advance_to(date(2024, 3, 1))
    with pytest.raises(ValueError, match="dd/mm/yyyy"):
        tm.advance_to("2024-07-10")


def test_time_machine_needs_a_fake_clock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    eng = Engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(TypeError, match="FakeClock"):
        TimeMachine(eng)
    eng.db.dispose()


def test_a_later_command_goes_through_the_same_plumbing(host: Engine, bind_kind: str) -> None:
    """Moves (issue 19) came after the host transaction; nothing was done for them here, yet a
    reassignment in the host's transaction rolls back and commits with it, and its event
    reaches the hooks only on commit."""
    kinds: list[str] = []
    host.on("*", lambda e: kinds.append(e.kind))
    assigner = Actor.of("thang")
    d = host.create_directive(
        assigner, "specialist_task", NewDirective(title="Thẩm định hồ sơ", assignee="luyen")
    )
    kinds.clear()
    for outcome in ("rollback", "commit"):
        tx = HostTx(host, bind_kind)
        with host.within(tx.bind) as eng:
            eng.reassign(d.id, assigner, reason="Chuyên viên đi công tác", assignee="phuong")
        if outcome == "rollback":
            tx.rollback()
        else:
            tx.commit()
        tx.close()
        expected = "luyen" if outcome == "rollback" else "phuong"
        assert host.get(d.id).assignee == expected
    assert len(kinds) == 1  # the committed reassignment only
    assert host.verify_audit().ok
