"""message held: a paused campaign holds its rows by a flag of their own, so that the outbox
needs to know nothing of campaigns

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Frozen SQL, not the models: the rows of campaigns that are not sending wait.
    op.execute(
        "UPDATE message SET held = TRUE WHERE status = 'queued' AND campaign_id IN "
        "(SELECT id FROM campaign WHERE state <> 'sending')"
    )


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("held")
