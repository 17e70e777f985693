"""planner statistics over (workflow, workflow_version, state) on PostgreSQL

See ``dondoc.store.tables.PLACE_STATISTICS``: without them, a page of the directives awaiting
a decision read every directive in a decision state. SQLite: nothing to do.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

from dondoc.store.tables import PLACE_STATISTICS

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLACE_STATISTICS)
        op.execute("ANALYZE directives")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_directives_place")
