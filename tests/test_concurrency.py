"""Two sessions fire on the same directive at once: exactly one wins, the other gets ConflictError."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.errors import ConflictError
from dondoc.machine import WorkflowRegistry
from dondoc.records import Directive
from dondoc.store import Repository


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
    original = Repository.load_directive

    def load_then_wait(self: Repository, directive_id: int):  # type: ignore[no-untyped-def]
        row = original(self, directive_id)
        both_loaded.wait()
        return row

    monkeypatch.setattr(Repository, "load_directive", load_then_wait)
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
