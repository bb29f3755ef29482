"""Creating events from their description, changing them, and reading them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import utcnow
from service.errors import Invalid
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
        organiser_colour=spec.organiser.colour,
        seats_held=0,
        waitlist_count=0,
        waitlist_seq=0,
    )
    event.sessions = _programme_of(spec, tz)
    event.questions = _questions_of(spec)
    return event


def _programme_of(spec: EventIn, tz: ZoneInfo) -> list[ProgrammeSession]:
    """The programme's sessions and speakers, in the order written."""
    sessions = []
    for position, item in enumerate(spec.programme):
        speakers = [
            Speaker(position=i, name=s.name, function=s.function, organisation=s.organisation,
                    role=s.role)
            for i, s in enumerate(item.speakers)
        ]  # fmt: skip
        sessions.append(
            ProgrammeSession(
                position=position,
                starts_at=spec.at(item.starts, tz),
                ends_at=spec.end_of(item, tz),
                title=item.title,
                description=item.description,
                speakers=speakers,
            )
        )
    return sessions


def _questions_of(spec: EventIn) -> list[Question]:
    return [
        Question(position=i, key=q.key, label=q.label, label_en=q.label_en, kind=q.kind,
                 choices=q.choices, choices_en=q.choices_en, required=q.required)
        for i, q in enumerate(spec.questions)
    ]  # fmt: skip


def create_event(
    session: Session, spec: EventIn, tz: ZoneInfo, *, allow_past: bool = False
) -> Event:
    """Store a new event; DuplicateEvent when its slug is taken, Invalid when it has already
    begun (unless `allow_past`: the demo's 2017 meeting)."""
    if session.scalar(select(Event.id).where(Event.slug == spec.slug)) is not None:
        raise DuplicateEvent(spec.slug)
    event = build_event(spec, tz)
    if not allow_past and event.starts_at <= utcnow():
        raise Invalid("date", "the event would begin in the past")
    session.add(event)
    session.flush()
    return event


# What an edit may change besides the capacity (changed through the registrations: the
# waitlist is served) and the programme and questions (replaced as a whole).
EDITABLE = (
    "slug", "title", "subtitle", "description", "starts_at", "ends_at", "venue_name",
    "venue_address", "registration_opens_at", "registration_closes_at", "waitlist_policy",
    "claim_window_hours", "forwarding", "forward_limit", "organiser_name", "organiser_email",
    "organiser_phone", "organiser_colour",
)  # fmt: skip
# Changes the people registered must hear of: their calendars hold these.
NOTICEABLE = frozenset({"starts_at", "ends_at", "venue_name", "venue_address"})


def _programme(sessions: list[ProgrammeSession]) -> list[tuple[object, ...]]:
    return [
        (s.starts_at, s.ends_at, s.title, s.description,
         [(p.name, p.function, p.organisation, p.role) for p in s.speakers])
        for s in sessions
    ]  # fmt: skip


def _questions(questions: list[Question]) -> list[tuple[object, ...]]:
    return [
        (q.key, q.label, q.label_en, q.kind, q.choices, q.choices_en, q.required) for q in questions
    ]


def apply_spec(session: Session, event: Event, spec: EventIn, tz: ZoneInfo) -> set[str]:
    """Make `event` what `spec` describes, its capacity aside; the names of what changed
    (columns, and "programme" or "questions" when they were replaced)."""
    taken = session.scalar(select(Event.id).where(Event.slug == spec.slug, Event.id != event.id))
    if taken is not None:
        raise DuplicateEvent(spec.slug)
    wanted = build_event(spec, tz)
    changed = {name for name in EDITABLE if getattr(event, name) != getattr(wanted, name)}
    for name in changed:
        setattr(event, name, getattr(wanted, name))
    programme, questions = _programme_of(spec, tz), _questions_of(spec)
    if _programme(event.sessions) != _programme(programme):
        event.sessions = programme
        changed.add("programme")
    if _questions(event.questions) != _questions(questions):
        event.questions = questions
        changed.add("questions")
    session.flush()
    return changed


def get_event(session: Session, event_id: int) -> Event:
    """The event, or UnknownEvent naming the id."""
    event = session.get(Event, event_id)
    if event is None:
        raise UnknownEvent(event_id)
    return event


def list_events(session: Session) -> list[Event]:
    """Every event, the latest first."""
    return list(session.scalars(select(Event).order_by(Event.starts_at.desc())))
