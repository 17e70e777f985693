"""Separation of duties under a concurrent change (found while landing issue 21).

A command reads the directive, then asks who made the request it decides. If another command
committed a transition in between, the request is still the one in the row this command loaded
(its version-checked UPDATE will fail with ConflictError); the newer event's actor must not be
taken for the requester. The race is forced here by committing the other command inside the
requester lookup, on both backends."""

from __future__ import annotations

from datetime import date

import pytest

from dondoc import Actor, Engine, NewDirective, errors
from dondoc.store.statements import Sql

BOARD = Actor.of("thang", "reviewer")
LEADER = Actor.of("phuong")


def test_a_transition_committed_meanwhile_is_not_the_request(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = engine.create_directive(
        Actor.of("thang", "assigner"),
        "remediation_self_assessment",
        NewDirective(title="Tự đánh giá", assignee="phuong", due=date(2024, 6, 30)),
    )
    engine.fire(d.id, "start", LEADER)
    engine.fire(d.id, "submit_self_assessment", LEADER, {"report": "…", "shortcomings_fixed": True})
    original = Sql.requester
    raced: list[bool] = []

    def requester_after_a_concurrent_commit(self: Sql, *args: object, **kw: object) -> object:
        if not raced:
            raced.append(True)  # the board sends it back for rework, committed meanwhile
            engine.fire(d.id, "return_for_rework", BOARD, {"comment": "Bổ sung"})
        return original(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Sql, "requester", requester_after_a_concurrent_commit)
    with pytest.raises(errors.ConflictError):  # not SeparationOfDuties: phuong asked, not thang
        engine.fire(d.id, "accept", BOARD, {"conclusion": "Đạt"})
    assert raced == [True]
    assert engine.get(d.id).state == "in_progress"
