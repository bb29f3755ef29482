"""list imports: files uploaded in the back office, a list's last import and remembered mapping,
and the contacts whose address is suppressed

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.db import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

STATES = ("uploaded", "checking", "checked", "importing", "done", "failed")


def upgrade() -> None:
    with op.batch_alter_table("contact") as batch_op:
        batch_op.add_column(sa.Column("suppressed_at", UTCDateTime(), nullable=True))
    filled = sa.text("suppressed_at IS NOT NULL")  # a few rows among many
    op.create_index(
        "ix_contact_suppressed_at", "contact", ["suppressed_at"],
        postgresql_where=filled, sqlite_where=filled,
    )  # fmt: skip
    with op.batch_alter_table("mailing_list") as batch_op:
        batch_op.add_column(sa.Column("imported_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("column_mapping", sa.JSON(), server_default="{}", nullable=False)
        )
    op.create_table(
        "list_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(length=200), nullable=False),
        sa.Column("network", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("sheet", sa.String(length=200), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*STATES, name="import_state", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_list_import_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_import")),
    )  # fmt: skip
    op.create_index("ix_list_import_user_id", "list_import", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_list_import_user_id", table_name="list_import")
    op.drop_table("list_import")
    with op.batch_alter_table("mailing_list") as batch_op:
        batch_op.drop_column("column_mapping")
        batch_op.drop_column("imported_at")
    op.drop_index("ix_contact_suppressed_at", table_name="contact")
    with op.batch_alter_table("contact") as batch_op:
        batch_op.drop_column("suppressed_at")
