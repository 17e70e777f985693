"""what the planners need at a million directives: a unit's directives in creation order,
a person's by due date, and PostgreSQL statistics over (workflow, workflow_version, state)

``ix_directives_lead_unit (lead_unit, id)``: a unit's page in creation order walks it and stops
at the page's end (the grid index read the whole unit and sorted it); ``ix_directives_assignee``
becomes (assignee, due): a person's work in due order, a week of it a range. ``st_directives_place``:
see ``dondoc.store.tables.PLACE_STATISTICS`` (without it, a page of the directives awaiting a
decision read every directive in a decision state); ``ix_directives_cooperating``: see
``COOPERATING_INDEX`` there. SQLite has neither; it gets ``directive_units`` (a directive's
cooperating units as rows, kept by triggers: ``SQLITE_UNITS`` there), filled from the column.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

from dondoc.store.tables import COOPERATING_INDEX, PLACE_STATISTICS, SQLITE_UNITS

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("directives") as batch_op:
        batch_op.create_index("ix_directives_lead_unit", ["lead_unit", "id"], unique=False)
        batch_op.drop_index("ix_directives_assignee")
        batch_op.create_index("ix_directives_assignee", ["assignee", "due"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLACE_STATISTICS)
        op.execute(COOPERATING_INDEX)
    else:
        for statement in SQLITE_UNITS:
            op.execute(statement)
        op.execute(
            "INSERT OR IGNORE INTO directive_units (unit, directive_id) "
            "SELECT j.value, d.id FROM directives d, json_each(d.cooperating_units) j "
            "WHERE d.cooperating_units != '[]'"
        )
    op.execute("ANALYZE directives")  # the planner's view of the new index (and statistics)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_directives_place")
        op.execute("DROP INDEX IF EXISTS ix_directives_cooperating")
    else:
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS directive_units_{trigger}")
        op.execute("DROP TABLE IF EXISTS directive_units")
    with op.batch_alter_table("directives") as batch_op:
        batch_op.drop_index("ix_directives_lead_unit")
        batch_op.drop_index("ix_directives_assignee")
        batch_op.create_index("ix_directives_assignee", ["assignee"], unique=False)
