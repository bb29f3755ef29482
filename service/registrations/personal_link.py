"""What a personal link's page and its buttons need, read in one statement: the person, their
registration, the event's live counters; the event itself comes from the per-process copy of
`service.events.shown`. This is the path of the registration rush (bench/RESULTS.md): the
statements are built once, at import, not on every click.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from contacts.models import Contact, display_name
from service.config import Settings
from service.events.models import Event
from service.events.shown import shown_event
from service.registrations.invitations import link_claim
from service.registrations.models import Invitation, Registration, RegistrationStatus
from service.registrations.queries import WAITLIST_RANK
from service.security import LinkProblem, LinkRefused


@dataclass(frozen=True)
class Invitee:
    """The person an invitation was sent to, as their page and the registration service use it."""

    invitation_id: int
    event_id: int
    contact_id: int
    email: str
    first_name: str
    last_name: str
    organisation: str
    language: str
    responded_at: datetime | None

    @property
    def name(self) -> str:
        """First and last name; "" when none is known (greet neutrally, never by address)."""
        return display_name(self.first_name, self.last_name, "")

    @property
    def display_name(self) -> str:
        """First and last name, or the address when no name is known."""
        return display_name(self.first_name, self.last_name, self.email)

    @classmethod
    def of(cls, invitation: Invitation) -> Invitee:
        """The invitee of a loaded invitation (CLI, API and tests go through the ORM)."""
        contact = invitation.contact
        return cls(
            invitation.id,
            invitation.event_id,
            contact.id,
            contact.email,
            contact.first_name,
            contact.last_name,
            contact.organisation,
            contact.language,
            invitation.responded_at,
        )


@dataclass(frozen=True)
class Standing:
    """The person's registration as their page shows it."""

    id: int
    status: RegistrationStatus
    waitlist_position: int | None
    waitlist_rank: int | None  # 1 for the first person waiting
    offer_expires_at: datetime | None
    answers: dict[str, Any]
    ticket_serial: int = 1


@dataclass(frozen=True)
class Seats:
    """The event's live counters."""

    capacity: int
    held: int
    waiting: int

    @property
    def full(self) -> bool:
        """Whether someone registering now would wait: no seat free, or people waiting already
        (the condition of services._FREE, read without the lock: the click decides)."""
        return self.waiting > 0 or self.held >= self.capacity


@dataclass(frozen=True)
class PersonalLink:
    """Everything behind one personal link."""

    invitee: Invitee
    event: Event  # shared and detached: read only
    registration: Standing | None
    seats: Seats


_LINK = (
    select(
        Invitation.id,
        Invitation.token_version,
        Invitation.event_id,
        Invitation.contact_id,
        Invitation.responded_at,
        Contact.email,
        Contact.first_name,
        Contact.last_name,
        Contact.organisation,
        Contact.language,
        Event.created_at.label("event_created_at"),
        Event.content_version,
        Event.capacity,
        Event.seats_held,
        Event.waitlist_count,
        Registration.id.label("registration_id"),
        Registration.status,
        Registration.waitlist_position,
        Registration.offer_expires_at,
        Registration.answers,
        Registration.ticket_serial,
        WAITLIST_RANK.label("waitlist_rank"),
    )
    .join(Contact, Contact.id == Invitation.contact_id)
    .join(Event, Event.id == Invitation.event_id)
    .outerjoin(Registration, Registration.invitation_id == Invitation.id)
    .where(Invitation.public_id == bindparam("public_id"))
)


def open_link(session: Session, settings: Settings, token: str) -> PersonalLink:
    """What the personal link `token` points to; LinkRefused saying why not (forged and unknown
    alike)."""
    claim = link_claim(settings, token)
    row = session.connection().execute(_LINK, {"public_id": claim.public_id}).first()
    if row is None or row.token_version != claim.version:
        raise LinkRefused.of(LinkProblem.INVALID)
    return PersonalLink(
        invitee=Invitee(
            row.id,
            row.event_id,
            row.contact_id,
            row.email,
            row.first_name,
            row.last_name,
            row.organisation,
            row.language,
            row.responded_at,
        ),
        event=shown_event(session, row.event_id, row.event_created_at, row.content_version),
        registration=_standing(row),
        seats=Seats(row.capacity, row.seats_held, row.waitlist_count),
    )


def _standing(row: Any) -> Standing | None:
    if row.registration_id is None:
        return None
    return Standing(
        row.registration_id,
        row.status,
        row.waitlist_position,
        row.waitlist_rank,
        row.offer_expires_at,
        row.answers or {},
        row.ticket_serial,
    )
