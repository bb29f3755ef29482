"""The outbox: one Message row per email to send, claimed by the worker that sends it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime, enum_column, utcnow


class MessageStatus(enum.StrEnum):
    """Where an email stands: queued → sending → sent | failed | suppressed (| cancelled)."""

    QUEUED = "queued"
    # Claimed by a worker. A row left here (the worker died, or the provider's answer was lost)
    # is resolved by the sweeper: sent if the provider says it accepted it, else queued again.
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"  # its campaign was cancelled before it left


class Message(Base):
    """One email to one contact. `key` makes each email unique: (campaign, contact) for a
    campaign, (registration, kind, moment) for the emails of a registration's life."""

    __tablename__ = "message"
    __table_args__ = (
        # The worker's claim query: the oldest due rows of a status, in the order it claims them.
        Index("ix_message_status_due_at_id", "status", "due_at", "id"),
        Index("ix_message_event_id", "event_id"),
        Index("ix_message_campaign_id", "campaign_id"),
        Index(
            "ix_message_sending_claimed_at",
            "claimed_at",
            sqlite_where=text("status = 'sending'"),
            postgresql_where=text("status = 'sending'"),
        ),
        # Only the emails of a registration have one (a campaign's 100,000 have none).
        Index(
            "ix_message_registration_id",
            "registration_id",
            sqlite_where=text("registration_id IS NOT NULL"),
            postgresql_where=text("registration_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="fr")
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    # Values that belong to this email only (a subject override, the offer's deadline…).
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[MessageStatus] = mapped_column(
        enum_column(MessageStatus, "message_status"), default=MessageStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Held back by whoever queued it (a paused campaign): it does not leave until released.
    held: Mapped[bool] = mapped_column(default=False, server_default=false())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
