"""campaign rules: campaigns that start by themselves at a moment of the event's life

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "invitation",
                "follow_up",
                "last_call",
                "reminder",
                "practical_info",
                "waitlist_notice",
                "event_changed",
                "thank_you",
                name="campaign_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "anchor",
            sa.Enum("event_start", "invitation", name="rule_anchor", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("offset_hours", sa.Integer(), nullable=False),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "pending", "started", "skipped", name="rule_state", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_rule_campaign_id_campaign"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_campaign_rule_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_rule")),
    )
    with op.batch_alter_table("campaign_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_rule_event_id"), ["event_id"], unique=False)
        batch_op.create_index("ix_campaign_rule_state_due_at", ["state", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("campaign_rule", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_rule_state_due_at")
        batch_op.drop_index(batch_op.f("ix_campaign_rule_event_id"))

    op.drop_table("campaign_rule")
