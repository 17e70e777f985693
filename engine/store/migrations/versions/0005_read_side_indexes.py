"""read side indexes

Indexes for lists, status filters and statistics computed in SQL (store/listing.py): the
unit's (lead_unit, state) index becomes a covering one with every column of the status grid,
and one by due date serves the status filters (overdue, due soon) across units.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GRID = ["lead_unit", "state", "workflow", "workflow_version", "due", "done_at", "original_due"]
DUE = ["due", "done_at", "workflow", "workflow_version", "state"]


def upgrade() -> None:
    with op.batch_alter_table("directives") as batch_op:
        batch_op.drop_index("ix_directives_unit_state")
        batch_op.create_index("ix_directives_unit_grid", GRID, unique=False)
        batch_op.create_index("ix_directives_due_status", DUE, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("directives") as batch_op:
        batch_op.drop_index("ix_directives_due_status")
        batch_op.drop_index("ix_directives_unit_grid")
        batch_op.create_index("ix_directives_unit_state", ["lead_unit", "state"], unique=False)
