"""claim order index: a worker claims the oldest due rows of one content in (due time, id) order,
read straight from an index on (status, due_at, id); ordered by id alone, each claim walked the
primary key past every row already sent (100,000 emails: the hundredth claim stepped over 99,000)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_message_status_due_at", table_name="message")
    op.create_index("ix_message_status_due_at_id", "message", ["status", "due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_message_status_due_at_id", table_name="message")
    op.create_index("ix_message_status_due_at", "message", ["status", "due_at"])
