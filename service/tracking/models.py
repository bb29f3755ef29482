"""What comes back after sending: webhook batches as received (raw, verified), the events in
them (one row per SendGrid event id), and the replies to our reply addresses."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime, enum_column, utcnow


class WebhookBatch(Base):
    """One verified POST of the Event Webhook, kept raw until a worker has read it."""

    __tablename__ = "webhook_batch"
    __table_args__ = (Index("ix_webhook_batch_processed_at", "processed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    events: Mapped[int] = mapped_column(Integer, default=0)  # new ones, duplicates left out
    error: Mapped[str] = mapped_column(Text, default="")


class ProviderEvent(Base):
    """A delivery or engagement event of one email (processed, delivered, bounce, open…)."""

    __tablename__ = "provider_event"
    __table_args__ = (Index("ix_provider_event_message_event", "message_id", "event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sg_event_id: Mapped[str] = mapped_column(String(100), unique=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(64), default="")  # bounce type, classification
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Opens by mail privacy proxies and clicks by link scanners are not people.
    machine: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReplyKind(enum.StrEnum):
    """What an email that came back to a reply address is."""

    HUMAN = "human"  # a person wrote: it counts as an answer
    AUTOMATIC = "automatic"  # out of office, auto-reply (RFC 3834): the address is alive
    BOUNCE = "bounce"  # a delivery status report


class Reply(Base):
    """An email received at a per-invitation reply address (SendGrid Inbound Parse, raw mode)."""

    __tablename__ = "reply"
    __table_args__ = (Index("ix_reply_invitation_id", "invitation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL")
    )
    kind: Mapped[ReplyKind] = mapped_column(enum_column(ReplyKind, "reply_kind"))
    sender: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text, default="")  # the plain text, for the organiser
    handled: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportLink(Base):
    """A partner network's read-only link to its own list's figures at one event: the signed token
    names the row, and the row decides (expiry, revocation), so revoking works at once."""

    __tablename__ = "report_link"
    __table_args__ = (
        Index("ix_report_link_event_id_list_id", "event_id", "list_id"),
        Index("ix_report_link_list_id", "list_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_list.id", ondelete="CASCADE"))
    # Signed into the token with the ids: a row id used again (SQLite reuses the highest after a
    # delete) cannot revive the token of a deleted link.
    nonce: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(320))  # as the audit log names actors
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str] = mapped_column(String(320), default="")
