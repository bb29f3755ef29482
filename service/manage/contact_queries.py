"""Everything the back office shows of one contact: its lists, its invitations and the emails
written to it, with their fate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contacts.models import Contact, MailingList, Membership, Suppression
from contacts.suppression import suppression_of
from service.config import Settings
from service.errors import NotFound
from service.events.models import Event
from service.mail.models import Message
from service.registrations.models import Invitation, Registration

_MESSAGE_LINE = (
    Event.title,
    Message.template,
    Message.status,
    Message.created_at,
    Message.last_error,
)


@dataclass(frozen=True)
class ContactFile:
    """Everything the back office shows of one contact."""

    contact: Contact
    lists: list[tuple[int, str, str, datetime]]  # id, name, source, joined
    invitations: list[tuple[int, str, datetime | None, datetime | None, Any]]
    messages: list[tuple[str, str, str, datetime, str]]  # event, email, status, at, error
    suppression: Suppression | None


def contact_file(session: Session, settings: Settings, contact_id: int) -> ContactFile:
    """The contact, its lists, its invitations (event, sent, answered, registration state) and
    the emails written to it with their fate; NotFound for an unknown id."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    lists = session.execute(
        select(MailingList.id, MailingList.name, Membership.source, Membership.added_at)
        .join(Membership, Membership.list_id == MailingList.id)
        .where(Membership.contact_id == contact_id)
        .order_by(MailingList.name)
    ).all()
    invitations = session.execute(
        select(Event.id, Event.title, Invitation.sent_at, Invitation.responded_at, Registration)
        .join(Event, Event.id == Invitation.event_id)
        .outerjoin(Registration, Registration.invitation_id == Invitation.id)
        .where(Invitation.contact_id == contact_id)
        .order_by(Event.starts_at.desc())
    ).all()
    messages = session.execute(
        select(*_MESSAGE_LINE)
        .join(Event, Event.id == Message.event_id)
        .where(Message.contact_id == contact_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(100)
    ).all()
    return ContactFile(
        contact,
        [tuple(row) for row in lists],  # type: ignore[misc]
        [tuple(row) for row in invitations],  # type: ignore[misc]
        [tuple(row) for row in messages],  # type: ignore[misc]
        suppression_of(session, settings, contact.email),
    )
