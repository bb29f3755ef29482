"""provider events: Event Webhook batches as received, and one row per SendGrid event

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=True),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_batch")),
    )
    with op.batch_alter_table("webhook_batch", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_batch_processed_at", ["processed_at"], unique=False)

    op.create_table(
        "provider_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sg_event_id", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("machine", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_provider_event_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_event")),
        sa.UniqueConstraint("sg_event_id", name=op.f("uq_provider_event_sg_event_id")),
    )
    with op.batch_alter_table("provider_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_provider_event_message_event", ["message_id", "event"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("provider_event", schema=None) as batch_op:
        batch_op.drop_index("ix_provider_event_message_event")

    op.drop_table("provider_event")
    with op.batch_alter_table("webhook_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_batch_processed_at")

    op.drop_table("webhook_batch")
