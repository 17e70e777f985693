"""published workflows

Workflow versions an administrator published from the dashboard or ``dondoc workflows publish``
(who and when, on ``workflow_versions``), and the hash-chained log of administrators' actions
outside any directive (``admin_events``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dondoc.store.tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workflow_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("published_at", dondoc.store.tables.UTCDateTime(), nullable=True)
        )
    op.create_table(
        "admin_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )


def downgrade() -> None:
    op.drop_table("admin_events")
    with op.batch_alter_table("workflow_versions", schema=None) as batch_op:
        batch_op.drop_column("published_at")
        batch_op.drop_column("published_by")
