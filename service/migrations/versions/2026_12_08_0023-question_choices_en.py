"""question choices in English: the options of a 'choice' question, in the same order

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The questions already stored have no English options: English pages show the French.
    with op.batch_alter_table("question") as table:
        table.add_column(sa.Column("choices_en", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("question") as table:
        table.drop_column("choices_en")
