"""Contacts, the network mailing lists they belong to, saved segments, the suppression list and
the imports of list files made in the back office."""

from __future__ import annotations

import enum
import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base, UTCDateTime, enum_column, utcnow


def normalise_email(address: str) -> str:
    """The form under which an address is stored and compared: NFKC (composed accents, no
    full-width letters), trimmed, lower case."""
    return unicodedata.normalize("NFKC", address).strip().lower()


def display_name(first_name: str, last_name: str, email: str) -> str:
    """First and last name, or the address when no name is known."""
    return " ".join(p for p in (first_name, last_name) if p) or email


class Contact(Base):
    """A person who can be invited; one row per address, whatever the number of lists."""

    __tablename__ = "contact"
    __table_args__ = (
        Index(
            "ix_contact_suppressed_at",
            "suppressed_at",
            sqlite_where=text("suppressed_at IS NOT NULL"),
            postgresql_where=text("suppressed_at IS NOT NULL"),
        ),
        # The order of people by name (registrations, members): the first page of a large
        # event reads its first names in order instead of sorting every registration.
        Index("ix_contact_name", text("lower(last_name)"), text("lower(first_name)"), "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")
    role: Mapped[str] = mapped_column(String(300), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    language: Mapped[str] = mapped_column(String(8), default="fr")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set with the suppression of the address (the suppression list keeps only a hash), so that
    # a list's suppressed members are counted without hashing every member's address.
    suppressed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="contact", cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        """First and last name, or the address when no name is known."""
        return display_name(self.first_name, self.last_name, self.email)


class MailingList(Base):
    """A network's mailing list (CNCRES, COORACE…), as imported."""

    __tablename__ = "mailing_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    network: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The columns mapped by hand at the last import, by header: the next file is read with them.
    column_mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="mailing_list", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A contact on a list, with the file it came from."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("list_id", "contact_id", name="uq_membership_list_contact"),
        Index("ix_membership_contact_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_list.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(300), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact: Mapped[Contact] = relationship(back_populates="memberships")
    mailing_list: Mapped[MailingList] = relationship(back_populates="memberships")


class SuppressionReason(enum.StrEnum):
    """Why an address must not be mailed again."""

    UNSUBSCRIBED = "unsubscribed"
    HARD_BOUNCE = "hard_bounce"
    SPAM_REPORT = "spam_report"
    ERASED = "erased"
    MANUAL = "manual"


class Suppression(Base):
    """An address never to be mailed again, kept only as a keyed hash (it outlives erasure)."""

    __tablename__ = "suppression"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[SuppressionReason] = mapped_column(
        enum_column(SuppressionReason, "suppression_reason")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Segment(Base):
    """A saved filter over lists, tags, region, organisation and event state."""

    __tablename__ = "segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportState(enum.StrEnum):
    """uploaded → checking → checked → importing → done; failed when the file cannot be read."""

    UPLOADED = "uploaded"  # read, its columns waiting to be mapped
    CHECKING = "checking"
    CHECKED = "checked"
    IMPORTING = "importing"
    DONE = "done"
    FAILED = "failed"


class ListImport(Base):
    """A list file uploaded in the back office, kept until it is imported, with the progress and
    the report of its check and of its import. The file is kept in the database, so that any
    worker can read it; it is deleted once imported (it holds personal data)."""

    __tablename__ = "list_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_name: Mapped[str] = mapped_column(String(200))
    network: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(300), default="")  # the file's name
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # column -> field or ""
    sheet: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[ImportState] = mapped_column(
        enum_column(ImportState, "import_state"), default=ImportState.UPLOADED
    )
    phase: Mapped[str] = mapped_column(String(20), default="")  # checking, writing
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    problem: Mapped[str] = mapped_column(Text, default="")  # why the file could not be read
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
