"""worker heartbeats, request ids on events

``workers``: one row per scheduler process, written at every sweep (``dondoc status``, the
dashboard's banner). ``events.request_id``: the HTTP request that wrote an event, to find its
log lines (nullable, outside the hash: old events keep verifying).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dondoc.store.tables

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("interval", sa.Float(), nullable=False),
        sa.Column("started_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("last_seen", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("last_sweep_at", dondoc.store.tables.UTCDateTime(), nullable=True),
        sa.Column("timers_fired", sa.Integer(), nullable=False),
        sa.Column("series_created", sa.Integer(), nullable=False),
        sa.Column("messages_sent", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("stopped_at", dondoc.store.tables.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    # A plain ADD COLUMN (nullable, no default) on both backends: no table rewrite, even on
    # SQLite, so a large events table upgrades in an instant.
    op.add_column("events", sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("request_id")
    op.drop_table("workers")
