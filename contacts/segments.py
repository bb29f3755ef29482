"""Segments: saved filters over lists, tags, region, organisation and, for an event, the state of
the invitation or registration ("invited, no answer yet"); counted before use."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from contacts.models import Contact, MailingList, Membership, Segment
from service.errors import NotFound


class EventState(enum.StrEnum):
    """Where a contact stands with one event."""

    NOT_INVITED = "not_invited"
    INVITED = "invited"
    NO_ANSWER = "no_answer"  # invited, no answer yet
    REGISTERED = "registered"  # confirmed, offered, waitlisted or attended
    CONFIRMED = "confirmed"  # held a confirmed seat, whether they came or not
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ATTENDED = "attended"  # checked in at the door
    NO_SHOW = "no_show"  # confirmed, not checked in, and the event has started


class SegmentRules(BaseModel):
    """What a segment keeps: every given criterion must hold; a list of values means any of them."""

    model_config = ConfigDict(extra="forbid")

    lists: list[str] = []
    tags: list[str] = []
    regions: list[str] = []
    organisations: list[str] = []
    event: int | None = Field(default=None, description="event id, required with state")
    state: EventState | None = None

    @model_validator(mode="after")
    def _state_needs_event(self) -> SegmentRules:
        if self.state is not None and self.event is None:
            raise ValueError("state: needs an event")
        return self


# The condition, on Contact.id, that a contact stands with an event as a state says: given by
# the caller (service.registrations.queries.contact_event_state), since contacts know no events.
EventFilter = Callable[[int, EventState], ColumnElement[bool]]


def segment_query(rules: SegmentRules, event_filter: EventFilter) -> Select[int]:
    """The ids of the contacts a segment keeps."""
    query = select(Contact.id)
    if rules.lists:
        query = query.where(
            exists().where(
                Membership.contact_id == Contact.id,
                Membership.list_id == MailingList.id,
                MailingList.name.in_(rules.lists),
            )
        )
    if rules.regions:
        query = query.where(func.lower(Contact.region).in_([r.lower() for r in rules.regions]))
    if rules.organisations:
        query = query.where(
            func.lower(Contact.organisation).in_([o.lower() for o in rules.organisations])
        )
    if rules.tags:
        # Tags live in a JSON list; the quoted form matches whole tags only, on both databases.
        tags = func.lower(func.cast(Contact.tags, Contact.email.type))
        query = query.where(
            or_(
                *(
                    tags.contains(json.dumps(t.lower(), ensure_ascii=False), autoescape=True)
                    for t in rules.tags
                )
            )
        )
    if rules.event is not None and rules.state is not None:
        query = query.where(event_filter(rules.event, rules.state))
    return query


def count(session: Session, rules: SegmentRules, event_filter: EventFilter) -> int:
    """How many contacts the rules keep."""
    kept = segment_query(rules, event_filter).subquery()
    return int(session.scalar(select(func.count()).select_from(kept)) or 0)


def save_segment(session: Session, name: str, rules: SegmentRules) -> Segment:
    """Create or replace the segment called `name`."""
    segment = session.scalar(select(Segment).where(Segment.name == name))
    if segment is None:
        segment = Segment(name=name)
        session.add(segment)
    segment.rules = rules.model_dump(mode="json", exclude_defaults=True)
    session.flush()
    return segment


def load_rules(session: Session, name: str) -> SegmentRules:
    """The rules of a saved segment; NotFound naming it when unknown."""
    segment = session.scalar(select(Segment).where(Segment.name == name))
    if segment is None:
        reason = f"no segment called {name!r}"
        raise NotFound(reason, fields={"segment": reason})
    return SegmentRules.model_validate(segment.rules)
