"""Creating events from their description, and reading their counts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.events.errors import DuplicateEvent, UnknownEvent
from service.events.models import Event, ProgrammeSession, Question, Speaker
from service.events.schemas import EventIn


def _localise(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def build_event(spec: EventIn, tz: ZoneInfo) -> Event:
    """A new Event with its programme and questions, dates made aware in `tz`."""
    event = Event(
        slug=spec.slug,
        title=spec.title,
        subtitle=spec.subtitle,
        description=spec.description,
        starts_at=spec.at(spec.starts, tz),
        ends_at=spec.at(spec.ends, tz),
        venue_name=spec.venue.name,
        venue_address=spec.venue.address,
        capacity=spec.capacity,
        registration_opens_at=_localise(spec.registration.opens_at, tz),
        registration_closes_at=_localise(spec.registration.closes_at, tz),
        waitlist_policy=spec.registration.waitlist_policy,
        claim_window_hours=spec.registration.claim_window_hours,
        forwarding=spec.registration.forwarding,
        forward_limit=spec.registration.forward_limit,
        organiser_name=spec.organiser.name,
        organiser_email=str(spec.organiser.email or ""),
        organiser_phone=spec.organiser.phone,
        seats_held=0,
        waitlist_count=0,
        waitlist_seq=0,
    )
    for position, item in enumerate(spec.programme):
        session = ProgrammeSession(
            position=position,
            starts_at=spec.at(item.starts, tz),
            ends_at=spec.end_of(item, tz),
            title=item.title,
            description=item.description,
        )
        session.speakers = [
            Speaker(
                position=i,
                name=s.name,
                function=s.function,
                organisation=s.organisation,
                role=s.role,
            )
            for i, s in enumerate(item.speakers)
        ]
        event.sessions.append(session)
    event.questions = [
        Question(
            position=i,
            key=q.key,
            label=q.label,
            label_en=q.label_en,
            kind=q.kind,
            choices=q.choices,
            required=q.required,
        )
        for i, q in enumerate(spec.questions)
    ]
    return event


def create_event(session: Session, spec: EventIn, tz: ZoneInfo) -> Event:
    """Store a new event; DuplicateEvent when its slug is taken."""
    if session.scalar(select(Event.id).where(Event.slug == spec.slug)) is not None:
        raise DuplicateEvent(spec.slug)
    event = build_event(spec, tz)
    session.add(event)
    session.flush()
    return event


def get_event(session: Session, event_id: int) -> Event:
    """The event, or UnknownEvent naming the id."""
    event = session.get(Event, event_id)
    if event is None:
        raise UnknownEvent(event_id)
    return event


def list_events(session: Session) -> list[Event]:
    """Every event, the latest first."""
    return list(session.scalars(select(Event).order_by(Event.starts_at.desc())))
