"""Alembic environment for dondoc. Driven by dondoc.store.schema (``dondoc db upgrade``), which
passes the connection in ``config.attributes['connection']``."""

from __future__ import annotations

from alembic import context

from dondoc.store.tables import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - dondoc always passes one
    raise RuntimeError("run migrations through `dondoc db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
