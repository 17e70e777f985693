"""The audit trail's hash chain, its replay, and the signed ledger over all chains. Pure.

Each event stores the hash of the previous event of the same directive and its own hash over
its canonical JSON form (which includes that previous hash). Changing, removing or reordering
any stored event breaks the chain from that point on, which :func:`verify_chain` reports.

Three more guarantees, for someone with write access to the database:

* :class:`Replay` — the directive's row is a function of its chain: a direct edit of its
  state, assignee, due date or data shows as a difference from the replayed events.
* :class:`Ledger` — every chain enters one digest (events in directive, seq order); a signed
  checkpoint keeps the digest up to an instant, so a deleted directive, or events deleted
  with the chain head rolled back, no longer match it.
* :func:`sign_checkpoint` — checkpoints are HMAC-signed with a key kept outside the database
  (``DONDOC_AUDIT_KEY``): re-hashing history to match needs the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from json.scanner import c_make_scanner  # type: ignore[attr-defined]
from typing import Any

GENESIS = "0" * 64


def canonical_time(at: datetime) -> str:
    """The instant as it enters the hash: UTC, microseconds, always the same spelling."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    elif at.utcoffset():
        at = at.astimezone(UTC)
    # the spelling of strftime("%Y-%m-%dT%H:%M:%S.%fZ") on glibc (the year unpadded), several
    # times faster (audit verify)
    return (
        f"{at.year}-{at.month:02d}-{at.day:02d}T{at.hour:02d}:{at.minute:02d}:"
        f"{at.second:02d}.{at.microsecond:06d}Z"
    )


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
    return hash_event_at(
        canonical_time(at),
        prev_hash=prev_hash,
        directive_id=directive_id,
        seq=seq,
        actor=actor,
        role=role,
        kind=kind,
        trigger=trigger,
        from_state=from_state,
        to_state=to_state,
        payload=payload,
    )


def hash_event_at(
    at: str,
    *,
    prev_hash: str,
    directive_id: int,
    seq: int,
    actor: str,
    role: str | None,
    kind: str,
    trigger: str | None,
    from_state: str | None,
    to_state: str | None,
    payload: Mapping[str, Any] | None,
) -> str:
    """:func:`event_hash` with the instant already in its canonical spelling."""
    body = [
        prev_hash,
        directive_id,
        seq,
        at,
        actor,
        role,
        kind,
        trigger,
        from_state,
        to_state,
        dict(payload or {}),
    ]
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def hash_body(head: list[Any], payload: Mapping[str, Any] | None) -> str:
    """The hash of an event given as ``[prev_hash, directive_id, seq, canonical at, actor,
    role, kind, trigger, from_state, to_state]`` and its payload (what
    :func:`hash_event_at` hashes, for a caller that already has the list)."""
    head.append(payload if type(payload) is dict else dict(payload or {}))
    return hashlib.sha256(canonical_json(head).encode()).hexdigest()


# json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str), with
# the C encoder built once: json.dumps builds a JSONEncoder per call when given options, and
# JSONEncoder.encode builds its C encoder per call (a third of the time of hashing an event).
# Without a circular-reference check: what is hashed comes from JSON or from plain values.
# test_chain checks it spells exactly what json.dumps spells, on arbitrary JSON.
_C_ENCODER = c_make_encoder(None, str, encode_basestring, None, ":", ",", True, False, True)


def canonical_json(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    default=str)``: the spelling every hash of the audit trail is taken over."""
    return "".join(_C_ENCODER(value, 0))


_SCAN = c_make_scanner(json.JSONDecoder())


def parse_json(text: str | bytes) -> Any:
    """``json.loads(text)``, faster for the small, compact texts a database returns (the C
    scanner directly; anything it does not take whole goes through ``json.loads``)."""
    if type(text) is str:
        try:
            value, end = _SCAN(text, 0)
        except (StopIteration, ValueError):
            return json.loads(text)
        if end == len(text):
            return value
    return json.loads(text)


@dataclass(frozen=True)
class ChainBreak:
    """Where a directive's chain stops verifying, and why."""

    directive_id: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"nhiệm vụ #{self.directive_id}, sự kiện #{self.seq}: {self.reason}"


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
            breaks.append(ChainBreak(directive_id, seq, f"lẽ ra phải là sự kiện #{expected_seq}"))
        if ev["prev_hash"] != prev:
            breaks.append(ChainBreak(directive_id, seq, "không nối với sự kiện trước"))
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
            breaks.append(ChainBreak(directive_id, seq, "nội dung không khớp với mã băm"))
        prev = ev["hash"]
        expected_seq = seq + 1
    return breaks


# --- replay: the directive's row as a function of its chain -----------------------------------

#: Fields of a directive that its "created" event's snapshot fixes.
SNAPSHOT_FIELDS = (
    "workflow",
    "workflow_version",
    "title",
    "content",
    "lead_unit",
    "cooperating_units",
    "assignee",
    "assigner",
    "reviewer",
    "due",
    "due_text",
    "start",
    "recurrence",
    "doc_number",
    "doc_date",
    "doc_issuer",
    "parent_id",
)


@dataclass(frozen=True)
class Effect:
    """What a transition does to a directive besides moving it (from its workflow)."""

    extend_due: bool
    progress: int | None
    final: bool
    done: bool  # the destination counts as work done (done state, or completed final)


#: ``effects(workflow, version, trigger, from_state)`` → the transition's effect, or None when
#: the workflow does not have it.
Effects = Callable[[str, int, str, str], "Effect | None"]


_CREATED = (*SNAPSHOT_FIELDS, "data")  # what a "created" event's payload carries


def _norm(name: str, value: Any) -> Any:
    """A stored value as its event records it (instants canonical, dates ISO, lists)."""
    if isinstance(value, datetime):
        return canonical_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if name == "cooperating_units":
        return list(value or ())
    return value


class Replay:
    """Rebuilds a directive's current row from its events, one event at a time.

    The row is a function of the chain: the "created" event carries the directive's snapshot,
    each "transition" its trigger, states and payload, whose effect (progress, extension,
    closing) comes from the workflow. Any event may carry ``"_set"`` in its payload: fields
    it changed beyond what the workflow says (a roll-up of sub-directives' progress, a
    reassignment…), with their new values — how a command outside the workflow records what it
    changed. (Payload fields are identifiers, so ``_set`` never clashes with one.)"""

    __slots__ = ("effects", "fields", "problem", "row")

    def __init__(self, effects: Effects, row: Mapping[str, Any] | None = None) -> None:
        """``row``: the stored directive, for snapshot fields a (pre-snapshot) "created"
        event lacks; those are taken as stored, not verified."""
        self.effects = effects
        self.row = row
        self.fields: dict[str, Any] = {}
        self.problem: str | None = None

    def apply(self, ev: Mapping[str, Any]) -> None:
        """Apply one event (a mapping with the keys of :func:`event_hash`)."""
        at = ev["at"] if isinstance(ev["at"], str) else canonical_time(ev["at"])
        self.step(
            ev["seq"],
            at,
            ev["kind"],
            ev["trigger"],
            ev["from_state"],
            ev["to_state"],
            ev["payload"],
        )

    def step(
        self,
        seq: int,
        at: str,
        kind: str,
        trigger: str | None,
        from_state: str | None,
        to_state: str | None,
        payload: Mapping[str, Any] | None,
    ) -> None:
        """Apply one event, its instant already canonical (:func:`canonical_time`)."""
        f = self.fields
        payload = payload or {}
        if kind == "created":
            for name in _CREATED:
                if name in payload:
                    f[name] = payload[name]
                else:
                    f[name] = _norm(name, self.row.get(name)) if self.row is not None else None
            f["cooperating_units"] = list(f["cooperating_units"] or ())
            f["data"] = dict(f["data"] or {})
            f["state"] = to_state
            f["progress"] = 0
            f["original_due"] = f["due"]
            if "due" not in payload and self.row is not None:  # an early, shorter snapshot
                f["original_due"] = _norm("original_due", self.row.get("original_due"))
            f["is_open"] = True
            f["closed_at"] = f["done_at"] = None
            f["created_at"] = f["updated_at"] = at
        elif not f:
            self.problem = self.problem or f"sự kiện #{seq} đứng trước sự kiện tạo nhiệm vụ"
            return
        elif kind == "transition":
            effect = self.effects(f["workflow"], f["workflow_version"], trigger or "", f["state"])
            if effect is None or from_state != f["state"]:
                self.problem = self.problem or (
                    f"sự kiện #{seq}: lệnh {trigger!r} không rời được trạng thái {f['state']!r}"
                )
                return
            f["state"] = to_state
            f["is_open"] = not effect.final
            f["closed_at"] = at if effect.final else None
            f["done_at"] = (f["done_at"] or at) if effect.done else None
            if effect.progress is not None:
                f["progress"] = effect.progress
            if isinstance(payload.get("progress"), int):
                f["progress"] = payload["progress"]
            if effect.extend_due:
                if f["original_due"] is None:
                    f["original_due"] = f["due"]
                f["due"] = payload.get("new_due")
            if "_set" in payload:
                f["data"] = {**f["data"], **{k: v for k, v in payload.items() if k != "_set"}}
                f.update(payload["_set"] or {})
            elif payload:
                f["data"] = {**f["data"], **payload}
            f["updated_at"] = at
        else:
            f.update(payload.get("_set") or {})
            f["updated_at"] = at

    def differences(self, row: Mapping[str, Any]) -> list[str]:
        """The fields of ``row`` (the directive as stored) that its chain does not produce."""
        out = []
        for name, expected in self.fields.items():
            actual = row.get(name)
            if actual != expected and _norm(name, actual) != expected:
                out.append(name)
        return out


#: The fields a replay rebuilds (see :class:`Replay`), besides the chain head.
REPLAYED = (
    *SNAPSHOT_FIELDS,
    "data",
    "state",
    "progress",
    "original_due",
    "is_open",
    "closed_at",
    "done_at",
)


def changed_fields(before: Any, after: Any) -> dict[str, Any]:
    """The replayed fields whose value differs between two states of a directive (objects
    with those attributes), new values as events record them (for a ``"_set"`` payload)."""
    out = {}
    for name in REPLAYED:
        new = _norm(name, getattr(after, name))
        if _norm(name, getattr(before, name)) != new:
            out[name] = new
    return out


# --- the ledger: one digest over every directive's chain, signed ------------------------------


class Ledger:
    """A running digest over events in (directive, seq) order: one ledger of every chain.

    A checkpoint stores the digest of the events up to a cutoff instant, signed with a key kept
    outside the database; removing a directive (with its events), or the last events of one,
    from before the cutoff changes the digest, and re-signing it needs the key."""

    __slots__ = ("count", "cutoff", "h")

    def __init__(self, cutoff: str) -> None:
        self.cutoff = cutoff  # canonical_time of the cutoff
        self.h = hashlib.sha256()
        self.count = 0

    def add(self, directive_id: int, seq: int, at: str, event_hash: str) -> None:
        if at <= self.cutoff:
            self.h.update(b"%d:%d:%s\n" % (directive_id, seq, event_hash.encode()))
            self.count += 1

    def digest(self) -> str:
        return self.h.hexdigest()


def key_id(key: bytes) -> str:
    """A short public name for an audit key (to pick it out of a key ring)."""
    return hashlib.sha256(b"dondoc-audit-key:" + key).hexdigest()[:12]


def sign_checkpoint(key: bytes, body: Mapping[str, Any]) -> str:
    """HMAC-SHA256 of a checkpoint's canonical JSON form."""
    text = json.dumps(dict(body), sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
