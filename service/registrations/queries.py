"""Read-only views of registrations, shared by the CLI and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contacts.models import Contact
from service.db import isoformat
from service.registrations.models import Invitation, Registration

REGISTRATION_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "organisation",
    "status",
    "waitlist_position",
    "offer_expires_at",
    "confirmed_at",
    "waitlisted_at",
    "declined_at",
    "cancelled_at",
    "answers",
)


def registration_rows(session: Session, event_id: int) -> list[dict[str, Any]]:
    """One row per registration of the event: waitlist in order after the others."""
    rows = session.execute(
        select(Registration, Contact)
        .join(Invitation, Invitation.id == Registration.invitation_id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Registration.event_id == event_id)
        .order_by(
            Registration.waitlist_position.is_not(None),
            Registration.waitlist_position,
            Registration.id,
        )
    ).all()
    return [
        {
            "email": contact.email,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "organisation": contact.organisation,
            "status": registration.status.value,
            "waitlist_position": registration.waitlist_position
            if registration.status.value == "waitlisted"
            else None,
            "offer_expires_at": isoformat(registration.offer_expires_at),
            "confirmed_at": isoformat(registration.confirmed_at),
            "waitlisted_at": isoformat(registration.waitlisted_at),
            "declined_at": isoformat(registration.declined_at),
            "cancelled_at": isoformat(registration.cancelled_at),
            "answers": registration.answers,
        }
        for registration, contact in rows
    ]


def waitlist_rank(session: Session, registration: Registration) -> int | None:
    """1 for the first person waiting, and so on; None when not waitlisted."""
    if registration.status.value != "waitlisted" or registration.waitlist_position is None:
        return None
    ahead = session.scalar(
        select(func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == registration.status,
            Registration.waitlist_position < registration.waitlist_position,
        )
    )
    return int(ahead or 0) + 1
