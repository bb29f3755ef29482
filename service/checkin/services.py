"""Letting people in: a scanned ticket (or a name picked from the list) checks its person in
once, whatever the number of devices scanning it at the same moment; the second device hears
when and where the first one did. Offline devices send their scans later with the moment they
were made, and the earliest scan of a person is the one kept.

A check-in is one conditional UPDATE (confirmed → attended) of the registration row: the row's
lock decides between two devices, and seats are not touched (an attended person keeps the seat),
so the event's lock is not taken on this path (bench/RESULTS.md, the door).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from contacts.models import Contact, display_name
from contacts.services import clean_email
from service.audit.services import record
from service.config import Settings
from service.db import utcnow
from service.errors import Conflict, Invalid
from service.registrations import organiser, services
from service.registrations.models import Invitation, Registration, RegistrationStatus
from service.registrations.tickets import (
    TicketClaim,
    TicketProblem,
    read_ticket,
    ticket_code,
)

Status = RegistrationStatus
DEVICE_LENGTH = 80


class Verdict(enum.StrEnum):
    """What the door screen shows: green, orange or red."""

    WELCOME = "welcome"
    ALREADY_IN = "already_in"
    REFUSED = "refused"
    UNDONE = "undone"  # a check-in taken back


class Refusal(enum.StrEnum):
    """Why a code lets no one in."""

    NONE = ""
    NOT_A_TICKET = "not_a_ticket"
    PERSONAL_LINK = "personal_link"  # the QR of an older confirmation: the person's own page
    FORGED = "forged"
    OTHER_EVENT = "other_event"
    REPLACED = "replaced"  # a ticket of an earlier seat of the same person
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"


@dataclass(frozen=True)
class Scan:
    """The answer to one scan, as every door (page, CLI, sync) shows it."""

    verdict: Verdict
    refusal: Refusal = Refusal.NONE
    registration_id: int | None = None
    name: str = ""
    organisation: str = ""
    attended_at: datetime | None = None
    attended_by: str = ""

    def as_json(self) -> dict[str, Any]:
        """The scan for the door page."""
        return {
            "verdict": self.verdict.value,
            "refusal": self.refusal.value,
            "registration_id": self.registration_id,
            "name": self.name,
            "organisation": self.organisation,
            "attended_at": self.attended_at.isoformat() if self.attended_at else None,
            "attended_by": self.attended_by,
        }


@dataclass(frozen=True)
class DoorCounts:
    """People inside, out of those holding a confirmed seat."""

    inside: int
    expected: int


def _refused(reason: Refusal) -> Scan:
    return Scan(Verdict.REFUSED, reason)


def _problem_refusal(problem: TicketProblem, code: str) -> Refusal:
    if problem is TicketProblem.FORGED:
        return Refusal.FORGED
    # Confirmations once carried the personal link in their QR code: say so at the door.
    return Refusal.PERSONAL_LINK if "/r/" in code else Refusal.NOT_A_TICKET


def claim_of(settings: Settings, event_id: int, code: str) -> TicketClaim | Refusal:
    """The registration a scanned code names for this event, or why it names none."""
    claim = read_ticket(settings.signing_keys, code)
    if isinstance(claim, TicketProblem):
        return _problem_refusal(claim, code)
    if claim.event_id != event_id:
        return Refusal.OTHER_EVENT
    return claim


def _device(device: str) -> str:
    cleaned = " ".join(device.split())
    if not cleaned:
        raise Invalid("device", "name this device (e.g. « Porte 1 »)")
    return cleaned[:DEVICE_LENGTH]


def check_in(
    session: Session,
    settings: Settings,
    event_id: int,
    code: str,
    device: str,
    actor: str,
    scanned_at: datetime | None = None,
) -> Scan:
    """Check in the holder of a scanned ticket; `scanned_at`: when an offline device scanned it."""
    claim = claim_of(settings, event_id, code)
    if isinstance(claim, Refusal):
        return _refused(claim)
    return admit(session, event_id, claim.registration_id, device, actor, scanned_at, claim.serial)


def admit(
    session: Session,
    event_id: int,
    registration_id: int,
    device: str,
    actor: str,
    scanned_at: datetime | None = None,
    serial: int | None = None,
) -> Scan:
    """Check in one registration (of a ticket, or of a name picked at the door)."""
    device = _device(device)
    now = utcnow()
    # A device's clock may run ahead: a scan is never recorded later than it reached us.
    moment = min(scanned_at, now) if scanned_at else now
    conditions = [Registration.status == Status.CONFIRMED]
    if serial is not None:
        conditions.append(Registration.ticket_serial == serial)
    entered, person = _switch(
        session,
        event_id,
        registration_id,
        conditions,
        {"status": Status.ATTENDED, "attended_at": moment, "attended_by": device},
    )
    if person is None:
        return _refused(Refusal.UNKNOWN)
    registration, contact = person
    if entered:
        record(session, actor, "registration.checked_in", event_id, contact.email, device=device)
        return _scan(Verdict.WELCOME, registration, contact)
    if serial is not None and registration.ticket_serial != serial:
        return _scan(Verdict.REFUSED, registration, contact, Refusal.REPLACED)
    if registration.status is Status.ATTENDED:
        if scanned_at is not None:  # an offline scan: it may have been the first
            _keep_earliest(session, registration, moment, device)
        return _scan(Verdict.ALREADY_IN, registration, contact)
    refusal = _STATE_REFUSALS.get(registration.status, Refusal.UNKNOWN)
    return _scan(Verdict.REFUSED, registration, contact, refusal)


_STATE_REFUSALS = {
    Status.CANCELLED: Refusal.CANCELLED,
    Status.DECLINED: Refusal.DECLINED,
    Status.WAITLISTED: Refusal.WAITLISTED,
    Status.OFFERED: Refusal.OFFERED,
}


def _keep_earliest(
    session: Session, registration: Registration, moment: datetime, device: str
) -> None:
    """Two devices let the same person in while apart: the earlier scan is the one kept."""
    if registration.attended_at is None or moment >= registration.attended_at:
        return
    session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.attended_at > moment)
        .values(attended_at=moment, attended_by=device)
        .execution_options(synchronize_session=False)
    )
    registration.attended_at, registration.attended_by = moment, device


def _switch(
    session: Session,
    event_id: int,
    registration_id: int,
    conditions: list[Any],
    values: dict[str, Any],
) -> tuple[bool, tuple[Registration, Contact] | None]:
    """One conditional UPDATE of the event's registration (the row's lock decides between
    devices), then the registration and its person as they now stand."""
    switched = session.execute(
        update(Registration)
        .where(Registration.id == registration_id, Registration.event_id == event_id, *conditions)
        .values(**values)
        .returning(Registration.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    return switched is not None, _person(session, event_id, registration_id)


def _person(
    session: Session, event_id: int, registration_id: int
) -> tuple[Registration, Contact] | None:
    row = session.execute(
        select(Registration, Contact)
        .join(Invitation, Invitation.id == Registration.invitation_id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Registration.id == registration_id, Registration.event_id == event_id)
        .execution_options(populate_existing=True)
    ).first()
    return (row[0], row[1]) if row else None


def _scan(
    verdict: Verdict, registration: Registration, contact: Contact, refusal: Refusal = Refusal.NONE
) -> Scan:
    return Scan(
        verdict,
        refusal,
        registration.id,
        display_name(contact.first_name, contact.last_name, contact.email),
        contact.organisation,
        registration.attended_at if registration.status is Status.ATTENDED else None,
        registration.attended_by if registration.status is Status.ATTENDED else "",
    )


def undo(session: Session, event_id: int, registration_id: int, actor: str) -> Scan:
    """Take back a check-in made by mistake: the person is confirmed again, not inside."""
    left, person = _switch(
        session,
        event_id,
        registration_id,
        [Registration.status == Status.ATTENDED],
        {"status": Status.CONFIRMED, "attended_at": None, "attended_by": ""},
    )
    if person is None:
        return _refused(Refusal.UNKNOWN)
    registration, contact = person
    if not left:
        raise Conflict(f"{contact.email} is not checked in", fields={"registration": "not inside"})
    record(session, actor, "registration.check_in_undone", event_id, contact.email)
    return _scan(Verdict.UNDONE, registration, contact)


def walk_in(
    session: Session,
    settings: Settings,
    event_id: int,
    email: str,
    name: str,
    device: str,
    actor: str,
) -> Scan:
    """Register a person at the door and let them in, while a seat is free and nobody waits for
    one (never the waitlist: they are standing there). They get the confirmation, with their
    ticket, like everyone."""
    email = clean_email(email)  # a mistyped address is said before anything else
    event = services.lock_event(session, event_id)
    if event.cancelled_at is not None:
        raise Conflict("the event is cancelled")
    if event.seats_free <= 0:
        raise Conflict("no seat is free", fields={"capacity": "full"})
    if event.waitlist_count:
        # People waiting are served before newcomers (DESIGN, invariant 2), at the door too.
        raise Conflict("people are waiting for a seat", fields={"waitlist": "people waiting"})
    registration = organiser.register_by_hand(
        session, settings, event_id, email, name, actor, at_door=True
    )
    return admit(session, event_id, registration.id, device, actor)


def door_counts(session: Session, event_id: int) -> DoorCounts:
    """People inside and people expected (confirmed, inside or not), from the status index."""
    rows = session.execute(
        select(Registration.status, func.count().label("people"))
        .where(
            Registration.event_id == event_id,
            Registration.status.in_([Status.CONFIRMED, Status.ATTENDED]),
        )
        .group_by(Registration.status)
    )
    by_status = {row.status: row.people for row in rows}
    inside = by_status.get(Status.ATTENDED, 0)
    return DoorCounts(inside, inside + by_status.get(Status.CONFIRMED, 0))


# A waiting, offered or cancelled person may still come to the door with a ticket in hand: the
# list holds them too, so that an offline device refuses them with the right reason.
LISTED = (Status.CONFIRMED, Status.ATTENDED, Status.OFFERED, Status.WAITLISTED, Status.CANCELLED)


def ticket_list(session: Session, settings: Settings, event_id: int) -> list[dict[str, Any]]:
    """What a door device keeps to work offline: each person's current ticket, name, state."""
    rows = session.execute(
        select(
            Registration.id,
            Registration.status,
            Registration.ticket_serial,
            Registration.attended_at,
            Registration.attended_by,
            Contact.first_name,
            Contact.last_name,
            Contact.email,
            Contact.organisation,
        )
        .join(Invitation, Invitation.id == Registration.invitation_id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Registration.event_id == event_id, Registration.status.in_(LISTED))
        .order_by(Contact.last_name, Contact.first_name, Registration.id)
    )
    keys = settings.signing_keys
    return [
        {
            "id": row.id,
            "code": ticket_code(keys, event_id, row.id, row.ticket_serial),
            "name": display_name(row.first_name, row.last_name, row.email),
            "organisation": row.organisation,
            "status": row.status.value,
            "attended_at": row.attended_at.isoformat() if row.attended_at else None,
            "attended_by": row.attended_by,
        }
        for row in rows
    ]
