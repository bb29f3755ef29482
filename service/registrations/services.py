"""The registration service: every change to seats and the waitlist of an event happens here,
under the event's lock, and keeps the event's counters (`seats_held`, `waitlist_count`) exact.

The lock is the event row: `SELECT … FOR UPDATE` on PostgreSQL; on SQLite the write transaction
itself (`BEGIN IMMEDIATE`) already excludes every other writer. The caller owns the transaction.
Timestamps are taken after the lock, so that they follow the order in which seats are decided.

The counters change in one way only, an UPDATE of the event row: `claim_place` (a seat or a
waitlist place, decided by the statement itself: the hot path, see bench/RESULTS.md) and
`shift_counters` (every other step). Which state a step leads to is read from `models.STEPS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, case, select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from service.db import insert_ignoring_duplicates, utcnow
from service.errors import Invalid
from service.events.models import Event, WaitlistPolicy
from service.mail.kinds import Email
from service.registrations.answers import clean_answers
from service.registrations.errors import OfferExpired, RegistrationClosed, WrongState
from service.registrations.models import (
    STEPS,
    EndReason,
    Invitation,
    Registration,
    RegistrationStatus,
    Step,
)
from service.registrations.notices import notify, notify_invitee
from service.registrations.personal_link import Invitee, PersonalLink, Seats, Standing

Status = RegistrationStatus


def lock_event(session: Session, event_id: int) -> Event:
    """The event, re-read under its lock; every seat decision is made after this call."""
    stmt = (
        select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.execute(stmt).scalar_one()


def _current(session: Session, invitation_id: int) -> Registration | None:
    stmt = (
        select(Registration)
        .where(Registration.invitation_id == invitation_id)
        .execution_options(populate_existing=True)
    )
    return session.scalar(stmt)


def _next_status(step: Step, registration: Registration | None) -> Status:
    """Where `step` takes the registration (models.STEPS); WrongState when it does not apply."""
    current = registration.status if registration is not None else None
    status = STEPS[step].get(current)
    if status is None:
        raise WrongState(f"cannot {step} a registration that is {current or 'missing'}")
    return status


def _taking(step: Step, registration: Registration | None) -> Registration:
    """The registration, when `step` applies to it (never to a missing one, except decline)."""
    _next_status(step, registration)
    assert registration is not None
    return registration


def shift_counters(session: Session, event: Event, held: int = 0, waiting: int = 0) -> None:
    """Add `held` seats and `waiting` waitlist places to the event's counters (negative: give
    back) in one statement; the loaded event follows."""
    row = session.execute(
        sa_update(Event)
        .where(Event.id == event.id)
        .values(
            seats_held=Event.seats_held + held,
            waitlist_count=Event.waitlist_count + waiting,
        )
        .returning(Event.seats_held, Event.waitlist_count)
        .execution_options(synchronize_session=False)
    ).one()
    set_committed_value(event, "seats_held", row.seats_held)
    set_committed_value(event, "waitlist_count", row.waitlist_count)


def hold_seat(event: Event, registration: Registration, status: Status, now: datetime) -> None:
    """Give the registration a seat: offered until the claim window ends, or confirmed."""
    registration.status = status
    registration.waitlist_position = None
    if status is Status.OFFERED:
        registration.offered_at = now
        registration.offer_expires_at = now + event.claim_window
    else:
        registration.confirmed_at = now
        registration.offer_expires_at = None


def _leave(
    session: Session, event: Event, registration: Registration, reason: EndReason, now: datetime
) -> None:
    """Cancel an active registration, giving back its seat or its waitlist place."""
    if registration.status.holds_seat:
        shift_counters(session, event, held=-1)
    elif registration.status is Status.WAITLISTED:
        shift_counters(session, event, waiting=-1)
    registration.status = Status.CANCELLED
    registration.end_reason = reason
    registration.offer_expires_at = None
    registration.cancelled_at = now


def register(
    session: Session,
    invitation: Invitation | PersonalLink,
    answers: Mapping[str, Any],
    now: datetime | None = None,
    at_door: bool = False,
) -> Registration:
    """Confirm the invitee, or waitlist them; asking again keeps the same registration;
    `at_door`: a walk-in, registered by the door staff once registrations may have closed.

    Everything that needs no lock happens first; the seat is then decided by one atomic UPDATE of
    the event's counters (which takes the event's row lock) and the registration written, so that
    the lock is held for a few statements and the commit. Rows are locked in the order every
    other step uses: the event first, then the invitation.
    """
    link = invitation if isinstance(invitation, PersonalLink) else _link_of(session, invitation)
    invitee, event, current = link.invitee, link.event, link.registration
    if current is not None and current.status.is_active:
        return _current(session, invitee.invitation_id)  # type: ignore[return-value]
    if not (at_door or event.is_open(now or utcnow())):
        raise RegistrationClosed(event.title)
    cleaned = clean_answers(event, answers)
    seated, position = claim_place(session, invitee.event_id)
    moment = now or utcnow()
    values = _place_values(seated, position, moment) | {
        "answers": cleaned,
        "end_reason": EndReason.NONE,
    }
    written = _write_place(session, invitee, current, values)
    if written is None:
        # Another request of the same person won the race: give back what was counted.
        session.connection().execute(
            _GIVE_BACK_SEAT if seated else _GIVE_BACK_PLACE, {"claimed_event": event.id}
        )
        return _current(session, invitee.invitation_id)  # type: ignore[return-value]
    if invitee.responded_at is None:
        session.connection().execute(
            _MARK_RESPONDED, {"responding": invitee.invitation_id, "moment": moment}
        )
    notify_invitee(
        session, written, invitee, Email.CONFIRMATION if seated else Email.WAITLISTED, moment
    )
    return written


def _link_of(session: Session, invitation: Invitation) -> PersonalLink:
    """The personal link's view of an invitation loaded through the ORM (CLI, API, tests)."""
    registration = _current(session, invitation.id)
    event = invitation.event
    return PersonalLink(
        invitee=Invitee.of(invitation),
        event=event,
        registration=None
        if registration is None
        else Standing(
            registration.id,
            registration.status,
            registration.waitlist_position,
            None,
            registration.offer_expires_at,
            registration.answers,
            registration.ticket_serial,
        ),
        seats=Seats(event.capacity, event.seats_held, event.waitlist_count),
    )


_MARK_RESPONDED = (
    sa_update(Invitation)
    .where(Invitation.id == bindparam("responding"), Invitation.responded_at.is_(None))
    .values(responded_at=bindparam("moment"))
)
_FREE = and_(Event.waitlist_count == 0, Event.seats_held < Event.capacity)
_CLAIM = (
    sa_update(Event)
    .where(Event.id == bindparam("claimed_event"))
    .values(
        seats_held=Event.seats_held + case((_FREE, 1), else_=0),
        waitlist_count=Event.waitlist_count + case((_FREE, 0), else_=1),
        waitlist_seq=Event.waitlist_seq + case((_FREE, 0), else_=1),
    )
    .returning(Event.waitlist_count, Event.waitlist_seq)
)
_GIVE_BACK_SEAT = (
    sa_update(Event)
    .where(Event.id == bindparam("claimed_event"))
    .values(seats_held=Event.seats_held - 1)
)
_GIVE_BACK_PLACE = (
    sa_update(Event)
    .where(Event.id == bindparam("claimed_event"))
    .values(waitlist_count=Event.waitlist_count - 1)
)


def claim_place(session: Session, event_id: int) -> tuple[bool, int | None]:
    """Take a seat, or the next waitlist place, in one statement: (seated?, waitlist position).

    People already waiting are served before newcomers, even when a seat is free. In an UPDATE
    every SET expression sees the row as it was, and the row stays locked until commit.
    """
    row = session.connection().execute(_CLAIM, {"claimed_event": event_id}).one()
    # A seat can only be given when nobody waits, and then nobody waits afterwards either.
    seated = row.waitlist_count == 0
    return seated, None if seated else row.waitlist_seq


STEP_TIMES = (
    "confirmed_at",
    "waitlisted_at",
    "offered_at",
    "declined_at",
    "cancelled_at",
    "attended_at",
)


def _place_values(seated: bool, position: int | None, now: datetime) -> dict[str, Any]:
    """The columns of a registration that has just been seated or waitlisted; the times of an
    earlier, ended episode are cleared."""
    values: dict[str, Any] = dict.fromkeys(STEP_TIMES) | {"offer_expires_at": None}
    if seated:
        return values | {"status": Status.CONFIRMED, "confirmed_at": now, "waitlist_position": None}
    return values | {
        "status": Status.WAITLISTED,
        "waitlisted_at": now,
        "waitlist_position": position,
    }


@cache
def _insert_registration(dialect: str) -> Any:
    return insert_ignoring_duplicates(dialect, Registration, Registration.invitation_id).returning(
        Registration.id
    )


def _write_place(
    session: Session,
    invitee: Invitee,
    current: Standing | None,
    values: dict[str, Any],
) -> Registration | None:
    """Insert the registration, or reopen a declined or cancelled one; None when another request
    of the same person got there first."""
    if current is None:
        connection = session.connection()
        inserted = connection.execute(
            _insert_registration(connection.dialect.name),
            {
                "invitation_id": invitee.invitation_id,
                "event_id": invitee.event_id,
                "created_at": utcnow(),
                **values,
            },
        ).scalar()
        if inserted is None:
            return None
        # The row just written, as written: not read back, nor added to the session.
        return Registration(
            id=inserted, invitation_id=invitee.invitation_id, event_id=invitee.event_id, **values
        )
    reopened = session.execute(
        sa_update(Registration)
        .where(
            Registration.id == current.id,
            Registration.status.in_([Status.DECLINED, Status.CANCELLED]),
        )
        # A seat taken again gets a new ticket: the one of the cancelled seat stays refused.
        .values(**values, ticket_serial=Registration.ticket_serial + 1)
        .returning(Registration.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if reopened is None:
        return None
    return session.get(Registration, current.id, populate_existing=True)


def decline(session: Session, invitation: Invitation, now: datetime | None = None) -> Registration:
    """Record that the invitee will not come; a held seat or waitlist place is given back."""
    event = lock_event(session, invitation.event_id)
    now = now or utcnow()
    registration = _current(session, invitation.id)
    status = _next_status(Step.DECLINE, registration)
    if registration is None:
        registration = Registration(invitation_id=invitation.id, event_id=event.id, answers={})
        registration.status = status
        registration.declined_at = now
        session.add(registration)
    elif registration.status.is_active:
        _release(session, event, registration, EndReason.DECLINED, now)
    invitation.responded_at = invitation.responded_at or now
    session.flush()
    return registration


def cancel(session: Session, invitation: Invitation, now: datetime | None = None) -> Registration:
    """Cancel a seat or leave the waitlist; a freed seat goes to the first person waiting."""
    event = lock_event(session, invitation.event_id)
    now = now or utcnow()
    registration = _taking(Step.CANCEL, _current(session, invitation.id))
    _release(session, event, registration, EndReason.CANCELLED, now)
    session.flush()
    notify_invitee(session, registration, Invitee.of(invitation), Email.CANCELLATION, now)
    return registration


def accept_offer(
    session: Session, invitation: Invitation, now: datetime | None = None
) -> Registration:
    """Take an offered seat before its deadline."""
    lock_event(session, invitation.event_id)
    now = now or utcnow()
    registration = _taking(Step.ACCEPT, _current(session, invitation.id))
    if registration.status is Status.CONFIRMED:
        return registration  # a second click
    assert registration.offer_expires_at is not None
    if now >= registration.offer_expires_at:
        raise OfferExpired(registration.offer_expires_at.isoformat())
    registration.status = Status.CONFIRMED
    registration.confirmed_at = now
    registration.offer_expires_at = None
    session.flush()
    notify_invitee(session, registration, Invitee.of(invitation), Email.CONFIRMATION, now)
    return registration


def release_offer(
    session: Session, invitation: Invitation, now: datetime | None = None
) -> Registration:
    """Turn down an offered seat; it passes to the next person waiting."""
    event = lock_event(session, invitation.event_id)
    now = now or utcnow()
    registration = _taking(Step.RELEASE, _current(session, invitation.id))
    _release(session, event, registration, EndReason.OFFER_RELEASED, now)
    session.flush()
    return registration


def _release(
    session: Session, event: Event, registration: Registration, reason: EndReason, now: datetime
) -> None:
    freed = registration.status.holds_seat
    _leave(session, event, registration, reason, now)
    if freed:
        session.flush()
        _fill_free_seats(session, event, now)


def _fill_free_seats(
    session: Session, event: Event, now: datetime, manual: bool = False
) -> list[Registration]:
    """Give free seats to the waitlist in order, confirmed or offered as the event's policy says."""
    if event.waitlist_policy is WaitlistPolicy.MANUAL and not manual:
        return []
    free = min(event.capacity - event.seats_held, event.waitlist_count)
    if free <= 0:
        return []
    waiting = session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == Status.WAITLISTED)
        .order_by(Registration.waitlist_position)
        .limit(free)
        .execution_options(populate_existing=True)
    ).all()
    seat = Status.OFFERED if event.waitlist_policy is WaitlistPolicy.OFFER else Status.CONFIRMED
    shift_counters(session, event, held=len(waiting), waiting=-len(waiting))
    for registration in waiting:
        hold_seat(event, registration, seat, now)
    session.flush()
    template = Email.SEAT_OFFERED if seat is Status.OFFERED else Email.CONFIRMED_FROM_WAITLIST
    notify(session, waiting, template, now)
    return list(waiting)


def promote(session: Session, event_id: int, now: datetime | None = None) -> list[Registration]:
    """The organiser gives free seats to the first people waiting (any waitlist policy)."""
    event = lock_event(session, event_id)
    return _fill_free_seats(session, event, now or utcnow(), manual=True)


def set_capacity(
    session: Session, event_id: int, capacity: int, now: datetime | None = None
) -> Event:
    """Change the capacity: more seats go to the waitlist; fewer never remove anyone confirmed."""
    if capacity < 0:
        raise Invalid("capacity", "zero or more")
    event = lock_event(session, event_id)
    event.capacity = capacity
    session.flush()
    _fill_free_seats(session, event, now or utcnow())
    return event


def expire_offers(
    session: Session, event_id: int, now: datetime | None = None
) -> list[Registration]:
    """End the offers of one event whose deadline has passed and pass their seats on, once."""
    event = lock_event(session, event_id)
    now = now or utcnow()
    expired = session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.status == Status.OFFERED,
            Registration.offer_expires_at <= now,
        )
        .execution_options(populate_existing=True)
    ).all()
    for registration in expired:
        _leave(session, event, registration, EndReason.OFFER_EXPIRED, now)
    if expired:
        session.flush()
        notify(session, expired, Email.OFFER_EXPIRED, now)
        _fill_free_seats(session, event, now)
    return list(expired)


def events_with_expired_offers(session: Session, now: datetime | None = None) -> list[int]:
    """Ids of the events holding at least one offer past its deadline."""
    stmt = (
        select(Registration.event_id)
        .where(
            Registration.status == Status.OFFERED,
            Registration.offer_expires_at <= (now or utcnow()),
        )
        .distinct()
    )
    return list(session.scalars(stmt))


def mark_attended(
    session: Session, invitation: Invitation, now: datetime | None = None
) -> Registration:
    """Record that a confirmed person came."""
    lock_event(session, invitation.event_id)
    registration = _taking(Step.ATTEND, _current(session, invitation.id))
    registration.status = Status.ATTENDED
    registration.attended_at = registration.attended_at or now or utcnow()
    session.flush()
    return registration
