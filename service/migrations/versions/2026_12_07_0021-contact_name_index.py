"""contacts in the order of their names: the first page of a large event's registrations read
in order, not sorted whole

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_contact_name",
        "contact",
        [sa.text("lower(last_name)"), sa.text("lower(first_name)"), "email"],
    )


def downgrade() -> None:
    op.drop_index("ix_contact_name", table_name="contact")
