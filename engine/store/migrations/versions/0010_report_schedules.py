"""report schedules

Periodic reports (Decree 09/2019): a schedule per report (period kind, data cut-off day, report
date, recipients) and each period's report as produced, once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dondoc.store.tables

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cutoff_day", sa.Integer(), nullable=False),
        sa.Column("send_after_days", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("formats", _json(), nullable=False),
        sa.Column("recipients", _json(), nullable=False),
        sa.Column("against", sa.String(length=16), nullable=False),
        sa.Column("report_to", sa.String(length=300), nullable=True),
        sa.Column("next_period", sa.String(length=16), nullable=False),
        sa.Column("next_run_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_schedules", schema=None) as batch_op:
        batch_op.create_index("ix_report_schedules_next", ["active", "next_run_at"], unique=False)
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("produced_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("totals", _json(), nullable=False),
        sa.Column("docx", sa.LargeBinary(), nullable=True),
        sa.Column("xlsx", sa.LargeBinary(), nullable=True),
        sa.Column("notified", _json(), nullable=False),
        sa.ForeignKeyConstraint(["schedule_id"], ["report_schedules.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "period"),
    )


def downgrade() -> None:
    op.drop_table("report_runs")
    with op.batch_alter_table("report_schedules", schema=None) as batch_op:
        batch_op.drop_index("ix_report_schedules_next")
    op.drop_table("report_schedules")
