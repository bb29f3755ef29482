"""A test-only application for the concurrency tests, served by gunicorn as
`tests.racing_app:app`. `RACE_DELAY_MS` widens the window between taking an event's lock and
writing its counters back; `UNGUARDED=1` replaces the registration's atomic seat claim by the
naive check-then-write, without any lock: the negative control that must overbook.

Production code has no switch for either: they exist only in this module.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service import create_app
from service.db import Database, utcnow
from service.events.models import Event
from service.registrations import services
from service.registrations.models import Invitation, Registration, RegistrationStatus
from service.registrations.personal_link import PersonalLink

RACE_DELAY = float(os.environ.get("RACE_DELAY_MS", "0")) / 1000
UNGUARDED = os.environ.get("UNGUARDED") == "1"
locked_event = services.lock_event


def slow_lock_event(session: Session, event_id: int) -> Event:
    """The event under its lock, then a pause before anything is written."""
    event = locked_event(session, event_id)
    time.sleep(RACE_DELAY)
    return event


def naive_register(
    session: Session,
    link: PersonalLink,
    answers: Mapping[str, Any],
    now: datetime | None = None,
) -> Registration:
    """Read the counters, decide, write them back: what concurrent requests overbook."""
    invitation = session.get_one(Invitation, link.invitee.invitation_id)
    event = session.scalars(
        select(Event)
        .where(Event.id == invitation.event_id)
        .execution_options(populate_existing=True)
    ).one()
    time.sleep(RACE_DELAY)
    registration = session.scalar(
        select(Registration).where(Registration.invitation_id == invitation.id)
    )
    if registration is None:
        registration = Registration(invitation_id=invitation.id, event_id=event.id, answers={})
        session.add(registration)
    moment = now or utcnow()
    if event.waitlist_count == 0 and event.seats_held < event.capacity:
        event.seats_held += 1
        registration.status, registration.confirmed_at = RegistrationStatus.CONFIRMED, moment
    else:
        event.waitlist_seq += 1
        event.waitlist_count += 1
        registration.status = RegistrationStatus.WAITLISTED
        registration.waitlist_position, registration.waitlisted_at = event.waitlist_seq, moment
    session.flush()
    return registration


def without_write_lock(database: Database) -> None:
    """SQLite writes autocommit statement by statement, as naive code does."""
    if database.is_sqlite:
        bind = database.engine.execution_options(sqlite_begin="NONE")
        database._writer = sessionmaker(bind, expire_on_commit=False)


app = create_app()
if RACE_DELAY:
    services.lock_event = slow_lock_event
if UNGUARDED:
    services.register = naive_register
    without_write_lock(app.extensions["convier.db"])
