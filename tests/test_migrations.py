"""Alembic owns the schema: upgrade from nothing equals the models; old schemas are refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dondoc import Engine
from dondoc.errors import SchemaError
from dondoc.store.schema import _config, current_revision, head_revision, upgrade
from dondoc.store.tables import DIALECT_ONLY, Base


def test_migrations_from_empty_match_the_models(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_name": _ours}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert diff == []
    Engine(db_url).db.dispose()  # a migrated database is accepted as it is
    engine.dispose()


def _ours(name: str | None, kind: str, parents: object) -> bool:
    """What the models describe (the dialects' own objects are made by statements, both
    ways: see the next test)."""
    return name not in DIALECT_ONLY


def _place_statistics(engine: sa.Engine) -> list[str]:
    """The PostgreSQL-only objects that exist (statistics, then the GIN index)."""
    with engine.connect() as conn:
        return list(
            conn.exec_driver_sql(
                "SELECT stxname FROM pg_statistic_ext WHERE stxname = 'st_directives_place' "
                "UNION ALL SELECT indexname FROM pg_indexes "
                "WHERE indexname = 'ix_directives_cooperating'"
            ).scalars()
        )


def test_postgresql_knows_places_both_ways_a_database_is_made(db_url: str) -> None:
    """The planner statistics over (workflow, version, state): by the migrations, and by the
    one-step creation of a new database (which the drift test cannot see)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("extended planner statistics are PostgreSQL's; SQLite has none to make")
    engine = sa.create_engine(db_url)
    upgrade(engine)
    assert _place_statistics(engine) == ["st_directives_place", "ix_directives_cooperating"]
    with engine.begin() as conn:  # the downgrade drops them
        command.downgrade(_config(conn), "0012")
    assert _place_statistics(engine) == []
    engine.dispose()


def test_new_database_is_created_and_stamped(db_url: str) -> None:
    Engine(db_url).db.dispose()
    engine = sa.create_engine(db_url)
    assert current_revision(engine) == head_revision()
    if db_url.startswith("postgresql"):
        assert _place_statistics(engine) == ["st_directives_place", "ix_directives_cooperating"]
    engine.dispose()


def test_a_database_at_another_revision_is_refused_with_the_command_to_run(db_url: str) -> None:
    Engine(db_url).db.dispose()
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(SchemaError, match="run: dondoc db upgrade --db URL"):
        Engine(db_url)
    engine.dispose()


def test_empty_database_without_create_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SchemaError, match="no dondoc schema"):
        Engine(f"sqlite:///{tmp_path / 'e.db'}", create=False)


def test_db_commands(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'c.db'}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dondoc.cli", "db", *args, "--db", url],
            capture_output=True,
            text=True,
        )

    assert run("current").returncode == 1
    r = run("upgrade")
    assert r.returncode == 0 and f"phiên bản lược đồ {head_revision()}" in r.stdout
    assert run("current").returncode == 0


def test_upgrade_from_0001_backfills_the_chain_head(db_url: str) -> None:
    """A database at the first revision with a directive and its trail upgrades to head with
    the chain head filled in, and the engine keeps extending the same chain."""
    from datetime import UTC, date, datetime

    from dondoc import Actor
    from dondoc.service.chain import GENESIS, event_hash

    engine = sa.create_engine(db_url)
    upgrade(engine, "0001")
    at = datetime(2024, 3, 18, 2, tzinfo=UTC)
    naive = at.replace(tzinfo=None)
    with engine.begin() as c:
        from dondoc import load_workflows
        from dondoc.service.base import _spec_digest

        compiled = load_workflows().get("remediation_self_assessment")
        c.execute(
            sa.text(
                "INSERT INTO workflow_versions (workflow, version, title, digest, source, path, registered_at) "
                "VALUES ('remediation_self_assessment', :v, 't', :dg, :src, 'p', :at)"
            ),
            {
                "at": naive,
                "v": compiled.spec.version,
                "dg": _spec_digest(compiled),
                "src": compiled.loaded.text,
            },
        )
        did = c.execute(
            sa.text(
                "INSERT INTO directives (workflow, workflow_version, title, content, state, is_open, progress, "
                "cooperating_units, assignee, assigner, data, created_at, updated_at, version, due) VALUES "
                "('remediation_self_assessment', :v, 'cũ', '', 'in_progress', true, 10, '[]', 'phuong', 'thang', "
                "'{}', :at, :at, 2, :due) RETURNING id"
            ),
            {"at": naive, "due": date(2024, 6, 30), "v": compiled.spec.version},
        ).scalar_one()
        prev = GENESIS
        for seq, (kind, trig, frm, to) in enumerate(
            [
                ("created", None, None, "assigned"),
                ("transition", "start", "assigned", "in_progress"),
            ],
            1,
        ):
            h = event_hash(
                prev_hash=prev,
                directive_id=did,
                seq=seq,
                at=at,
                actor="phuong",
                role=None,
                kind=kind,
                trigger=trig,
                from_state=frm,
                to_state=to,
                payload={},
            )
            c.execute(
                sa.text(
                    "INSERT INTO events (directive_id, seq, at, actor, role, kind, trigger, from_state, to_state, payload, prev_hash, hash) "
                    "VALUES (:d, :s, :at, 'phuong', NULL, :k, :t, :f, :to, '{}', :p, :h)"
                ),
                {
                    "d": did,
                    "s": seq,
                    "at": naive,
                    "k": kind,
                    "t": trig,
                    "f": frm,
                    "to": to,
                    "p": prev,
                    "h": h,
                },
            )
            prev = h
    with pytest.raises(SchemaError, match="0001"):
        Engine(db_url)
    upgrade(engine)
    with engine.connect() as c:
        assert c.execute(
            sa.text("SELECT event_seq, event_hash FROM directives WHERE id = :d"), {"d": did}
        ).one() == (2, prev)
    eng = Engine(db_url)
    assert eng.verify_audit().ok
    eng.fire(did, "report_progress", Actor.of("phuong"), {"progress": 40})
    assert [e.seq for e in eng.history(did)] == [1, 2, 3] and eng.verify_audit().ok
    eng.db.dispose()
    engine.dispose()


def test_removing_the_last_events_is_detected(db_url: str) -> None:
    from dondoc import Actor, NewDirective
    from dondoc.store.tables import EventRow

    eng = Engine(db_url)
    d = eng.create_directive(
        Actor.of("thang"), "monthly_briefing_task", NewDirective(title="x", assignee="vp")
    )
    eng.fire(d.id, "start", Actor.of("vp"))
    with eng.db.begin() as c:
        c.execute(sa.delete(EventRow).where(EventRow.directive_id == d.id, EventRow.seq == 2))
    report = eng.verify_audit()
    assert not report.ok and "đầu chuỗi là sự kiện #2 nhưng nhật ký dừng ở #1" in report.breaks[0]
    eng.db.dispose()


def test_sqlite_keeps_cooperating_units_as_rows_both_ways(tmp_path: Path) -> None:
    """SQLite's ``directive_units`` (a directive's cooperating units as rows, for an indexed
    "my unit cooperates"): made with a new database and kept by triggers on insert, update
    and delete; made by migration 0013 for an older one and filled from the column."""
    from datetime import UTC, datetime

    from dondoc import Actor, FakeClock, NewDirective

    url = f"sqlite:///{tmp_path / 'units.db'}"
    engine = Engine(url, clock=FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC)))
    board = Actor.of("thang", "assigner", "reviewer")
    units = ("Văn phòng", "Phòng Ứng dụng CNTT")
    d = engine.create_directive(
        board,
        "remediation_self_assessment",
        NewDirective(title="Việc", lead_unit="Thanh tra Sở", cooperating_units=units),
    )
    plain = engine.create_directive(board, "remediation_self_assessment", NewDirective("Khác"))

    def rows() -> list[tuple[str, int]]:
        with engine.db.connect() as conn:
            q = "SELECT unit, directive_id FROM directive_units ORDER BY unit, directive_id"
            return [tuple(r) for r in conn.exec_driver_sql(q)]  # type: ignore[misc]

    assert rows() == sorted((u, d.id) for u in units)
    with engine.db.begin() as conn:  # any writer of the column: the triggers follow it
        conn.exec_driver_sql(
            "UPDATE directives SET cooperating_units = '[\"Văn phòng\"]' WHERE id = ?",
            (plain.id,),
        )
    assert rows() == sorted([*((u, d.id) for u in units), ("Văn phòng", plain.id)])
    with engine.db.begin() as conn:
        conn.exec_driver_sql("DELETE FROM events WHERE directive_id = ?", (plain.id,))
        conn.exec_driver_sql("DELETE FROM timers WHERE directive_id = ?", (plain.id,))
        conn.exec_driver_sql("DELETE FROM directives WHERE id = ?", (plain.id,))
    assert rows() == sorted((u, d.id) for u in units)
    with engine.db.begin() as conn:  # back to before 0013, then up again: filled from the column
        command.downgrade(_config(conn), "0012")
    with engine.db.connect() as conn:
        assert not sa.inspect(conn).has_table("directive_units")
    upgrade(engine.db)
    assert rows() == sorted((u, d.id) for u in units)
    engine.db.dispose()
