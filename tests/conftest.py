"""Shared fixtures: a fake clock, and engines on SQLite and (when configured) PostgreSQL.

PostgreSQL tests read ``DONDOC_TEST_PG_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1/test``,
which ``.ci/run`` sets). Without it they are skipped with that reason, never silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from dondoc import Engine, FakeClock, load_workflows
from dondoc.core.machine import WorkflowRegistry
from dondoc.store.tables import Base

PG_URL = os.environ.get("DONDOC_TEST_PG_URL")
PG_SKIP_REASON = "PostgreSQL not configured: set DONDOC_TEST_PG_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"


@pytest.fixture
def clock() -> FakeClock:
    # 18/03/2024 09:00 in Vietnam: the meeting of seed 000.
    return FakeClock(datetime(2024, 3, 18, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def registry() -> WorkflowRegistry:
    return load_workflows()


def drop_everything(engine: sa.Engine) -> None:
    """dondoc's tables and Alembic's version table: the next test starts from nothing."""
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def _pg_engine() -> sa.Engine:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    engine = sa.create_engine(PG_URL, pool_pre_ping=True)
    drop_everything(engine)
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dondoc.db'}"
        return
    engine = _pg_engine()
    engine.dispose()
    assert PG_URL is not None
    yield PG_URL
    engine = sa.create_engine(PG_URL)
    drop_everything(engine)
    engine.dispose()


@pytest.fixture
def engine(db_url: str, registry: WorkflowRegistry, clock: FakeClock) -> Iterator[Engine]:
    eng = Engine(db_url, workflows=registry, clock=clock)
    yield eng
    eng.db.dispose()
