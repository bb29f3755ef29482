"""Small helpers shared by the tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from celery.signals import before_task_publish
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

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


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent on `engine` inside the block, an executemany counting once;
    transaction control (BEGIN, which only SQLite sends as a statement) left out."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("BEGIN", "PRAGMA")):
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


@contextmanager
def published() -> Iterator[list[str]]:
    """The names of the tasks this process publishes to the broker inside the block."""
    names: list[str] = []

    def note(sender: str | None = None, **_kwargs: Any) -> None:
        names.append(str(sender))

    before_task_publish.connect(note, weak=False)
    try:
        yield names
    finally:
        before_task_publish.disconnect(note)
