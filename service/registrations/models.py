"""Invitation (one per event and contact) and Registration (its answer and seat)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contacts.models import Contact
from service.db import Base, UTCDateTime, enum_column, utcnow
from service.events.models import Event


class RegistrationStatus(enum.StrEnum):
    """Where a registration stands."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ATTENDED = "attended"

    @property
    def holds_seat(self) -> bool:
        """Confirmed, offered and attended people each hold one seat."""
        return self in SEAT_HOLDING

    @property
    def is_active(self) -> bool:
        """Holding a seat or waiting for one."""
        return self in SEAT_HOLDING or self is RegistrationStatus.WAITLISTED


SEAT_HOLDING = frozenset(
    {RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED, RegistrationStatus.ATTENDED}
)


class Step(enum.StrEnum):
    """What a person (or the door staff) does to one registration."""

    DECLINE = "decline"
    CANCEL = "cancel"
    ACCEPT = "accept"
    RELEASE = "release"
    ATTEND = "attend"


_S = RegistrationStatus
# Where each step takes a registration, by its state (None: no registration yet); a state not
# listed refuses the step. Registering and the waitlist's moves depend on the seats left and the
# event's policy: services.register and _fill_free_seats decide them.
STEPS: dict[Step, dict[RegistrationStatus | None, RegistrationStatus]] = {
    Step.DECLINE: {
        None: _S.DECLINED,
        _S.DECLINED: _S.DECLINED,
        _S.CANCELLED: _S.CANCELLED,
        _S.CONFIRMED: _S.CANCELLED,
        _S.WAITLISTED: _S.CANCELLED,
        _S.OFFERED: _S.CANCELLED,
    },
    Step.CANCEL: {
        _S.CONFIRMED: _S.CANCELLED,
        _S.WAITLISTED: _S.CANCELLED,
        _S.OFFERED: _S.CANCELLED,
    },
    Step.ACCEPT: {_S.OFFERED: _S.CONFIRMED, _S.CONFIRMED: _S.CONFIRMED},
    Step.RELEASE: {_S.OFFERED: _S.CANCELLED},
    Step.ATTEND: {_S.CONFIRMED: _S.ATTENDED, _S.ATTENDED: _S.ATTENDED},
}


class EndReason(enum.StrEnum):
    """Why a registration was cancelled (empty while it is not)."""

    NONE = ""
    CANCELLED = "cancelled"
    DECLINED = "declined"  # "je ne pourrai pas venir" after registering
    OFFER_RELEASED = "offer_released"
    OFFER_EXPIRED = "offer_expired"
    ERASED = "erased"  # the person's data was erased (GDPR) before the event


class Invitation(Base):
    """A contact invited to an event; `public_id` goes into the signed link, never the row id."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("event_id", "contact_id", name="uq_invitation_event_contact"),
        # Only forwarded invitations have one (a campaign's invitations have none).
        Index(
            "ix_invitation_forwarded_from_id",
            "forwarded_from_id",
            sqlite_where=text("forwarded_from_id IS NOT NULL"),
            postgresql_where=text("forwarded_from_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    # The funnel steps its emails reached (service/tracking/funnel.py), kept as they happen.
    funnel: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The invitation whose link brought this one (a forwarded invitation), for attribution.
    forwarded_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL")
    )
    # Colleagues this link has sent an invitation to, capped by the event's forward_limit.
    forwards: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    contact: Mapped[Contact] = relationship()
    registration: Mapped[Registration | None] = relationship(
        back_populates="invitation", uselist=False
    )


class Registration(Base):
    """The answer to an invitation: a seat, a place in the waitlist, or a no."""

    __tablename__ = "registration"
    __table_args__ = (
        # One person, one registration; the waitlist order is unique within an event.
        UniqueConstraint("invitation_id", name="uq_registration_invitation"),
        Index("ix_registration_event_status", "event_id", "status"),
        Index(
            "uq_registration_event_waitlist_position",
            "event_id",
            "waitlist_position",
            unique=True,
            sqlite_where=text("status = 'waitlisted'"),
            postgresql_where=text("status = 'waitlisted'"),
        ),
        Index("ix_registration_offer_expires_at", "offer_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column(RegistrationStatus, "registration_status")
    )
    waitlist_position: Mapped[int | None] = mapped_column(Integer)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    end_reason: Mapped[EndReason] = mapped_column(
        enum_column(EndReason, "end_reason"), default=EndReason.NONE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The device that checked the person in first (its name, as the door page calls it).
    attended_by: Mapped[str] = mapped_column(String(80), default="", server_default="")
    # Goes up each time a seat is taken again: the tickets of earlier seats are then refused.
    ticket_serial: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    invitation: Mapped[Invitation] = relationship(back_populates="registration")
    event: Mapped[Event] = relationship()
