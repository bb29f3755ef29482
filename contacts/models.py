"""The contact: one person, known by a normalised email address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime, utcnow


def normalise_email(address: str) -> str:
    """The form under which an address is stored and compared: trimmed, lower case."""
    return address.strip().lower()


class Contact(Base):
    """A person who can be invited."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(8), default="fr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def display_name(self) -> str:
        """First and last name, or the address when no name is known."""
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email
