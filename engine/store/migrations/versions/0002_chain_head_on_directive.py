"""chain head on the directive

Each directive records the sequence number and hash of its last audit event, so a command
extends the chain without reading it, the version-checked UPDATE guards the chain head, and
removing events at the end of a trail is detected by ``dondoc audit verify``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("directives") as batch_op:
        batch_op.add_column(
            sa.Column("event_seq", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("event_hash", sa.String(length=64), server_default="", nullable=False)
        )
    op.execute(
        "UPDATE directives SET event_seq = COALESCE("
        "(SELECT max(seq) FROM events WHERE events.directive_id = directives.id), 0)"
    )
    op.execute(
        "UPDATE directives SET event_hash = COALESCE((SELECT hash FROM events "
        "WHERE events.directive_id = directives.id AND events.seq = directives.event_seq), '')"
    )


def downgrade() -> None:
    with op.batch_alter_table("directives") as batch_op:
        batch_op.drop_column("event_hash")
        batch_op.drop_column("event_seq")
