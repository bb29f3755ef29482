"""Event, its programme (sessions and speakers) and the questions asked at registration."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base, UTCDateTime, enum_column, utcnow


class WaitlistPolicy(enum.StrEnum):
    """What happens to the first waitlisted person when a seat frees up."""

    CONFIRM = "confirm"  # confirmed at once
    OFFER = "offer"  # offered the seat, held until a deadline
    MANUAL = "manual"  # the organiser decides


class Forwarding(enum.StrEnum):
    """What a personal link allows someone else who holds it (a colleague it was forwarded to)."""

    BOUND = "bound"  # the link is the invitee's: they may hand their invitation to a colleague
    OPEN = "open"  # a colleague registers as themselves, attributed to the invitation


class SpeakerRole(enum.StrEnum):
    """The part a speaker plays in a session."""

    ANIMATION = "animation"
    GRAND_TEMOIN = "grand_temoin"
    INTERVENTION = "intervention"
    TEMOIGNAGE = "temoignage"


class QuestionKind(enum.StrEnum):
    """How a registration question is answered."""

    YES_NO = "yes_no"
    TEXT = "text"
    CHOICE = "choice"


class Event(Base):
    """An event people register for; `seats_held` and `waitlist_count` are kept by the
    registration service under the event's lock."""

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("seats_held >= 0", name="seats_held_not_negative"),
        CheckConstraint("waitlist_count >= 0", name="waitlist_count_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_name: Mapped[str] = mapped_column(String(300))
    venue_address: Mapped[str] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column(Integer)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waitlist_policy: Mapped[WaitlistPolicy] = mapped_column(
        enum_column(WaitlistPolicy, "waitlist_policy"), default=WaitlistPolicy.OFFER
    )
    claim_window_hours: Mapped[int] = mapped_column(Integer, default=48)
    forwarding: Mapped[Forwarding] = mapped_column(
        enum_column(Forwarding, "forwarding"), default=Forwarding.BOUND, server_default="bound"
    )
    # How many colleagues one personal link may send an invitation to.
    forward_limit: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    organiser_name: Mapped[str] = mapped_column(String(300), default="")
    organiser_email: Mapped[str] = mapped_column(String(320), default="")
    organiser_phone: Mapped[str] = mapped_column(String(50), default="")
    # "#rrggbb" of the organiser's pages and emails, readable with white; "": Convier's own.
    organiser_colour: Mapped[str] = mapped_column(String(7), default="", server_default="")
    # The organiser's logo (service.events.logos), read only by /brand/<id>/logo: deferred, so
    # that neither the pages nor the events kept per process (shown.py) carry its bytes.
    organiser_logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Its media type ("image/png"…); "": no logo. What the pages ask to know whether there is one.
    organiser_logo_type: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # Raised whenever what invitees are shown changes (title, dates, venue, programme,
    # questions): it keys the page cache, and calendars' SEQUENCE.
    content_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seats_held: Mapped[int] = mapped_column(Integer, default=0)
    waitlist_count: Mapped[int] = mapped_column(Integer, default=0)
    waitlist_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sessions: Mapped[list[ProgrammeSession]] = relationship(
        back_populates="event", order_by="ProgrammeSession.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="event", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def claim_window(self) -> timedelta:
        """How long an offered seat is held for the person it is offered to."""
        return timedelta(hours=self.claim_window_hours)

    @property
    def closes_at(self) -> datetime:
        """When registration closes: the configured moment, else the start of the event."""
        return self.registration_closes_at or self.starts_at

    def is_open(self, now: datetime) -> bool:
        """Whether registrations are accepted at `now` (never once the event is cancelled)."""
        opens = self.registration_opens_at
        open_window = (opens is None or opens <= now) and now < self.closes_at
        return open_window and self.cancelled_at is None

    @property
    def seats_free(self) -> int:
        """Seats neither confirmed nor offered (never negative after a capacity cut)."""
        return max(self.capacity - self.seats_held, 0)


class ProgrammeSession(Base):
    """A timed part of the programme."""

    __tablename__ = "programme_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[Event] = relationship(back_populates="sessions")
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="session", order_by="Speaker.position", cascade="all, delete-orphan"
    )


class Speaker(Base):
    """A person who speaks in a session, with their function and organisation."""

    __tablename__ = "speaker"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_session.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    function: Mapped[str] = mapped_column(String(300), default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")
    role: Mapped[SpeakerRole] = mapped_column(
        enum_column(SpeakerRole, "speaker_role"), default=SpeakerRole.INTERVENTION
    )

    session: Mapped[ProgrammeSession] = relationship(back_populates="speakers")


class Question(Base):
    """A question asked at registration (lunch, the drink after…)."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(500))
    label_en: Mapped[str] = mapped_column(String(500), default="")
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, "question_kind"))
    choices: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The same options in English, in the same order; empty: English pages show the French.
    choices_en: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    required: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship(back_populates="questions")
