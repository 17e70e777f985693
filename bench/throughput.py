"""Benchmark: commands through the Engine against the same statements issued by hand.

Not a test: prints a table. ``python bench/throughput.py [--n 500] [--pg URL]``
(``--pg`` defaults to ``DONDOC_TEST_PG_URL``; without it only SQLite is measured).

Per directive: create + 3 transitions (start, report_progress, submit_self_assessment) of the
bundled ``remediation_self_assessment`` workflow, each command one transaction with its audit
event and its timers — the Engine's own path. The baseline issues the same SQL with the raw
driver (sqlite3 / psycopg): insert the directive, its hash-chained event and timers; for each
transition read the directive and last event, version-checked UPDATE, insert the event, cancel
and insert timers; commit. The ratio is Engine time / baseline time (goal: ≤ 2).

With PostgreSQL it also measures 4 worker processes firing due timers (timers/s).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import drop_everything
from test_scale_pg import seed_due_timers, start_worker

from dondoc import Actor, Engine, FakeClock, NewDirective, load_workflows
from dondoc.service.chain import GENESIS, event_hash

#: The bundled workflow's current version (the baseline writes its rows by hand).
WF_VERSION = load_workflows().get("remediation_self_assessment").spec.version

NOW = datetime(2024, 3, 18, 2, tzinfo=UTC)
BOARD = Actor.of("thang", "reviewer")
LEADER = Actor.of("phuong")
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("start", {}),
    ("report_progress", {"progress": 60}),
    ("submit_self_assessment", {"report": "Đã khắc phục", "shortcomings_fixed": True}),
]


HOOKS = False  # --hooks: a no-op after-commit hook registered (the recording path)


def engine_run(url: str, n: int) -> float:
    engine = Engine(url, clock=FakeClock(NOW))
    if HOOKS:
        engine.on("*", lambda _event: None)
    start = time.perf_counter()
    for i in range(n):
        d = engine.create_directive(
            BOARD,
            "remediation_self_assessment",
            NewDirective(
                title=f"Tự đánh giá {i}",
                assignee="phuong",
                reviewer="thang",
                lead_unit="Thanh tra Sở",
                due=date(2024, 6, 30),
                due_text="Trước ngày 01/07/2024",
            ),
        )
        for trigger, payload in STEPS:
            engine.fire(d.id, trigger, LEADER, payload)
    took = time.perf_counter() - start
    engine.db.dispose()
    return took


# --- the baseline: the same statements by hand ------------------------------------------------


class Raw:
    """Minimal DB-API adaptor: sqlite3 uses ?, psycopg %s."""

    def __init__(self, conn: Any, paramstyle: str) -> None:
        self.conn = conn
        self.q = "?" if paramstyle == "qmark" else "%s"

    def sql(self, text: str) -> str:
        return text.replace("?", self.q)

    def one(self, text: str, params: tuple[Any, ...]) -> Any:
        cur = self.conn.cursor()
        cur.execute(self.sql(text), params)
        return cur.fetchone()

    def run(self, text: str, params: tuple[Any, ...]) -> int:
        cur = self.conn.cursor()
        cur.execute(self.sql(text), params)
        return int(cur.rowcount)


def _ts(d: datetime) -> Any:
    return d.replace(tzinfo=None)


def raw_event(
    did: int,
    seq: int,
    prev: str,
    kind: str,
    trigger: str | None,
    frm: str | None,
    to: str,
    payload: dict[str, Any],
) -> tuple[Any, ...]:
    """An audit event's row, hash-chained to ``prev`` (its hash is the row's last value)."""
    h = event_hash(
        prev_hash=prev,
        directive_id=did,
        seq=seq,
        at=NOW,
        actor="phuong",
        role="assignee",
        kind=kind,
        trigger=trigger,
        from_state=frm,
        to_state=to,
        payload=payload,
    )
    return (
        did,
        seq,
        _ts(NOW),
        "phuong",
        "assignee",
        kind,
        trigger,
        frm,
        to,
        json.dumps(payload),
        prev,
        h,
    )


def insert_event(db: Raw, row: tuple[Any, ...]) -> None:
    db.run(
        "INSERT INTO events (directive_id, seq, at, actor, role, kind, trigger, from_state,"
        " to_state, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        row,
    )


DIRECTIVE_COLUMNS = (
    "workflow, workflow_version, title, content, state, is_open, progress, lead_unit,"
    " cooperating_units, assignee, assigner, reviewer, due, due_text, original_due, start,"
    " recurrence, doc_number, doc_date, doc_issuer, parent_id, series_id, period_key, data,"
    " created_at, updated_at, closed_at, done_at, event_seq, event_hash, version"
)
TIMER_INSERT = (
    "INSERT INTO timers (directive_id, timer, state, due_at, repeat_index, status, created_at,"
    " attempts) VALUES (?,?,?,?,?,?,?,?)"
)


def raw_timers(db: Raw, did: int, state: str) -> None:
    rows = [
        (did, timer, state, _ts(NOW + timedelta(days=90)), 1, "pending", _ts(NOW), 0)
        for timer in ("remind_before_due", "overdue_at_due")
    ]
    db.conn.cursor().executemany(db.sql(TIMER_INSERT), rows)


def raw_run(db: Raw, n: int) -> float:
    """The Engine's statements, by hand: per create INSERT directive (RETURNING id), INSERT
    event, UPDATE chain head, INSERT timers (one executemany); per transition SELECT the
    directive, version-checked UPDATE, INSERT event and, when the state changes, cancel and
    INSERT timers; one commit per command."""
    start = time.perf_counter()
    states = ["assigned", "in_progress", "in_progress", "self_assessment_submitted"]
    for i in range(n):
        title = f"Tự đánh giá {i}"
        row = db.one(
            f"INSERT INTO directives ({DIRECTIVE_COLUMNS}) VALUES ({','.join('?' * 31)})"
            " RETURNING id",
            (
                "remediation_self_assessment",
                WF_VERSION,
                title,
                "",
                "assigned",
                True,
                0,
                "Thanh tra Sở",
                "[]",
                "phuong",
                "thang",
                "thang",
                date(2024, 6, 30),
                "Trước ngày 01/07/2024",
                date(2024, 6, 30),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "{}",
                _ts(NOW),
                _ts(NOW),
                None,
                None,
                0,
                "",
                1,
            ),
        )
        did = row[0]
        created = raw_event(did, 1, GENESIS, "created", None, None, "assigned", {"title": title})
        insert_event(db, created)
        db.run(
            "UPDATE directives SET event_seq = ?, event_hash = ? WHERE id = ?",
            (1, created[-1], did),
        )
        raw_timers(db, did, "assigned")
        db.conn.commit()
        for step, (trigger, payload) in enumerate(STEPS, start=1):
            cur = db.one(
                f"SELECT id, {DIRECTIVE_COLUMNS} FROM directives WHERE id = ?",
                (did,),
            )
            seq, prev, version = cur[-3], cur[-2], cur[-1]
            event = raw_event(
                did,
                seq + 1,
                prev,
                "transition",
                trigger,
                states[step - 1],
                states[step],
                payload,
            )
            changed = db.run(
                "UPDATE directives SET state = ?, is_open = ?, progress = ?, due = ?,"
                " original_due = ?, data = ?, updated_at = ?, closed_at = ?, done_at = ?,"
                " event_seq = ?, event_hash = ?, version = ? WHERE id = ? AND version = ?",
                (
                    states[step],
                    True,
                    10 * step,
                    date(2024, 6, 30),
                    date(2024, 6, 30),
                    json.dumps(payload),
                    _ts(NOW),
                    None,
                    None,
                    seq + 1,
                    event[-1],
                    version + 1,
                    did,
                    version,
                ),
            )
            assert changed == 1
            insert_event(db, event)
            if states[step] != states[step - 1]:
                db.run(
                    "UPDATE timers SET status = 'cancelled' WHERE directive_id = ? AND status = 'pending'",
                    (did,),
                )
                if states[step] == "in_progress":
                    raw_timers(db, did, states[step])
            db.conn.commit()
    return time.perf_counter() - start


COUNTS = (
    "SELECT (SELECT count(*) FROM directives), (SELECT count(*) FROM events),"
    " (SELECT count(*) FROM timers WHERE status = 'pending'), (SELECT count(*) FROM timers)"
)


def table_counts(url: str) -> tuple[int, ...]:
    """Rows written: directives, events, pending timers, all timers."""
    db = sa.create_engine(url)
    with db.connect() as conn:
        counts = tuple(conn.execute(sa.text(COUNTS)).one())
    db.dispose()
    return counts


def check_same_work(engine_counts: tuple[int, ...], raw: Raw) -> None:
    """The baseline must have written what the Engine wrote: the same rows in every table."""
    raw_counts = tuple(raw.one(COUNTS, ()))
    assert engine_counts == raw_counts, f"Engine wrote {engine_counts}, baseline {raw_counts}"


def fresh_schema(url: str) -> None:
    engine = sa.create_engine(url)
    drop_everything(engine)  # the same reset as the PostgreSQL tests
    engine.dispose()
    Engine(url).db.dispose()  # schema + workflow versions


def sqlite_case(n: int, tmp: Path) -> tuple[float, float]:
    e_url = f"sqlite:///{tmp / 'engine.db'}"
    t_engine = engine_run(e_url, n)
    raw_path = tmp / "raw.db"
    Engine(f"sqlite:///{raw_path}").db.dispose()
    conn = sqlite3.connect(raw_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    raw = Raw(conn, "qmark")
    t_raw = raw_run(raw, n)
    check_same_work(table_counts(e_url), raw)
    conn.close()
    return t_engine, t_raw


def pg_case(n: int, url: str) -> tuple[float, float]:
    import psycopg

    fresh_schema(url)
    t_engine = engine_run(url, n)
    engine_counts = table_counts(url)
    fresh_schema(url)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        raw = Raw(conn, "format")
        t_raw = raw_run(raw, n)
        check_same_work(engine_counts, raw)
    fresh_schema(url)
    return t_engine, t_raw


def pg_workers(url: str, n: int) -> float:

    fresh_schema(url)
    engine = seed_due_timers(url, n)
    engine.db.dispose()
    start = time.perf_counter()
    workers = [start_worker(url, f"b{i}") for i in range(4)]  # the same launcher as the tests
    for w in workers:
        w.wait(timeout=3600)
    took = time.perf_counter() - start
    fresh_schema(url)
    return n / took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500, help="directives (× 4 commands)")
    ap.add_argument(
        "--repeat", type=int, default=3, help="rounds (Engine then baseline); medians reported"
    )
    ap.add_argument(
        "--pg",
        default=os.environ.get("DONDOC_TEST_PG_URL"),
        help="PostgreSQL URL (a throw-away database)",
    )
    ap.add_argument("--timers", type=int, default=20_000, help="due timers for the 4-worker run")
    ap.add_argument(
        "--hooks",
        action="store_true",
        help="register a no-op after-commit hook on the Engine (what hooks cost a command)",
    )
    args = ap.parse_args()
    global HOOKS
    HOOKS = args.hooks
    commands = 4 * args.n
    rounds: dict[str, list[tuple[float, float]]] = {"SQLite": []}
    if args.pg:
        rounds["PostgreSQL"] = []
    for r in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            rounds["SQLite"].append(sqlite_case(args.n, Path(tmp)))
        if args.pg:
            rounds["PostgreSQL"].append(pg_case(args.n, args.pg))
        print(f"round {r + 1}/{args.repeat} done", file=sys.stderr)
    print(
        f"{'database':<12} {'Engine cmd/s':>14} {'raw driver cmd/s':>18}"
        f" {'ratio (Engine/raw time)':>25} {'ratio range':>14}"
    )
    for name, times in rounds.items():
        ratios = [te / tr for te, tr in times]
        engine_rate = commands / statistics.median(te for te, _ in times)
        raw_rate = commands / statistics.median(tr for _, tr in times)
        spread = f"{min(ratios):.2f}–{max(ratios):.2f}"
        print(
            f"{name:<12} {engine_rate:>14,.0f} {raw_rate:>18,.0f}"
            f" {statistics.median(ratios):>24.2f}× {spread:>14}"
        )
    print(
        f"({args.n} directives × (create + 3 transitions) = {commands} commands, one transaction"
        f" each; medians of {args.repeat} rounds; goal: ratio ≤ 2)"
    )
    if args.pg:
        rate = pg_workers(args.pg, args.timers)
        print(
            f"\n4 worker processes on PostgreSQL: {rate:,.0f} timers fired/s ({args.timers:,} due timers)"
        )


if __name__ == "__main__":
    main()
