"""Random delegations, reassignments, deadline moves and transitions on a tree of directives.

Invariants (issue 19): a sub-directive is never due after its parent; no timer is lost (each
open directive has exactly the pending timers its state calls for, due-relative ones at the
instant its current due date gives); a parent's progress always equals the roll-up of its
children's state, computed here independently from the children as the engine returns them;
a refused move writes nothing; the audit chains verify.
"""

from __future__ import annotations

import contextlib
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dondoc import Actor, Engine, FakeClock, NewDirective, SubDirective, load_workflows
from dondoc.core.directory import SimpleDirectory
from dondoc.deadlines.timers import first_fire_at, is_due_relative
from dondoc.errors import DondocError, InvalidTransition, PayloadError

REGISTRY = load_workflows()
UNIT = "Thanh tra Sở"
PEOPLE = ["an", "binh", "chi"]
HEAD = Actor.of("phuong", unit=UNIT)
BOARD = Actor.of("thang", "reviewer")
START = datetime(2024, 3, 18, 2, tzinfo=UTC)
DAYS = st.integers(min_value=20, max_value=120)  # due dates well after the (fixed) clock


class MovesMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.engine = Engine(
            f"sqlite:///{Path(self.tmp.name) / 'm.db'}",
            workflows=REGISTRY,
            clock=FakeClock(START),
            directory=SimpleDirectory(
                {p: {"name": p, "unit": UNIT} for p in [*PEOPLE, "phuong"]}, {UNIT: "phuong"}
            ),
        )
        self.parents: list[int] = []
        self.children: list[int] = []

    def teardown(self) -> None:
        self.engine.db.dispose()
        self.tmp.cleanup()

    def _total_events(self) -> int:
        return sum(len(self.engine.history(i)) for i in self.parents + self.children)

    @rule(days=DAYS)
    def new_parent(self, days: int) -> None:
        d = self.engine.create_directive(
            BOARD,
            "unit_task",
            NewDirective(
                title="Nhiệm vụ",
                assignee="phuong",
                lead_unit=UNIT,
                due=date(2024, 3, 18) + timedelta(days=days),
            ),
        )
        self.parents.append(d.id)

    @precondition(lambda self: self.parents)
    @rule(
        data=st.data(),
        offsets=st.lists(st.integers(min_value=-60, max_value=5), min_size=1, max_size=3),
    )
    def delegate(self, data: st.DataObject, offsets: list[int]) -> None:
        pid = data.draw(st.sampled_from(self.parents))
        parent = self.engine.get(pid)
        assert parent.due is not None
        dues = [max(parent.due + timedelta(days=o), date(2024, 4, 1)) for o in offsets]
        subs = [SubDirective(f"Việc {i}", PEOPLE[i % 3], due=d) for i, d in enumerate(dues)]
        before = self._total_events()
        try:
            made = self.engine.delegate(pid, HEAD, subs)
        except PayloadError:
            assert any(d > parent.due for d in dues)
            assert self._total_events() == before
            return
        except InvalidTransition:
            assert not parent.is_open or parent.done_at is not None
            return
        assert all(d <= parent.due for d in dues)
        self.children.extend(c.id for c in made)

    @precondition(lambda self: self.children)
    @rule(data=st.data(), shift=st.one_of(st.none(), st.integers(min_value=-30, max_value=30)))
    def reassign(self, data: st.DataObject, shift: int | None) -> None:
        cid = data.draw(st.sampled_from(self.children))
        child = self.engine.get(cid)
        who = data.draw(st.sampled_from([p for p in PEOPLE if p != child.assignee]))
        due = None
        if shift is not None and child.due is not None:
            due = max(child.due + timedelta(days=shift), date(2024, 4, 1))
        before = self._total_events()
        try:
            self.engine.reassign(cid, HEAD, reason="Vắng mặt", assignee=who, due=due)
        except PayloadError as exc:
            parent_due = self.engine.get(child.parent_id or 0).due
            assert exc.field == "due" and due is not None and parent_due is not None
            assert due > parent_due
            assert self._total_events() == before
        except InvalidTransition:
            assert not child.is_open

    @precondition(lambda self: self.parents)
    @rule(data=st.data(), shift=st.integers(min_value=-40, max_value=30))
    def move_parent_due(self, data: st.DataObject, shift: int) -> None:
        pid = data.draw(st.sampled_from(self.parents))
        parent = self.engine.get(pid)
        assert parent.due is not None
        due = max(parent.due + timedelta(days=shift), date(2024, 4, 1))
        open_dues = [
            c.due for c in self.engine.directives(parent_id=pid) if c.is_open and c.due is not None
        ]
        who = "luyen" if parent.assignee == "phuong" else "phuong"
        try:
            self.engine.reassign(pid, BOARD, reason="Điều chỉnh", assignee=who, due=due)
        except PayloadError as exc:
            assert exc.field == "due" and open_dues and due < max(open_dues)
        except InvalidTransition:
            assert not parent.is_open

    @precondition(lambda self: self.children)
    @rule(
        data=st.data(),
        trigger=st.sampled_from(["start", "report_progress", "submit", "cancel", "accept"]),
        progress=st.integers(min_value=0, max_value=100),
    )
    def act_on_child(self, data: st.DataObject, trigger: str, progress: int) -> None:
        cid = data.draw(st.sampled_from(self.children))
        child = self.engine.get(cid)
        actor = {
            "start": Actor.of(child.assignee or "x"),
            "report_progress": Actor.of(child.assignee or "x"),
            "submit": Actor.of(child.assignee or "x"),
            "cancel": HEAD,
            "accept": HEAD,
        }[trigger]
        payload = {
            "report_progress": {"progress": progress},
            "submit": {"result": "xong"},
            "cancel": {"reason": "không cần"},
        }.get(trigger, {})
        with contextlib.suppress(DondocError):
            self.engine.fire(cid, trigger, actor, payload)

    @precondition(lambda self: self.parents)
    @rule(data=st.data())
    def report_parent(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(self.parents))
        parent = self.engine.get(pid)
        kids = [c for c in self.engine.directives(parent_id=pid) if c.kind == "delegated"]
        blocking = [c for c in kids if c.is_open and c.done_at is None]
        try:
            if parent.state == "assigned":
                self.engine.fire(pid, "start", HEAD)
            who = Actor.of(parent.assignee or "phuong", unit=UNIT)
            self.engine.fire(pid, "report_result", who, {"result": "xong"})
        except InvalidTransition as exc:
            assert blocking or parent.state not in ("assigned", "in_progress", "overdue"), exc
            return
        assert not blocking

    # --- invariants -----------------------------------------------------------------------
    @invariant()
    def children_never_due_after_their_parent(self) -> None:
        # open children: a closed (cancelled, completed) child's due is history; a parent's due
        # moved before an *open* child's is what is refused (docs/workflows.md, moves)
        for cid in self.children:
            child = self.engine.get(cid)
            parent = self.engine.get(child.parent_id or 0)
            if child.is_open and child.due is not None and parent.due is not None:
                assert child.due <= parent.due, (cid, child.due, parent.due)

    @invariant()
    def no_timer_is_lost(self) -> None:
        for did in self.parents + self.children:
            d = self.engine.get(did)
            pending = [t for t in self.engine.timers(did) if t["status"] == "pending"]
            if not d.is_open:
                assert pending == []
                continue
            spec = REGISTRY.get(d.workflow, d.workflow_version).spec
            expected = {
                tm.id: first_fire_at(tm, due=d.due, entered_at=START, calendar=self.engine.calendar)
                for tm in spec.timers
                if d.state in tm.states
            }
            expected = {k: v for k, v in expected.items() if v is not None}
            assert sorted(t["timer"] for t in pending) == sorted(expected), (did, d.state)
            by_name = {tm.id: tm for tm in spec.timers}
            for t in pending:
                if is_due_relative(by_name[t["timer"]]):
                    assert t["due_at"] == expected[t["timer"]], (did, t)

    @invariant()
    def progress_is_the_roll_up_of_the_children(self) -> None:
        for pid in self.parents:
            parent = self.engine.get(pid)
            kids, roll = self.engine.children(pid)
            delegated = [k for k in kids if k.kind == "delegated"]
            counted = [k for k in delegated if k.outcome != "cancelled"]
            assert roll.delegated == len(delegated)
            assert roll.cancelled == len(delegated) - len(counted)
            assert roll.done == sum(1 for k in delegated if k.done_at is not None)
            if counted:
                mean = sum(100 if k.done_at else k.progress for k in counted) // len(counted)
                assert roll.progress == mean
                assert parent.progress == mean, (pid, parent.progress, mean)

    @invariant()
    def audit_verifies(self) -> None:
        assert self.engine.verify_audit().ok


MovesMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestMoves = MovesMachine.TestCase
