"""foreign key indexes: deleting an event, a campaign or a person looks up the rows that point
to it; without an index on the pointing column, each deleted row scanned the whole table (an
event of 20,000 invitations took a minute to delete on SQLite)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# (table, column): the foreign keys that had no index of their own.
COLUMNS = (
    ("invitation", "forwarded_from_id"),
    ("message", "invitation_id"),
    ("message", "registration_id"),
    ("invitation_list", "campaign_id"),
    ("campaign_rule", "campaign_id"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in COLUMNS:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
