"""Back-office users and the events a door account works for."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base, UTCDateTime, enum_column, utcnow


class Role(enum.StrEnum):
    """What an account is for; `service.accounts.roles` says what each may do."""

    ADMIN = "admin"  # accounts, and everything an organiser does
    ORGANISER = "organiser"  # events, lists, campaigns
    COMMS = "comms"  # everything read-only, exports, replies
    DOOR = "door"  # check-in of the events named


class User(Base):
    """A person who signs in to the back office; invitees never have one."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Raised when the password is set or the account disabled: sessions and sign-in links made
    # for an older value stop working.
    credentials_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event_links: Mapped[list[UserEvent]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def event_ids(self) -> set[int]:
        """The events this account is limited to (a door account's); empty for the others."""
        return {link.event_id for link in self.event_links}


class UserEvent(Base):
    """An event a door account may check people in for."""

    __tablename__ = "user_event"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True, index=True
    )
