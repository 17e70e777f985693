"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dondoc.store.tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workflow", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("recurrence", sa.String(length=64), nullable=False),
        sa.Column(
            "template",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("next_run_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.create_index("ix_series_next", ["active", "next_run_at"], unique=False)

    op.create_table(
        "workflow_versions",
        sa.Column("workflow", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("registered_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workflow", "version"),
    )
    op.create_table(
        "directives",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workflow", sa.String(length=64), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("lead_unit", sa.String(length=200), nullable=True),
        sa.Column(
            "cooperating_units",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("assigner", sa.String(length=200), nullable=True),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("due_text", sa.Text(), nullable=True),
        sa.Column("original_due", sa.Date(), nullable=True),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("recurrence", sa.String(length=64), nullable=True),
        sa.Column("doc_number", sa.String(length=100), nullable=True),
        sa.Column("doc_date", sa.Date(), nullable=True),
        sa.Column("doc_issuer", sa.String(length=300), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("period_key", sa.String(length=32), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("updated_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("closed_at", dondoc.store.tables.UTCDateTime(), nullable=True),
        sa.Column("done_at", dondoc.store.tables.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["directives.id"],
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workflow", "workflow_version"],
            ["workflow_versions.workflow", "workflow_versions.version"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("series_id", "period_key", name="uq_directives_series_period"),
    )
    with op.batch_alter_table("directives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directives_assignee"), ["assignee"], unique=False)
        batch_op.create_index(batch_op.f("ix_directives_assigner"), ["assigner"], unique=False)
        batch_op.create_index(batch_op.f("ix_directives_doc_number"), ["doc_number"], unique=False)
        batch_op.create_index("ix_directives_open_due", ["is_open", "due"], unique=False)
        batch_op.create_index(batch_op.f("ix_directives_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_directives_reviewer"), ["reviewer"], unique=False)
        batch_op.create_index(batch_op.f("ix_directives_state"), ["state"], unique=False)
        batch_op.create_index("ix_directives_unit_state", ["lead_unit", "state"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=True),
        sa.Column("from_state", sa.String(length=64), nullable=True),
        sa.Column("to_state", sa.String(length=64), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directives.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("directive_id", "seq", name="uq_events_directive_seq"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_directive_id"), ["directive_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("recipient_role", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("created_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("sent_at", dondoc.store.tables.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", dondoc.store.tables.UTCDateTime(), nullable=True),
        sa.Column("sink", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directives.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_directive_id"), ["directive_id"], unique=False)
        batch_op.create_index("ix_outbox_pending", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "timers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("timer", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("due_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("repeat_index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("fired_at", dondoc.store.tables.UTCDateTime(), nullable=True),
        sa.Column("fired_by", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directives.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timers_directive_id"), ["directive_id"], unique=False)
        batch_op.create_index("ix_timers_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_due")
        batch_op.drop_index(batch_op.f("ix_timers_directive_id"))

    op.drop_table("timers")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.drop_index(batch_op.f("ix_outbox_directive_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_directive_id"))

    op.drop_table("events")
    with op.batch_alter_table("directives", schema=None) as batch_op:
        batch_op.drop_index("ix_directives_unit_state")
        batch_op.drop_index(batch_op.f("ix_directives_state"))
        batch_op.drop_index(batch_op.f("ix_directives_reviewer"))
        batch_op.drop_index(batch_op.f("ix_directives_parent_id"))
        batch_op.drop_index("ix_directives_open_due")
        batch_op.drop_index(batch_op.f("ix_directives_doc_number"))
        batch_op.drop_index(batch_op.f("ix_directives_assigner"))
        batch_op.drop_index(batch_op.f("ix_directives_assignee"))

    op.drop_table("directives")
    op.drop_table("workflow_versions")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_index("ix_series_next")

    op.drop_table("series")
