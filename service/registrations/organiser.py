"""What an organiser does for one person from the back office or the CLI: invite them (and email
the invitation), register them by hand, cancel for them, give a waiting person a free seat, move
them up the waitlist, send their confirmation again. Each step runs under the event's lock, like
the invitee's own, and is written to the audit log with who took it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit.services import record
from service.config import Settings
from service.db import utcnow
from service.errors import Conflict, NotFound
from service.events.models import WaitlistPolicy
from service.mail.dispatch import send_after_commit
from service.mail.kinds import Email
from service.mail.outbox import NewMessage, queue
from service.registrations import services
from service.registrations.errors import WrongState
from service.registrations.invitations import invite
from service.registrations.models import Invitation, Registration, RegistrationStatus
from service.registrations.notices import notify

Status = RegistrationStatus


def _registration(session: Session, event_id: int, registration_id: int) -> Registration:
    """The registration, read afresh after the event's lock; NotFound when it is not the event's."""
    registration = session.get(Registration, registration_id, populate_existing=True)
    if registration is None or registration.event_id != event_id:
        raise NotFound(f"no registration {registration_id} for event {event_id}")
    return registration


def _expect(registration: Registration, *statuses: Status) -> None:
    if registration.status not in statuses:
        raise WrongState(f"the registration is {registration.status.value}")


def _subject(session: Session, registration: Registration) -> str:
    invitation = session.get(Invitation, registration.invitation_id)
    assert invitation is not None
    return invitation.contact.email


def invite_one(
    session: Session,
    settings: Settings,
    event_id: int,
    email: str,
    name: str | tuple[str, str],
    send: bool,
    actor: str,
    language: str = "fr",
) -> Invitation:
    """Invite one address (once, whatever the number of calls); `send`: email them the
    invitation now, through the outbox, like a campaign's."""
    invitation = invite(session, settings, event_id, email, name, language)
    if send:
        contact = invitation.contact
        message = NewMessage(
            key=f"invitation:{invitation.id}:{utcnow().isoformat()}",
            template=Email.INVITATION,
            event_id=event_id,
            contact_id=contact.id,
            language=contact.language,
            invitation_id=invitation.id,
        )
        send_after_commit(session, queue(session, [message]))
    action = "invitation.sent" if send else "invitation.created"
    record(session, actor, action, event_id, invitation.contact.email)
    return invitation


def register_by_hand(
    session: Session,
    settings: Settings,
    event_id: int,
    email: str,
    name: str,
    actor: str,
    at_door: bool = False,
) -> Registration:
    """Register a person the organiser names (a speaker, a guest): a seat if one is free, else
    the waitlist, as if they had clicked; they get the same emails. `at_door`: the person is
    there, registrations may have closed."""
    invitation = invite(session, settings, event_id, email, name)
    registration = services.register(session, invitation, {}, at_door=at_door)
    address, status = invitation.contact.email, registration.status.value
    record(session, actor, "registration.added", event_id, address, status=status)
    return registration


def cancel_for(session: Session, event_id: int, registration_id: int, actor: str) -> Registration:
    """Cancel someone's seat, offer or waitlist place; they are told, and a freed seat goes on."""
    services.lock_event(session, event_id)
    registration = _registration(session, event_id, registration_id)
    invitation = session.get(Invitation, registration.invitation_id)
    assert invitation is not None
    services.cancel(session, invitation)
    record(session, actor, "registration.cancelled", event_id, invitation.contact.email)
    return registration


def give_seat(
    session: Session, event_id: int, registration_id: int, actor: str, now: datetime | None = None
) -> Registration:
    """Give a free seat to this person waiting, ahead of their turn: offered or confirmed as the
    event's waitlist policy says; Conflict when no seat is free (raise the capacity first)."""
    event = services.lock_event(session, event_id)
    registration = _registration(session, event_id, registration_id)
    _expect(registration, Status.WAITLISTED)
    if event.seats_free <= 0:
        raise Conflict("no seat is free: raise the capacity first", fields={"capacity": "full"})
    now = now or utcnow()
    seat = Status.OFFERED if event.waitlist_policy is WaitlistPolicy.OFFER else Status.CONFIRMED
    services.shift_counters(session, event, held=1, waiting=-1)
    services.hold_seat(event, registration, seat, now)
    session.flush()
    template = Email.SEAT_OFFERED if seat is Status.OFFERED else Email.CONFIRMED_FROM_WAITLIST
    notify(session, [registration], template, now)
    address = _subject(session, registration)
    record(session, actor, "registration.seat_given", event_id, address, status=seat.value)
    return registration


def move_up(session: Session, event_id: int, registration_id: int, actor: str) -> Registration:
    """Put this person waiting first in line (the others keep their order behind them)."""
    services.lock_event(session, event_id)
    registration = _registration(session, event_id, registration_id)
    _expect(registration, Status.WAITLISTED)
    first = session.scalar(
        select(func.min(Registration.waitlist_position)).where(
            Registration.event_id == event_id, Registration.status == Status.WAITLISTED
        )
    )
    if first is not None and first < (registration.waitlist_position or 0):
        registration.waitlist_position = first - 1
        session.flush()
        record(session, actor, "registration.moved_up", event_id, _subject(session, registration))
    return registration


def resend_confirmation(
    session: Session, event_id: int, registration_id: int, actor: str
) -> Registration:
    """Send a confirmed person their confirmation again (with its calendar entry and ticket)."""
    registration = _registration(session, event_id, registration_id)
    _expect(registration, Status.CONFIRMED)
    notify(session, [registration], Email.CONFIRMATION, utcnow())
    address = _subject(session, registration)
    record(session, actor, "registration.confirmation_resent", event_id, address)
    return registration
