"""organiser logo: an image shown before the organiser's name on their event's pages

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The events already stored have no logo: their media type is "".
    with op.batch_alter_table("event") as table:
        table.add_column(sa.Column("organiser_logo", sa.LargeBinary(), nullable=True))
        table.add_column(
            sa.Column("organiser_logo_type", sa.String(20), server_default="", nullable=False)
        )


def downgrade() -> None:
    # Not in batch mode: on SQLite it copies the table and drops the old one, and with foreign
    # keys on, dropping `event` deletes every row that refers to it (questions, invitations…).
    # SQLite (3.35 on) and PostgreSQL both drop a column in place.
    op.drop_column("event", "organiser_logo_type")
    op.drop_column("event", "organiser_logo")
