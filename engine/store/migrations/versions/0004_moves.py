"""moves: how work moves between people

Directives record how they came to be (``kind``: directive, delegated, contribution) and whom
they were first addressed to (``original_assignee``, ``original_lead_unit``: reassignment and
claiming change only ``assignee``/``lead_unit``). Explanation requests (yêu cầu giải trình),
their answers and assessments live in ``explanations``, where evaluation can query them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dondoc.store.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("directives") as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="directive", nullable=False)
        )
        batch_op.add_column(sa.Column("original_assignee", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("original_lead_unit", sa.String(length=200), nullable=True))
    op.execute("UPDATE directives SET original_assignee = assignee, original_lead_unit = lead_unit")
    op.create_table(
        "explanations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", dondoc.store.tables.UTCDateTime(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("request_note", sa.Text(), nullable=True),
        sa.Column("answer_due", sa.Date(), nullable=False),
        sa.Column("owed_by", sa.String(length=200), nullable=True),
        sa.Column("answered_at", dondoc.store.tables.UTCDateTime(), nullable=True),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("cause", sa.String(length=16), nullable=True),
        sa.Column("proposed_due", sa.Date(), nullable=True),
        sa.Column("assessed_at", dondoc.store.tables.UTCDateTime(), nullable=True),
        sa.Column("assessed_by", sa.String(length=200), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("new_due", sa.Date(), nullable=True),
        sa.Column("assessment_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["directive_id"], ["directives.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("explanations") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_explanations_directive_id"), ["directive_id"], unique=False
        )
        batch_op.create_index("ix_explanations_status", ["status", "verdict"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("explanations") as batch_op:
        batch_op.drop_index("ix_explanations_status")
        batch_op.drop_index(batch_op.f("ix_explanations_directive_id"))
    op.drop_table("explanations")
    with op.batch_alter_table("directives") as batch_op:
        batch_op.drop_column("original_lead_unit")
        batch_op.drop_column("original_assignee")
        batch_op.drop_column("kind")
