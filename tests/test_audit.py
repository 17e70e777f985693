"""Finding 6 of issue 14: the audit catches every edit a database operator can make.

Each test performs the tampering the review did with write access to the database, then checks
that ``verify_audit`` (and ``dondoc audit verify``) reports it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.service.audit import AuditKeyMissing, keys_from_env
from dondoc.service.chain import GENESIS, canonical_json, event_hash, key_id, parse_json

WF = "remediation_self_assessment"
BOARD = Actor.of("thang", "reviewer", "assigner")
PHUONG = Actor.of("phuong", unit="Thanh tra Sở")
KEY = b"k" * 32
RING = {key_id(KEY): KEY}


@pytest.fixture
def engine(db_url: str) -> Engine:
    return Engine(db_url, clock=FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC)))


def _history(engine: Engine, n: int = 3) -> list[int]:
    ids = []
    for i in range(n):
        d = engine.create_directive(
            BOARD,
            WF,
            NewDirective(title=f"Việc {i}", assignee="phuong", due=date(2024, 6, 30)),
        )
        engine.fire(d.id, "start", PHUONG)
        engine.fire(d.id, "report_progress", PHUONG, {"progress": 40, "note": "đang làm"})
        ids.append(d.id)
    return ids


def _sql(engine: Engine, text: str, **params: object) -> None:
    with engine.db.begin() as c:
        c.execute(sa.text(text), params)


def _breaks(engine: Engine) -> str:
    report = engine.verify_audit(keys=RING)
    assert not report.ok
    return "\n".join(report.breaks)


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        ("state", "reviewed", "state"),
        ("assignee", "luyen", "assignee"),
        ("due", date(2030, 12, 31), "due"),
        ("data", '{"progress": 100}', "data"),
        ("progress", 100, "progress"),
    ],
)
def test_a_direct_edit_of_a_directive_row_is_caught(
    engine: Engine, column: str, value: object, named: str
) -> None:
    ids = _history(engine)
    assert engine.verify_audit().ok
    _sql(engine, f"UPDATE directives SET {column} = :v WHERE id = :d", v=value, d=ids[1])
    assert f"nhiệm vụ #{ids[1]}: {named}" in _breaks(engine)


def test_removing_the_last_event_and_rolling_back_the_head_is_caught(engine: Engine) -> None:
    ids = _history(engine)
    did = ids[0]
    with engine.db.connect() as c:
        seq, prev = c.execute(
            sa.text("SELECT seq, prev_hash FROM events WHERE directive_id = :d ORDER BY seq DESC"),
            {"d": did},
        ).first()  # type: ignore[misc]
    _sql(engine, "DELETE FROM events WHERE directive_id = :d AND seq = :s", d=did, s=seq)
    _sql(
        engine,
        "UPDATE directives SET event_seq = :s, event_hash = :h WHERE id = :d",
        s=seq - 1,
        h=prev,
        d=did,
    )
    # the row still says what the removed event did: the replay disagrees
    assert f"nhiệm vụ #{did}: data, progress khác" in _breaks(engine)


def test_a_consistent_rewrite_is_caught_by_the_signed_checkpoint(engine: Engine) -> None:
    ids = _history(engine)
    engine.clock.advance(minutes=10)  # type: ignore[attr-defined]
    cp = engine.audit_checkpoint(key=KEY)
    assert cp.events == 9 and cp.directives == 3
    assert engine.verify_audit(keys=RING).ok
    # the attack: delete a directive with its events (its timers first: foreign keys)
    for table in ("timers", "events", "outbox"):
        _sql(engine, f"DELETE FROM {table} WHERE directive_id = :d", d=ids[2])
    _sql(engine, "DELETE FROM directives WHERE id = :d", d=ids[2])
    assert "sổ cái" in _breaks(engine)


def test_rehashing_history_needs_the_key(engine: Engine) -> None:
    ids = _history(engine, 1)
    engine.clock.advance(minutes=10)  # type: ignore[attr-defined]
    engine.audit_checkpoint(key=KEY)
    did = ids[0]
    # the attack: rewrite the progress report and re-hash the chain from there, head included
    with engine.db.begin() as c:
        rows = c.execute(
            sa.text(
                "SELECT seq, at, actor, role, kind, trigger, from_state, to_state, payload "
                "FROM events WHERE directive_id = :d ORDER BY seq"
            ),
            {"d": did},
        ).all()
        prev = GENESIS
        for seq, at, actor, role, kind, trigger, frm, to, payload in rows:
            payload = payload if isinstance(payload, dict) else __import__("json").loads(payload)
            if kind == "transition" and trigger == "report_progress":
                payload = {**payload, "note": "đã hoàn thành"}  # the forged line
            at = at if isinstance(at, datetime) else datetime.fromisoformat(at)
            h = event_hash(
                prev_hash=prev,
                directive_id=did,
                seq=seq,
                at=at,
                actor=actor,
                role=role,
                kind=kind,
                trigger=trigger,
                from_state=frm,
                to_state=to,
                payload=payload,
            )
            c.execute(
                sa.text(
                    "UPDATE events SET payload = :p, prev_hash = :ph, hash = :h "
                    "WHERE directive_id = :d AND seq = :s"
                ),
                {"p": __import__("json").dumps(payload), "ph": prev, "h": h, "d": did, "s": seq},
            )
            prev = h
        c.execute(
            sa.text("UPDATE directives SET event_hash = :h, data = :data WHERE id = :d"),
            {"h": prev, "d": did, "data": '{"progress": 40, "note": "đã hoàn thành"}'},
        )
    # every chain is self-consistent again, but the ledger no longer matches the checkpoint
    assert "sổ cái" in _breaks(engine)
    # and re-signing the checkpoint without the key does not help
    _sql(engine, "UPDATE audit_checkpoints SET digest = :g", g="0" * 64)
    assert "chữ ký không khớp" in _breaks(engine)


def test_checkpoints_chain_keys_rotate_and_a_missing_key_is_reported(engine: Engine) -> None:
    _history(engine, 1)
    engine.clock.advance(minutes=10)  # type: ignore[attr-defined]
    with pytest.raises(AuditKeyMissing):
        engine.audit_checkpoint(key=b"")
    old, new = b"old-key-" * 4, b"new-key-" * 4
    engine.audit_checkpoint(key=old)
    _history(engine, 1)
    engine.clock.advance(minutes=10)  # type: ignore[attr-defined]
    engine.audit_checkpoint(key=new)
    env = {"DONDOC_AUDIT_KEY": new.decode(), "DONDOC_AUDIT_OLD_KEYS": old.decode()}
    current, ring = keys_from_env(env)
    assert current == new and set(ring) == {key_id(old), key_id(new)}
    assert engine.verify_audit(keys=ring).ok
    # the old key dropped from the ring: its checkpoint can no longer be verified
    report = engine.verify_audit(keys={key_id(new): new})
    assert not report.ok and "không có trong bộ khóa" in report.breaks[0]
    # removing a checkpoint breaks their chain
    _sql(engine, "DELETE FROM audit_checkpoints WHERE id = 1")
    assert "không nối tiếp mốc trước" in "\n".join(engine.verify_audit(keys=ring).breaks)


def test_verify_streams_with_a_fixed_number_of_queries(tmp_path: Path) -> None:
    counts = []
    for n in (2, 12):
        engine = Engine(
            f"sqlite:///{tmp_path / f'{n}.db'}",
            clock=FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC)),
        )
        _history(engine, n)
        seen: list[str] = []
        sa.event.listen(
            engine.db,
            "before_cursor_execute",
            lambda *a, seen=seen: seen.append(a[2]),
        )
        report = engine.verify_audit(batch=5)  # batches smaller than the data
        assert report.ok and report.directives_checked == n and report.events_checked == 3 * n
        counts.append(len([s for s in seen if s.lstrip().upper().startswith("SELECT")]))
        engine.db.dispose()
    assert counts[0] == counts[1]  # no query per directive


def test_cli_verify_incremental_and_checkpoint(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = Engine(db, clock=FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC)))
    ids = _history(engine, 2)
    engine.db.dispose()

    def run(*args: str, key: str = "") -> subprocess.CompletedProcess[str]:
        env = {"DONDOC_AUDIT_KEY": key, "PATH": "/usr/bin:/bin"}
        return subprocess.run(
            [sys.executable, "-m", "dondoc.cli", "audit", *args, "--db", db],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    assert run("checkpoint").returncode != 0  # no key: one line, no traceback
    assert "Traceback" not in run("checkpoint").stderr
    r = run("checkpoint", key="s3cret")
    assert r.returncode == 0 and "checkpoint #1" in r.stdout
    engine = Engine(db)
    _sql(engine, "UPDATE directives SET assignee = 'x' WHERE id = :d", d=ids[1])
    engine.db.dispose()
    r = run("verify", "--directive", str(ids[0]))
    assert r.returncode == 0 and "đã kiểm tra 1 nhiệm vụ" in r.stdout
    r = run("verify", "--directive", str(ids[1]))
    assert r.returncode == 1 and f"nhiệm vụ #{ids[1]}: assignee" in r.stdout
    r = run("verify", "--since", (date(2024, 3, 18) - timedelta(days=1)).isoformat())
    assert r.returncode == 1 and "đã kiểm tra 2 nhiệm vụ" in r.stdout
    r = run("verify", "--since", "2030-01-01")
    assert r.returncode == 0 and "đã kiểm tra 0 nhiệm vụ" in r.stdout


# --- the spelling every hash is taken over (chain.canonical_json, chain.parse_json) ----------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.dates()
    | st.datetimes(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON)
def test_canonical_json_spells_exactly_what_json_dumps_spells(value: object) -> None:
    """Changing this spelling would break every stored hash: it must stay json.dumps's,
    dates and other values through ``str`` included."""
    expected = json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )
    assert canonical_json(value) == expected


@given(_JSON)
def test_parse_json_reads_what_json_loads_reads(value: object) -> None:
    for text in (json.dumps(value, default=str), canonical_json(value)):
        assert parse_json(text) == json.loads(text)
        assert parse_json(text.encode()) == json.loads(text)


@pytest.mark.parametrize("text", ["", " {}", "{} ", "{}x", "{", "nul", '"\\ud800"', "[1,]"])
def test_parse_json_refuses_or_reads_as_json_loads_does(text: str) -> None:
    try:
        expected: object = json.loads(text)
    except ValueError as exc:
        with pytest.raises(type(exc)):
            parse_json(text)
    else:
        assert parse_json(text) == expected
