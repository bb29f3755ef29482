"""forwarded invitations: the event says what a forwarded link allows; an invitation remembers
the one that brought it

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "forwarding",
                sa.Enum("bound", "open", name="forwarding", native_enum=False, length=32),
                server_default="bound",
                nullable=False,
            )
        )

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forwarded_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invitation_forwarded_from_id_invitation"),
            "invitation",
            ["forwarded_from_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_invitation_forwarded_from_id_invitation"), type_="foreignkey"
        )
        batch_op.drop_column("forwarded_from_id")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("forwarding")
