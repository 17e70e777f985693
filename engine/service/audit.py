"""Audit verification, in one streaming pass, and signed checkpoints of the ledger.

``verify_audit`` reads the directives (by id) and the events (by directive, seq) as two ordered
streams in batches and walks them together, so memory stays flat and there is no query per
directive. For each directive it recomputes the hash chain, replays the events into the row
they must produce (:class:`~dondoc.service.chain.Replay`) and compares the stored row and its
chain head; events whose directive is gone are reported. Over everything it feeds the ledger
digest of the latest checkpoint (:class:`~dondoc.service.chain.Ledger`) and checks the
checkpoints' signatures with the audit key ring.

Keys: ``DONDOC_AUDIT_KEY`` signs new checkpoints; ``DONDOC_AUDIT_OLD_KEYS`` (comma-separated)
still verifies the older ones after a rotation. Keys live outside the database.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Any

import sqlalchemy as sa

from ..core.records import AuditReport
from ..errors import DondocError
from ..store.statements import FIELDS
from ..store.tables import AuditCheckpointRow, DirectiveRow, EventRow, LetterRow
from .base import EngineBase
from .chain import (
    GENESIS,
    Effect,
    Ledger,
    Replay,
    canonical_json,
    canonical_time,
    key_id,
    parse_json,
    sign_checkpoint,
)

#: Events committed later than this behind their own timestamp are not expected: a checkpoint
#: covers events up to ``now - CHECKPOINT_LAG`` so a transaction still running is never half in.
CHECKPOINT_LAG = timedelta(minutes=5)
_EVENT_COLUMNS = (
    "directive_id",
    "seq",
    "at",
    "actor",
    "role",
    "kind",
    "trigger",
    "from_state",
    "to_state",
    "payload",
    "prev_hash",
    "hash",
)


class AuditKeyMissing(DondocError):
    code = "audit_key_missing"


@dataclass(frozen=True)
class Checkpoint:
    """A signed checkpoint (see :class:`~dondoc.store.tables.AuditCheckpointRow`)."""

    id: int
    made_at: datetime
    cutoff: datetime
    directives: int
    events: int
    digest: str
    key_id: str
    mac: str

    def __str__(self) -> str:
        return (
            f"checkpoint #{self.id} up to {canonical_time(self.cutoff)}: {self.directives} "
            f"directives, {self.events} events, ledger {self.digest}, key {self.key_id}, "
            f"signature {self.mac}"
        )


def keys_from_env(env: Mapping[str, str] | None = None) -> tuple[bytes | None, dict[str, bytes]]:
    """(the signing key, every key by id) from DONDOC_AUDIT_KEY and DONDOC_AUDIT_OLD_KEYS."""
    env = os.environ if env is None else env
    current = env.get("DONDOC_AUDIT_KEY", "").encode() or None
    ring = [k.strip().encode() for k in env.get("DONDOC_AUDIT_OLD_KEYS", "").split(",")]
    keys = {key_id(k): k for k in [*ring, *([current] if current else [])] if k}
    return current, keys


def _body(values: Mapping[str, Any]) -> dict[str, Any]:
    """What a checkpoint's signature covers."""
    return {
        "cutoff": canonical_time(values["cutoff"]),
        "directives": values["directives"],
        "events": values["events"],
        "digest": values["digest"],
        "prev_mac": values["prev_mac"],
        "key_id": values["key_id"],
    }


class Audit(EngineBase):
    """Verification of the audit trail, and its signed checkpoints."""

    def _letter_problems(self, ids: list[int] | None) -> list[str]:
        """Letters kept (table ``letters``) whose files are not those their event recorded."""
        lt: sa.Table = LetterRow.__table__  # type: ignore[assignment]
        e: sa.Table = EventRow.__table__  # type: ignore[assignment]
        stmt = (
            sa.select(lt.c.id, lt.c.directive_id, lt.c.docx, lt.c.pdf, e.c.payload)
            .select_from(
                lt.outerjoin(
                    e, sa.and_(e.c.directive_id == lt.c.directive_id, e.c.seq == lt.c.event_seq)
                )
            )
            .order_by(lt.c.id)
        )
        if ids is not None:
            stmt = stmt.where(lt.c.directive_id.in_(ids))
        out = []
        with self._tx() as repo:
            for lid, did, docx, pdf, payload in repo.s.execute(stmt):
                recorded = payload or {}
                kept = {
                    "sha256": hashlib.sha256(docx).hexdigest(),
                    "pdf_sha256": hashlib.sha256(pdf).hexdigest() if pdf is not None else None,
                }
                if recorded.get("letter") != lid or any(
                    recorded.get(k) != v for k, v in kept.items()
                ):
                    out.append(
                        f"nhiệm vụ #{did}: công văn #{lid} đã lưu không phải tệp mà sự kiện của nó ghi "
                        "nhận (tệp bị thay ngoài dondoc)"
                    )
        return out

    def verify_audit(
        self,
        directive_ids: Iterable[int] | None = None,
        *,
        since: datetime | None = None,
        keys: Mapping[str, bytes] | None = None,
        batch: int = 5000,
    ) -> AuditReport:
        """Verify every directive (or those given, or those changed since ``since``): hash
        chains, rows against their replayed chains, chain heads; with neither filter, also the
        ledger against the latest signed checkpoint (``keys``: by key id, default from the
        environment). One streaming pass; memory does not grow with the database."""
        ids = None if directive_ids is None else sorted(set(directive_ids))
        full = ids is None and since is None
        keys = keys if keys is not None else keys_from_env()[1]
        breaks: list[str] = []
        n_directives = n_events = 0
        effects = self._effects()
        d_table: sa.Table = DirectiveRow.__table__  # type: ignore[assignment]
        d_cols = [d_table.c[name] for name in FIELDS]
        e: sa.Table = EventRow.__table__  # type: ignore[assignment]
        with _gc_paused(), self.db.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                checkpoints: list[Mapping[str, Any]] = [
                    dict(m)
                    for m in conn.execute(
                        sa.select(AuditCheckpointRow.__table__).order_by(AuditCheckpointRow.id)
                    ).mappings()
                ]
                ledger = None
                if full:
                    breaks.extend(_check_signatures(checkpoints, keys))
                    if checkpoints:
                        ledger = Ledger(canonical_time(checkpoints[-1]["cutoff"]))
                # Untyped columns (sa.column): rows come as the driver gives them, converted
                # here only as far as the checks need (SQLAlchemy's per-value processing was
                # most of the time of a pass).
                d_query: Any = sa.select(*(sa.column(c.name) for c in d_cols)).select_from(d_table)
                e_query: Any = sa.select(*(sa.column(n) for n in _EVENT_COLUMNS)).select_from(e)
                if ids is not None:
                    d_query = d_query.where(d_table.c.id.in_(ids))
                    e_query = e_query.where(e.c.directive_id.in_(ids))
                elif since is not None:
                    changed = sa.select(d_table.c.id).where(d_table.c.updated_at >= since)
                    d_query = d_query.where(d_table.c.updated_at >= since)
                    e_query = e_query.where(e.c.directive_id.in_(changed))
                directives = _stream(conn, d_query.order_by(d_table.c.id), batch)
                events = _stream(conn, e_query.order_by(e.c.directive_id, e.c.seq), batch)
                for did, row, chain in _merge(directives, events):
                    n_directives += 1
                    n_events += _verify_one(did, row, chain, effects, ledger, breaks)
                if ledger is not None:
                    last = checkpoints[-1]
                    if (ledger.digest(), ledger.count) != (last["digest"], last["events"]):
                        breaks.append(
                            f"sổ cái: các sự kiện đến {canonical_time(last['cutoff'])} không còn là "
                            f"của mốc kiểm tra #{last['id']} (nay {ledger.count} sự kiện, lúc đó "
                            f"{last['events']}): nhiệm vụ hoặc sự kiện đã bị xóa, thêm hoặc viết lại"
                        )
        if ids is not None:
            n_directives = max(n_directives, len(ids))
        if full:  # the administrators' log (published workflows, scheduled reports)
            from .publishing import admin_chain_problems, read_admin_events

            with self._tx() as repo:
                breaks.extend(admin_chain_problems(read_admin_events(repo.s)))
        breaks.extend(self._letter_problems(ids))
        return AuditReport(n_directives, n_events, tuple(breaks))

    def audit_checkpoint(
        self, *, key: bytes | None = None, cutoff: datetime | None = None
    ) -> Checkpoint:
        """Sign the ledger of every event up to ``cutoff`` (default: the clock's now minus
        :data:`CHECKPOINT_LAG`) with ``key`` (default DONDOC_AUDIT_KEY). Raises
        :class:`AuditKeyMissing` without a key."""
        key = key if key is not None else keys_from_env()[0]
        if not key:
            raise AuditKeyMissing(
                "set DONDOC_AUDIT_KEY (a secret kept outside the database) to sign checkpoints"
            )
        now = self.clock.now()
        cutoff = cutoff if cutoff is not None else now - CHECKPOINT_LAG
        ledger = Ledger(canonical_time(cutoff))
        e: sa.Table = EventRow.__table__  # type: ignore[assignment]
        directives: set[int] = set()
        with self.db.connect() as conn, conn.begin():
            rows = _stream(
                conn,
                sa.select(e.c.directive_id, e.c.seq, e.c.at, e.c.hash)
                .where(e.c.at <= cutoff)
                .order_by(e.c.directive_id, e.c.seq),
                5000,
            )
            for did, seq, at, h in rows:
                ledger.add(did, seq, canonical_time(at), h)
                directives.add(did)
        with self._tx() as repo:
            prev = repo.s.scalars(
                sa.select(AuditCheckpointRow).order_by(AuditCheckpointRow.id.desc()).limit(1)
            ).first()
            values = {
                "cutoff": cutoff,
                "directives": len(directives),
                "events": ledger.count,
                "digest": ledger.digest(),
                "prev_mac": prev.mac if prev is not None else GENESIS,
                "key_id": key_id(key),
            }
            row = AuditCheckpointRow(made_at=now, mac=sign_checkpoint(key, _body(values)), **values)
            repo.s.add(row)
            repo.s.flush()
            return Checkpoint(
                row.id,
                row.made_at,
                row.cutoff,
                row.directives,
                row.events,
                row.digest,
                row.key_id,
                row.mac,
            )

    def _effects(self) -> Any:
        cache: dict[tuple[str, int, str, str], Effect | None] = {}

        def effects(workflow: str, version: int, trigger: str, source: str) -> Effect | None:
            key = (workflow, version, trigger, source)
            if key not in cache:
                with self._cmd() as sql:
                    spec = self._compiled(sql, workflow, version).spec
                t = spec.transition(trigger, source)
                if t is None:
                    cache[key] = None
                else:
                    dest = spec.state(t.dest)
                    done = dest.done or (dest.final and dest.outcome == "completed")
                    cache[key] = Effect(t.extend_due, t.progress, dest.final, done)
            return cache[key]

        return effects


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a verification pass. The pass makes no reference
    cycles (every row, chain and replay is freed by reference counting as the stream moves
    on, so memory stays flat), but it allocates millions of small objects, each 700 of which
    set off a collection that walks the whole heap: 15% of the time of a pass."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _stream(conn: sa.Connection, query: sa.Select[Any], batch: int) -> Iterator[Sequence[Any]]:
    """The rows of ``query`` in batches (a server-side cursor where the driver has one)."""
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
    for part in result.partitions(batch):
        yield from part


_EMPTY: dict[str, Any] = {}
_EMPTY_TEXT = ("{}", "null", b"{}", b"null")
_INSTANTS = ("created_at", "updated_at", "closed_at", "done_at")
_JSON = ("data", "cooperating_units")


def _instant(value: Any) -> Any:
    """An instant as the driver returns it, in the chain's canonical spelling."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff', UTC
        if len(value) == 26 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}Z"
        value = datetime.fromisoformat(value)
    return canonical_time(value)


def _directive_row(raw: Sequence[Any]) -> dict[str, Any]:
    """A directive's columns as the driver returns them → the values its events record."""
    row = dict(zip(FIELDS, raw, strict=True))
    for name in _INSTANTS:
        row[name] = _instant(row[name])
    for name in _JSON:
        value = row[name]
        if isinstance(value, str | bytes):
            row[name] = {} if value == "{}" else [] if value == "[]" else parse_json(value)
    return row


def _merge(
    directives: Iterator[Sequence[Any]], events: Iterator[Sequence[Any]]
) -> Iterator[tuple[int, dict[str, Any] | None, list[Sequence[Any]]]]:
    """(directive id, its row or None, its events) for every id in either stream, in order."""
    d = next(directives, None)
    ev = next(events, None)
    while d is not None or ev is not None:
        did = min(x for x in (d[0] if d else None, ev[0] if ev else None) if x is not None)
        row = None
        if d is not None and d[0] == did:
            row = _directive_row(d)
            d = next(directives, None)
        chain = []
        while ev is not None and ev[0] == did:
            chain.append(ev)
            ev = next(events, None)
        yield did, row, chain


def _verify_one(
    did: int,
    row: dict[str, Any] | None,
    chain: list[Sequence[Any]],
    effects: Any,
    ledger: Ledger | None,
    breaks: list[str],
) -> int:
    if row is None:
        breaks.append(f"nhiệm vụ #{did}: còn sự kiện nhưng nhiệm vụ đã bị xóa")
    replay = Replay(effects, row)
    prev, expected_seq, broken = GENESIS, 1, False
    for raw in chain:
        _, seq, at, actor, role, kind, trigger, from_state, to_state, payload, prev_hash, h = raw
        if isinstance(payload, str | bytes):
            payload = _EMPTY if payload in _EMPTY_TEXT else parse_json(payload)
        if seq != expected_seq:
            breaks.append(f"nhiệm vụ #{did}, sự kiện #{seq}: lẽ ra phải là sự kiện #{expected_seq}")
            broken = True
        if prev_hash != prev:
            breaks.append(f"nhiệm vụ #{did}, sự kiện #{seq}: không nối với sự kiện trước")
            broken = True
        if type(at) is str and len(at) == 26 and at[10] == " ":  # SQLite's spelling (_instant)
            at_text = f"{at[:10]}T{at[11:]}Z"
        else:
            at_text = _instant(at)
        body = [prev_hash, did, seq, at_text, actor, role, kind, trigger, from_state, to_state]
        body.append(payload if type(payload) is dict else dict(payload or {}))
        if sha256(canonical_json(body).encode()).hexdigest() != h:  # chain.hash_body, inlined
            breaks.append(f"nhiệm vụ #{did}, sự kiện #{seq}: nội dung không khớp với mã băm")
            broken = True
        if ledger is not None:
            ledger.add(did, seq, at_text, h)
        replay.step(seq, at_text, kind, trigger, from_state, to_state, payload)
        prev, expected_seq = h, seq + 1
    if row is None:
        return len(chain)
    last_seq, last_hash = (chain[-1][1], chain[-1][11]) if chain else (0, "")
    if (row["event_seq"], row["event_hash"]) != (last_seq, last_hash):
        breaks.append(
            f"nhiệm vụ #{did}: đầu chuỗi là sự kiện #{row['event_seq']} nhưng nhật ký dừng ở "
            f"#{last_seq} (sự kiện bị xóa hoặc thêm ngoài dondoc)"
        )
    elif replay.problem is not None:
        breaks.append(f"nhiệm vụ #{did}: {replay.problem}")
    elif not broken and chain:
        changed = replay.differences(row)
        if changed:
            breaks.append(
                f"nhiệm vụ #{did}: {', '.join(changed)} khác với kết quả các sự kiện của nó "
                "(dữ liệu bị sửa ngoài dondoc)"
            )
    return len(chain)


def _check_signatures(
    checkpoints: Sequence[Mapping[str, Any]], keys: Mapping[str, bytes]
) -> Iterator[str]:
    prev = GENESIS
    for cp in checkpoints:
        key = keys.get(cp["key_id"])
        if key is None:
            yield (
                f"mốc kiểm tra #{cp['id']}: ký bằng khóa {cp['key_id']}, không có trong bộ khóa "
                "(DONDOC_AUDIT_KEY, DONDOC_AUDIT_OLD_KEYS); không kiểm tra được"
            )
        elif not hmac.compare_digest(sign_checkpoint(key, _body(cp)), cp["mac"]):
            yield f"mốc kiểm tra #{cp['id']}: chữ ký không khớp (giả mạo hoặc bị sửa)"
        if cp["prev_mac"] != prev:
            yield f"mốc kiểm tra #{cp['id']}: không nối tiếp mốc trước (có mốc bị xóa?)"
        prev = cp["mac"]
