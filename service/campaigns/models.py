"""A campaign (one kind of email to an audience of an event) and the lists an invitation came
from, kept for attribution."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime, enum_column, utcnow
from service.mail.kinds import Email


class CampaignKind(enum.StrEnum):
    """What a campaign sends, which decides its audience and its default email."""

    INVITATION = "invitation"  # contacts of the lists who have not answered
    FOLLOW_UP = "follow_up"  # invited people who have not answered
    LAST_CALL = "last_call"  # the same, while seats remain
    REMINDER = "reminder"  # confirmed people
    PRACTICAL_INFO = "practical_info"  # confirmed people, the day before
    WAITLIST_NOTICE = "waitlist_notice"  # waitlisted people
    EVENT_CHANGED = "event_changed"  # everyone holding or waiting for a seat
    THANK_YOU = "thank_you"  # confirmed and attended people

    @property
    def template(self) -> str:
        """The email sent unless the campaign names another."""
        return {
            CampaignKind.LAST_CALL: Email.FOLLOW_UP,
            CampaignKind.PRACTICAL_INFO: Email.REMINDER,
            CampaignKind.WAITLIST_NOTICE: Email.WAITLISTED,
        }.get(self, self.value)


class CampaignState(enum.StrEnum):
    """draft → scheduled → sending → paused → done, or cancelled."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


class Campaign(Base):
    """One email to the audience of an event; its counters are the states of its outbox rows."""

    __tablename__ = "campaign"
    __table_args__ = (Index("ix_campaign_state_send_at", "state", "send_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CampaignKind] = mapped_column(enum_column(CampaignKind, "campaign_kind"))
    lists: Mapped[list[str]] = mapped_column(JSON, default=list)
    segment: Mapped[str] = mapped_column(String(200), default="")
    template: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300), default="")
    sender_name: Mapped[str] = mapped_column(String(300), default="")
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rate_per_minute: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[CampaignState] = mapped_column(
        enum_column(CampaignState, "campaign_state"), default=CampaignState.DRAFT
    )
    audience_count: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # note, access…
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The build writes a page at a time: `build_seen_at` moves with each page, `built_at` is set
    # once every row is written. A build silent too long was lost (its queue with it).
    build_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InvitationList(Base):
    """A list an invitation's contact was reached through; one row per list, for attribution."""

    __tablename__ = "invitation_list"
    __table_args__ = (
        UniqueConstraint("invitation_id", "list_id", name="uq_invitation_list"),
        Index("ix_invitation_list_list_id", "list_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"))
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_list.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL"), index=True
    )


class RuleAnchor(enum.StrEnum):
    """The moment a rule counts from."""

    EVENT_START = "event_start"  # e.g. a reminder 7 days before the event
    INVITATION = "invitation"  # e.g. a follow-up 7 days after the invitations left


class RuleState(enum.StrEnum):
    """pending → started (its campaign runs) or skipped (its moment had passed)."""

    PENDING = "pending"
    STARTED = "started"
    SKIPPED = "skipped"


class CampaignRule(Base):
    """A campaign to start by itself at a moment of the event's life; a row with a due time that
    the beat tick claims once (never a task waiting in the broker for weeks)."""

    __tablename__ = "campaign_rule"
    __table_args__ = (Index("ix_campaign_rule_state_due_at", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CampaignKind] = mapped_column(enum_column(CampaignKind, "campaign_kind"))
    anchor: Mapped[RuleAnchor] = mapped_column(enum_column(RuleAnchor, "rule_anchor"))
    offset_hours: Mapped[int] = mapped_column(Integer)  # negative: before the anchor
    lists: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Known once the anchor is: at creation for the event's start, at the first invitation
    # campaign's launch for the invitation.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[RuleState] = mapped_column(
        enum_column(RuleState, "rule_state"), default=RuleState.PENDING
    )
    reason: Mapped[str] = mapped_column(String(300), default="")  # why it was skipped
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
