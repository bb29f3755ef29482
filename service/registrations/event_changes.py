"""An organiser changes or cancels an event (back office, CLI, API alike): the event is
rewritten under its lock, a new capacity serves the waitlist, and the people holding or waiting
for a seat are emailed when asked — "event changed" with the updated calendar entry when its
date, time or venue moved, "event cancelled" with a cancelling one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.services import record
from service.config import Settings
from service.db import utcnow
from service.errors import Conflict
from service.events.models import Event
from service.events.schemas import EventIn
from service.events.services import NOTICEABLE, apply_spec
from service.mail.kinds import Email
from service.registrations.models import Registration, RegistrationStatus
from service.registrations.notices import notify
from service.registrations.services import lock_event, set_capacity

S = RegistrationStatus
CONCERNED = (S.CONFIRMED, S.OFFERED, S.WAITLISTED)  # who holds or waits for a seat


@dataclass(frozen=True)
class EventChange:
    """What an edit changed, and how many people were emailed about it."""

    event: Event
    changed: frozenset[str]
    emailed: int

    @property
    def noticeable(self) -> bool:
        """Whether the date, the times or the venue changed."""
        return bool(self.changed & NOTICEABLE)


def concerned(session: Session, event_id: int) -> list[Registration]:
    """The registrations of the people holding or waiting for a seat."""
    return list(
        session.scalars(
            select(Registration).where(
                Registration.event_id == event_id, Registration.status.in_(CONCERNED)
            )
        )
    )


def would_notice(session: Session, settings: Settings, event_id: int, spec: EventIn) -> int:
    """How many people an edit to `spec` should be asked about: those concerned when the date,
    times or venue would change, else 0. Reads only."""
    event = session.get(Event, event_id)
    assert event is not None
    starts, ends = spec.at(spec.starts, settings.tz), spec.at(spec.ends, settings.tz)
    moved = (starts, ends, spec.venue.name, spec.venue.address) != (
        event.starts_at, event.ends_at, event.venue_name, event.venue_address,
    )  # fmt: skip
    return len(concerned(session, event_id)) if moved else 0


def change_event(
    session: Session, settings: Settings, event_id: int, spec: EventIn, actor: str, tell: bool
) -> EventChange:
    """Rewrite the event as `spec` describes it; `tell`: email the people concerned when its
    date, times or venue changed."""
    event = lock_event(session, event_id)
    if event.cancelled_at is not None:
        raise Conflict("the event is cancelled", fields={"event": "cancelled"})
    changed = apply_spec(session, event, spec, settings.tz)
    if spec.capacity != event.capacity:
        set_capacity(session, event_id, spec.capacity)
        changed.add("capacity")
    emailed = 0
    if tell and changed & NOTICEABLE:
        emailed = len(notify(session, concerned(session, event_id), Email.EVENT_CHANGED, utcnow()))
    if changed:
        record(session, actor, "event.updated", event_id, event.title, changed=sorted(changed),
               emailed=emailed)  # fmt: skip
    return EventChange(event, frozenset(changed), emailed)


def cancel_event(
    session: Session, event_id: int, actor: str, tell: bool, now: datetime | None = None
) -> int:
    """Call the event off: registration closes; `tell`: everyone holding or waiting for a seat
    gets "event cancelled" (their calendars remove it). How many were emailed."""
    event = lock_event(session, event_id)
    if event.cancelled_at is not None:
        return 0
    now = now or utcnow()
    event.cancelled_at = now
    session.flush()
    emailed = (
        len(notify(session, concerned(session, event_id), Email.EVENT_CANCELLED, now))
        if tell
        else 0
    )
    record(session, actor, "event.cancelled", event_id, event.title, emailed=emailed)
    return emailed
