"""campaigns: a campaign per email sent to an audience, the lists an invitation came from

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign",
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
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("segment", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("sender_name", sa.String(length=300), nullable=False),
        sa.Column("send_at", UTCDateTime(), nullable=True),
        sa.Column("rate_per_minute", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "scheduled",
                "sending",
                "paused",
                "done",
                "cancelled",
                name="campaign_state",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("audience_count", sa.Integer(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("launched_at", UTCDateTime(), nullable=True),
        sa.Column("build_seen_at", UTCDateTime(), nullable=True),
        sa.Column("built_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_campaign_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_event_id"), ["event_id"], unique=False)
        batch_op.create_index("ix_campaign_state_send_at", ["state", "send_at"], unique=False)

    op.create_table(
        "invitation_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_invitation_list_campaign_id_campaign"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_invitation_list_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["mailing_list.id"],
            name=op.f("fk_invitation_list_list_id_mailing_list"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_list")),
        sa.UniqueConstraint("invitation_id", "list_id", name="uq_invitation_list"),
    )
    with op.batch_alter_table("invitation_list", schema=None) as batch_op:
        batch_op.create_index("ix_invitation_list_list_id", ["list_id"], unique=False)

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_message_campaign_id_campaign"),
            "campaign",
            ["campaign_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_message_campaign_id_campaign"), type_="foreignkey")

    with op.batch_alter_table("invitation_list", schema=None) as batch_op:
        batch_op.drop_index("ix_invitation_list_list_id")

    op.drop_table("invitation_list")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_state_send_at")
        batch_op.drop_index(batch_op.f("ix_campaign_event_id"))

    op.drop_table("campaign")
