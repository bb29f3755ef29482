"""The event as invitees are shown it (title, dates, venue, programme, questions), kept per
process and keyed by its content version: the registration rush reads it from memory.

The version is raised by the flush that changes what invitees are shown, whatever door made
the change: an event's own columns other than its counters and capacity, or a session, speaker
or question of it added, changed or removed. Changes made outside the ORM must raise it too.
"""

from __future__ import annotations

from datetime import datetime
from threading import Lock
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, selectinload

from service.events.models import Event, ProgrammeSession, Question, Speaker

# Read live, never from the cache: they change with every registration.
LIVE_COLUMNS = ("capacity", "seats_held", "waitlist_count", "waitlist_seq")
NOT_CONTENT = frozenset({*LIVE_COLUMNS, "content_version", "sessions", "questions"})
MAX_EVENTS = 64

_shown: dict[tuple[int, datetime, int], Event] = {}
_lock = Lock()


def shown_event(session: Session, event_id: int, created_at: datetime, version: int) -> Event:
    """The event as shown at content `version`, its programme and questions loaded, detached
    and shared by every request of this process; its live columns cannot be read from it."""
    # The creation instant tells apart two events that had the same id (SQLite may reuse one).
    key = (event_id, created_at, version)
    event = _shown.get(key)
    if event is None:
        event = _load_detached(session, event_id)
        if (event.created_at, event.content_version) == (created_at, version):
            with _lock:
                if len(_shown) >= MAX_EVENTS:
                    _shown.clear()
                _shown[key] = event
    return event


def _load_detached(session: Session, event_id: int) -> Event:
    # A session of its own on the caller's connection: the caller's identity map is untouched.
    with Session(bind=session.connection()) as loader:
        event = loader.scalars(
            select(Event)
            .where(Event.id == event_id)
            .options(
                selectinload(Event.sessions).selectinload(ProgrammeSession.speakers),
                selectinload(Event.questions),
            )
        ).one()
        loader.expire(event, LIVE_COLUMNS)  # read from a shared copy they would be stale
    return event


def _changed_events(session: Session) -> set[Event]:
    """The events, already stored, whose shown content this flush changes."""
    changed: set[Event] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Event):
            state = inspect(obj)
            if not state.pending and any(
                attr.history.has_changes() for attr in state.attrs if attr.key not in NOT_CONTENT
            ):
                changed.add(obj)
            continue
        event = _owner(session, obj)
        if event is not None and event not in session.new:
            changed.add(event)
    return changed


def _owner(session: Session, obj: Any) -> Event | None:
    if isinstance(obj, Speaker):
        programme = obj.session or session.get(ProgrammeSession, obj.session_id)
        return _owner(session, programme) if programme is not None else None
    if isinstance(obj, ProgrammeSession | Question):
        return obj.event or session.get(Event, obj.event_id)
    return None


@orm_event.listens_for(Session, "before_flush")
def _raise_content_version(session: Session, _context: Any, _instances: Any) -> None:
    for event in _changed_events(session):
        event.content_version = Event.content_version + 1
