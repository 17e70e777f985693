"""Schema migrations (Alembic, shipped inside the package) and the start-up schema check.

* A new, empty database gets the current schema in one step (``create_all``) and is stamped
  at the head revision — the standard Alembic recipe; the migration-drift test guarantees the
  models and the migrations describe the same schema.
* A database at an older revision is refused with the command that upgrades it:
  ``dondoc db upgrade --db URL``. SQLite uses the same migrations in batch mode.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ..errors import SchemaError
from .tables import Base, check_schema


def _config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(Path(str(resources.files("dondoc.store"))) / "migrations")
    )
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (head by default)."""
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)


def stamp(engine: sa.Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        command.stamp(_config(conn), revision)


VERSION_TABLE = sa.Table(
    "alembic_version", sa.MetaData(), sa.Column("version_num", sa.String(32), primary_key=True)
)


def _stamp_fast(engine: sa.Engine, revision: str) -> None:
    """What ``alembic stamp`` writes, without loading the migration scripts (start-up speed)."""
    with engine.begin() as conn:
        VERSION_TABLE.create(conn, checkfirst=True)
        conn.execute(VERSION_TABLE.delete())
        conn.execute(VERSION_TABLE.insert().values(version_num=revision))


#: Below this many directives the query planner's defaults serve well: no statistics needed.
STATISTICS_FROM = 1000


def refresh_statistics(engine: sa.Engine, *, force: bool = False, added: int = 0) -> bool:
    """Keep the planner's statistics (``ANALYZE``) in step with the table sizes; True when
    they were refreshed. Without them the database cannot tell a selective filter (one
    assignee) from a broad one (open directives) and may walk the whole table.

    SQLite: refreshed when missing or when the number of directives has doubled or halved
    since (ANALYZE reads every index: about 0.3 s at 100,000 directives). PostgreSQL keeps its
    own (autovacuum, within minutes); after a bulk import of ``added`` >= STATISTICS_FROM
    directives they are refreshed at once (ANALYZE samples: well under a second)."""
    if engine.dialect.name == "postgresql":
        if not (force or added >= STATISTICS_FROM):
            return False
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE directives, events, timers")
            conn.commit()
        return True
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT max(id) FROM directives").scalar() or 0
        has_stats = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).scalar()
        known = 0
        if has_stats:
            stat = conn.exec_driver_sql(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'directives' LIMIT 1"
            ).scalar()
            known = int(str(stat).split()[0]) if stat else 0
        stale = rows >= STATISTICS_FROM and not (known / 2 <= rows <= known * 2)
        if not (force or stale):
            return False
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return True


def ensure_schema(engine: sa.Engine, *, create: bool = True) -> None:
    """Create the schema in an empty database (when ``create``), else check it is current.

    Raises :class:`SchemaError` naming the command to run when the database is behind.
    """
    inspector = sa.inspect(engine)
    ours = [t.name for t in Base.metadata.sorted_tables]
    existing = [t for t in ours if inspector.has_table(t)]
    head = head_revision()
    if not existing:
        if not create:
            raise SchemaError("the database has no dondoc schema; run: dondoc db upgrade --db URL")
        Base.metadata.create_all(engine)
        _stamp_fast(engine, head)
        return
    current = current_revision(engine)
    if current == head:
        return
    if current is None:
        check_schema(engine)  # tables from before migrations existed: usable only if complete
        stamp(engine, head)
        return
    raise SchemaError(
        f"the database schema is at revision {current}, this dondoc needs {head}; "
        "run: dondoc db upgrade --db URL"
    )
