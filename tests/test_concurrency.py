"""Two sessions fire on the same directive at once: exactly one wins, the other gets ConflictError."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.core.machine import WorkflowRegistry
from dondoc.core.records import Directive
from dondoc.errors import ConflictError
from dondoc.store.statements import Sql


def test_two_sessions_same_directive_one_wins(
    db_url: str, registry: WorkflowRegistry, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two engines = two processes' worth of connections on one database.
    first = Engine(db_url, workflows=registry, clock=clock)
    second = Engine(db_url, workflows=registry, clock=clock)
    boss = Actor.of("thang", "reviewer")
    phuong = Actor.of("phuong")
    d = first.create_directive(
        boss,
        "remediation_self_assessment",
        NewDirective(title="Tự đánh giá", assignee="phuong", due=date(2024, 6, 30)),
    )

    # Both commands read the directive before either writes: the race, made certain.
    both_loaded = threading.Barrier(2, timeout=20)
    original = Sql.load
    waited: list[int] = []

    def load_then_wait(self: Sql, directive_id: int, **kw):  # type: ignore[no-untyped-def]
        row = original(self, directive_id, **kw)
        both_loaded.wait()
        waited.append(directive_id)
        return row

    monkeypatch.setattr(Sql, "load", load_then_wait)
    results: list[Directive | Exception] = []
    lock = threading.Lock()

    def attempt(engine: Engine, trigger: str, payload: dict[str, object]) -> None:
        try:
            out: Directive | Exception = engine.fire(d.id, trigger, phuong, payload)
        except Exception as exc:  # collected and asserted below
            out = exc
        with lock:
            results.append(out)

    threads = [
        threading.Thread(target=attempt, args=(first, "start", {})),
        threading.Thread(
            target=attempt,
            args=(second, "request_extension", {"reason": "r", "proposed_due": "2024-07-31"}),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    monkeypatch.undo()
    assert waited == [d.id, d.id], "the race was not forced: fire() no longer reads via Sql.load?"

    wins = [r for r in results if isinstance(r, Directive)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1, results
    assert len(losses) == 1 and isinstance(losses[0], ConflictError), results
    history = first.history(d.id)
    assert [e.kind for e in history] == ["created", "transition"]
    assert history[1].to_state == wins[0].state
    assert first.get(d.id).version == 2
    assert first.verify_audit().ok
    first.db.dispose()
    second.db.dispose()


COMMANDS = [
    ("start", "phuong", {}),
    ("report_progress", "phuong", {"progress": 50}),
    ("request_extension", "phuong", {"reason": "r", "proposed_due": "2024-08-31"}),
    ("approve_extension", "thang", {"new_due": "2024-08-31"}),
    ("reject_extension", "thang", {"reason": "không"}),
    ("submit_self_assessment", "phuong", {"report": "xong", "shortcomings_fixed": True}),
    ("return_for_rework", "thang", {"comment": "bổ sung"}),
    ("accept", "thang", {"conclusion": "đạt"}),
]


@pytest.mark.slow
def test_eight_threads_on_100_directives_no_lost_update(
    db_url: str, registry: WorkflowRegistry, clock: FakeClock
) -> None:
    import random
    from collections import Counter

    from dondoc.errors import InvalidTransition, PermissionDenied

    engine = Engine(db_url, workflows=registry, clock=clock)
    boss = Actor.of("thang", "reviewer")
    ids = [
        engine.create_directive(
            boss,
            "remediation_self_assessment",
            NewDirective(title=f"d{i}", assignee="phuong", reviewer="thang", due=date(2024, 6, 30)),
        ).id
        for i in range(100)
    ]
    accepted: Counter[int] = Counter()
    outcomes: Counter[str] = Counter()
    unexpected: list[BaseException] = []
    lock = threading.Lock()

    def run(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(80):
            did = rnd.choice(ids[:40]) if rnd.random() < 0.7 else rnd.choice(ids)  # contention
            trigger, who, payload = rnd.choice(COMMANDS)
            try:
                engine.fire(
                    did,
                    trigger,
                    Actor.of(who, "reviewer") if who == "thang" else Actor.of(who),
                    payload,
                )
                with lock:
                    accepted[did] += 1
                    outcomes["ok"] += 1
            except (ConflictError, InvalidTransition, PermissionDenied) as exc:
                # PermissionDenied: a refusal of separation of duties, e.g. an approval of a
                # request that, in this interleaving, the approver's own transition re-entered
                with lock:
                    outcomes[type(exc).__name__] += 1
            except BaseException as exc:  # anything else is a failure of the test
                with lock:
                    unexpected.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert unexpected == []
    assert outcomes["ok"] > 0 and outcomes["InvalidTransition"] > 0
    spec = registry.get("remediation_self_assessment").spec
    for did in ids:
        d = engine.get(did)
        history = engine.history(did)
        transitions = [e for e in history if e.kind == "transition"]
        assert len(transitions) == accepted[did]  # every accepted command, and only those
        assert d.version == 1 + len(transitions)  # no lost update
        state = spec.initial_state
        for e in transitions:  # the final state is what the history says
            assert e.from_state == state
            state = e.to_state  # type: ignore[assignment]
        assert d.state == state
    assert engine.verify_audit().ok
    print(f"\noutcomes: {dict(outcomes)}")
    engine.db.dispose()
