"""invitation funnel: the steps each invitation's emails reached, kept as flags for statistics

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# As service/tracking/funnel.py computes them, frozen here: a migration must not change with the
# code that follows it.
BACKFILL = """
UPDATE invitation SET funnel =
  (CASE WHEN EXISTS (SELECT 1 FROM message m WHERE m.invitation_id = invitation.id
                     AND m.status = 'sent') THEN 1 ELSE 0 END)
  | (CASE WHEN EXISTS (SELECT 1 FROM message m JOIN provider_event e ON e.message_id = m.id
                       WHERE m.invitation_id = invitation.id AND e.event = 'delivered')
          THEN 2 ELSE 0 END)
  | (CASE WHEN EXISTS (SELECT 1 FROM message m JOIN provider_event e ON e.message_id = m.id
                       WHERE m.invitation_id = invitation.id AND e.event IN ('bounce', 'dropped'))
          THEN 4 ELSE 0 END)
  | (CASE WHEN EXISTS (SELECT 1 FROM message m JOIN provider_event e ON e.message_id = m.id
                       WHERE m.invitation_id = invitation.id AND e.event = 'open'
                       AND NOT e.machine) THEN 8 ELSE 0 END)
  | (CASE WHEN EXISTS (SELECT 1 FROM message m JOIN provider_event e ON e.message_id = m.id
                       WHERE m.invitation_id = invitation.id AND e.event = 'click'
                       AND NOT e.machine) THEN 16 ELSE 0 END)
  | (CASE WHEN EXISTS (SELECT 1 FROM message m JOIN provider_event e ON e.message_id = m.id
                       WHERE m.invitation_id = invitation.id
                       AND e.event IN ('unsubscribe', 'group_unsubscribe', 'spamreport'))
          THEN 32 ELSE 0 END)
"""


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("funnel", sa.Integer(), server_default="0", nullable=False))
    # Invitations already sent and tracked get their steps from their messages and events.
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("funnel")
