"""Small helpers shared by the registration tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from service.db import Database
from service.events.models import Event
from service.registrations.models import Invitation, Registration, RegistrationStatus


def act(
    db: Database,
    invitation_id: int,
    action: Callable[..., Any],
    *args: Any,
    now: datetime | None = None,
) -> Any:
    """Run one registration service call on an invitation in its own write transaction."""
    with db.transaction() as session:
        invitation = session.get(Invitation, invitation_id)
        result = (
            action(session, invitation, *args, now=now)
            if now
            else action(session, invitation, *args)
        )
        return result.status if isinstance(result, Registration) else result


def statuses(db: Database, event_id: int) -> dict[int, RegistrationStatus]:
    """Invitation id → registration status, for one event."""
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(Registration.invitation_id, Registration.status).where(
                Registration.event_id == event_id
            )
        ).all()
    return dict(rows)


def waitlist(db: Database, event_id: int) -> list[int]:
    """Invitation ids of the waitlist, first in line first."""
    with db.transaction(write=False) as session:
        return list(
            session.scalars(
                select(Registration.invitation_id)
                .where(
                    Registration.event_id == event_id,
                    Registration.status == RegistrationStatus.WAITLISTED,
                )
                .order_by(Registration.waitlist_position)
            )
        )


def check_counters(db: Database, event_id: int) -> Event:
    """Assert that the event's counters match its registrations, and return the event."""
    with db.transaction(write=False) as session:
        event = session.get(Event, event_id)
        assert event is not None
        counts = dict(
            session.execute(
                select(Registration.status, func.count())
                .where(Registration.event_id == event_id)
                .group_by(Registration.status)
            ).all()
        )
        held = sum(counts.get(s, 0) for s in RegistrationStatus if s.holds_seat)
        assert event.seats_held == held, (event.seats_held, counts)
        assert event.waitlist_count == counts.get(RegistrationStatus.WAITLISTED, 0), (
            event.waitlist_count,
            counts,
        )
        return event
