"""report links: a partner network's read-only, expiring, revocable link to its own list's
figures at one event

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.db import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_report_link_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["mailing_list.id"], name=op.f("fk_report_link_list_id_mailing_list"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_link")),
    )  # fmt: skip
    op.create_index("ix_report_link_event_id_list_id", "report_link", ["event_id", "list_id"])
    op.create_index("ix_report_link_list_id", "report_link", ["list_id"])


def downgrade() -> None:
    op.drop_index("ix_report_link_list_id", table_name="report_link")
    op.drop_index("ix_report_link_event_id_list_id", table_name="report_link")
    op.drop_table("report_link")
