"""check-in: the device that checked a person in, and the serial of their ticket

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registration") as table:
        table.add_column(
            sa.Column("attended_by", sa.String(length=80), nullable=False, server_default="")
        )
        table.add_column(
            sa.Column("ticket_serial", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade() -> None:
    with op.batch_alter_table("registration") as table:
        table.drop_column("ticket_serial")
        table.drop_column("attended_by")
