"""Random sequences of triggers, actors and payloads against one directive.

Invariants: the state is always a declared state and equals what the spec (a simple model)
predicts; history length = 1 + accepted commands; the hash chain verifies; a rejected command
changes nothing.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from dondoc import Actor, Engine, FakeClock, NewDirective, load_workflows
from dondoc.core.spec import FieldSpec
from dondoc.errors import DondocError

REGISTRY = load_workflows()
WF = REGISTRY.get("remediation_self_assessment")
SPEC = WF.spec
TRIGGERS = sorted({t.trigger for t in SPEC.transitions} | {"bogus"})
ACTORS = [
    Actor.of("phuong"),  # the assignee
    Actor.of("thang", "reviewer"),  # reviewer by grant, and the assigner
    Actor.of("stranger"),
    Actor.of("system:scheduler", "system"),
]


def _value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    match spec.type:
        case "text" | "string":
            return st.text(alphabet="abc đêơ", min_size=1, max_size=8).filter(str.strip)
        case "boolean":
            return st.booleans()
        case "percent":
            return st.integers(0, 100)
        case "integer":
            return st.integers(-5, 50)
        case "date":
            return st.dates(date(2024, 1, 1), date(2025, 12, 31)).map(date.isoformat)
        case "choice":
            return st.sampled_from(list(spec.choices or ["x"]))
    return st.none()


def _payloads(trigger: str) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, FieldSpec] = {}
    for t in SPEC.transitions:
        if t.trigger == trigger:
            fields = dict(t.payload)
    valid = st.fixed_dictionaries({n: _value(f) for n, f in fields.items()})
    garbage = st.dictionaries(
        st.sampled_from([*fields, "junk"]),
        st.one_of(st.none(), st.integers(), st.text(max_size=3)),
        max_size=3,
    )
    return st.one_of(valid, valid, garbage)


@st.composite
def commands(draw: st.DrawFn) -> tuple[str, Actor, dict[str, Any]]:
    trigger = draw(st.sampled_from(TRIGGERS))
    return trigger, draw(st.sampled_from(ACTORS)), draw(_payloads(trigger))


class DirectiveMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.clock = FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC))
        self.engine = Engine(
            f"sqlite:///{Path(self.tmp.name) / 'p.db'}", workflows=REGISTRY, clock=self.clock
        )
        self.id = self.engine.create_directive(
            ACTORS[1],
            SPEC.workflow,
            NewDirective(title="x", assignee="phuong", reviewer="thang", due=date(2024, 6, 30)),
        ).id
        self.accepted = 0
        self.model_state = SPEC.initial_state

    @rule(cmd=commands(), hours=st.integers(0, 200))
    def fire(self, cmd: tuple[str, Actor, dict[str, Any]], hours: int) -> None:
        trigger, actor, payload = cmd
        self.clock.advance(hours=hours)
        before = self.engine.get(self.id)
        try:
            after = self.engine.fire(self.id, trigger, actor, payload)
        except DondocError:
            assert self.engine.get(self.id) == before  # rejected: nothing changed
            return
        self.accepted += 1
        t = SPEC.transition(trigger, before.state)
        assert t is not None, f"{trigger} accepted from {before.state}"
        self.model_state = t.dest
        event(f"reached {t.dest}")
        assert after.state == self.model_state
        assert after.version == before.version + 1

    @invariant()
    def consistent(self) -> None:
        d = self.engine.get(self.id)
        assert d.state in {s.id for s in SPEC.states}
        assert d.state == self.model_state
        assert d.is_open == (not SPEC.state(d.state).final)
        assert len(self.engine.history(self.id)) == 1 + self.accepted
        assert self.engine.verify_audit([self.id]).ok

    def teardown(self) -> None:
        self.engine.db.dispose()
        self.tmp.cleanup()


DirectiveMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestDirectiveMachine = DirectiveMachine.TestCase
