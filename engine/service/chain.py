"""The audit trail's hash chain. Pure.

Each event stores the hash of the previous event of the same directive and its own hash over
its canonical JSON form (which includes that previous hash). Changing, removing or reordering
any stored event breaks the chain from that point on, which :func:`verify_chain` reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical_time(at: datetime) -> str:
    """The instant as it enters the hash: UTC, microseconds, always the same spelling."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *,
    prev_hash: str,
    directive_id: int,
    seq: int,
    at: datetime,
    actor: str,
    role: str | None,
    kind: str,
    trigger: str | None,
    from_state: str | None,
    to_state: str | None,
    payload: Mapping[str, Any] | None,
) -> str:
    body = [
        prev_hash,
        directive_id,
        seq,
        canonical_time(at),
        actor,
        role,
        kind,
        trigger,
        from_state,
        to_state,
        dict(payload or {}),
    ]
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """Where a directive's chain stops verifying, and why."""

    directive_id: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"directive {self.directive_id}, event #{self.seq}: {self.reason}"


def verify_chain(directive_id: int, events: Iterable[Mapping[str, Any]]) -> list[ChainBreak]:
    """Check one directive's events (in seq order). Returns the breaks found (empty if intact).

    Each event is a mapping with the keys of :func:`event_hash` plus ``hash``.
    """
    breaks: list[ChainBreak] = []
    prev = GENESIS
    expected_seq = 1
    for ev in events:
        seq = int(ev["seq"])
        if seq != expected_seq:
            breaks.append(ChainBreak(directive_id, seq, f"expected event #{expected_seq} here"))
        if ev["prev_hash"] != prev:
            breaks.append(ChainBreak(directive_id, seq, "does not link to the previous event"))
        fields = {
            k: ev[k]
            for k in (
                "seq",
                "at",
                "actor",
                "role",
                "kind",
                "trigger",
                "from_state",
                "to_state",
                "payload",
            )
        }
        recomputed = event_hash(prev_hash=ev["prev_hash"], directive_id=directive_id, **fields)
        if recomputed != ev["hash"]:
            breaks.append(ChainBreak(directive_id, seq, "content does not match its hash"))
        prev = ev["hash"]
        expected_seq = seq + 1
    return breaks
