"""partial foreign key indexes: a message's registration and an invitation's forward are empty for
nearly every row (a campaign's emails, the invitations it creates), so their indexes now hold only
the rows that have one; a deletion still finds them (`= id` implies `IS NOT NULL`), and writing a
campaign's 100,000 rows no longer adds 200,000 empty entries

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = (("invitation", "forwarded_from_id"), ("message", "registration_id"))


def upgrade() -> None:
    for table, column in COLUMNS:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        filled = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            f"ix_{table}_{column}", table, [column], postgresql_where=filled, sqlite_where=filled
        )


def downgrade() -> None:
    for table, column in COLUMNS:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.create_index(f"ix_{table}_{column}", table, [column])
