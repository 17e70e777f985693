"""unit grid index covers kind and is_open

The statistics per unit count a unit's own directives (kind) and the lead/cooperate table
counts open ones (is_open): with both in ``ix_directives_unit_grid`` those aggregates read the
index only, not the wide rows (0.9 s → 0.3 s for the table at 100,000 directives on SQLite).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD = ["lead_unit", "state", "workflow", "workflow_version", "due", "done_at", "original_due"]
NEW = [*OLD, "kind", "is_open"]


def upgrade() -> None:
    with op.batch_alter_table("directives") as batch_op:
        batch_op.drop_index("ix_directives_unit_grid")
        batch_op.create_index("ix_directives_unit_grid", NEW, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("directives") as batch_op:
        batch_op.drop_index("ix_directives_unit_grid")
        batch_op.create_index("ix_directives_unit_grid", OLD, unique=False)
