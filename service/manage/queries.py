"""What the back office's pages read: events with their gauges, and an event's registrations
searched, filtered and sorted as the organiser asks."""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from contacts.models import Contact, MailingList, display_name
from contacts.queries import SEARCHED, like
from service.campaigns.models import InvitationList
from service.errors import NotFound
from service.events.models import Event
from service.registrations.models import Invitation, Registration, RegistrationStatus

TABLE_LIMIT = 50  # rows shown at once; the search narrows a bigger event, the files hold all
WAITLIST_SHOWN = 20  # the first people waiting on the event's page; the table shows them all


class Sort(enum.StrEnum):
    """Orders of the registrations table."""

    NAME = "name"
    ORGANISATION = "organisation"
    NEWEST = "newest"
    OLDEST = "oldest"


@dataclass(frozen=True)
class EventLine:
    """An event in the list, with its gauge."""

    id: int
    title: str
    starts_at: datetime
    venue_name: str
    capacity: int
    seats_held: int
    waiting: int

    @property
    def percent_held(self) -> int:
        """Seats held as a share of the capacity, 0–100."""
        return min(100, round(100 * self.seats_held / self.capacity)) if self.capacity else 100


def event_lines(
    session: Session, now: datetime, only: Collection[int] | None = None
) -> tuple[list[EventLine], list[EventLine]]:
    """Upcoming events (soonest first) and past ones (latest first); `only` limits them to
    those ids (a door account's events)."""
    query = select(
        Event.id, Event.title, Event.starts_at, Event.venue_name, Event.capacity,
        Event.seats_held, Event.waitlist_count,
    )  # fmt: skip
    if only is not None:
        query = query.where(Event.id.in_(only))
    lines = [EventLine(*row) for row in session.execute(query.order_by(Event.starts_at))]
    upcoming = [line for line in lines if line.starts_at >= now]
    past = [line for line in reversed(lines) if line.starts_at < now]
    return upcoming, past


@dataclass(frozen=True)
class RegistrationLine:
    """A row of an event's registrations table."""

    id: int
    event_id: int
    email: str
    first_name: str
    last_name: str
    organisation: str
    status: RegistrationStatus
    created_at: datetime
    waitlist_position: int | None
    waitlisted_at: datetime | None
    offer_expires_at: datetime | None
    answers: dict[str, Any]

    @property
    def name(self) -> str:
        """The person's name, or their address."""
        return display_name(self.first_name, self.last_name, self.email)


@dataclass(frozen=True)
class TableQuery:
    """What the organiser asked of the table: a text to find, a state, a list, an order."""

    text: str = ""
    status: RegistrationStatus | None = None
    list_id: int | None = None
    sort: Sort = Sort.NAME


_ORDER = {
    Sort.NAME: (func.lower(Contact.last_name), func.lower(Contact.first_name), Contact.email),
    Sort.ORGANISATION: (func.lower(Contact.organisation), func.lower(Contact.last_name)),
    Sort.NEWEST: (Registration.created_at.desc(), Registration.id.desc()),
    Sort.OLDEST: (Registration.created_at, Registration.id),
}


# The columns a row of the table is read from, in RegistrationLine's order.
_LINE = (
    Registration.id, Registration.event_id, Contact.email, Contact.first_name, Contact.last_name,
    Contact.organisation, Registration.status, Registration.created_at,
    Registration.waitlist_position, Registration.waitlisted_at, Registration.offer_expires_at,
    Registration.answers,
)  # fmt: skip


def _registrations(event_id: int) -> Select[Any]:
    return (
        select(*_LINE)
        .join(Invitation, Invitation.id == Registration.invitation_id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Registration.event_id == event_id)
    )


def person(session: Session, registration_id: int) -> RegistrationLine:
    """One registration as the table shows it; NotFound for an unknown id."""
    row = session.execute(
        select(*_LINE)
        .join(Invitation, Invitation.id == Registration.invitation_id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Registration.id == registration_id)
    ).first()
    if row is None:
        raise NotFound(f"no registration {registration_id}")
    return RegistrationLine(*row)


def registration_table(
    session: Session, event_id: int, asked: TableQuery, limit: int | None = TABLE_LIMIT
) -> tuple[list[RegistrationLine], int]:
    """The registrations matching `asked`, in its order (at most `limit`; None: all), and how
    many match in all."""
    query = _registrations(event_id)
    if text := asked.text.strip():
        pattern = like(text)
        query = query.where(or_(*(func.lower(c).like(pattern, escape="\\") for c in SEARCHED)))
    if asked.status is not None:
        query = query.where(Registration.status == asked.status)
    if asked.list_id is not None:
        query = query.where(
            exists().where(
                InvitationList.invitation_id == Invitation.id,
                InvitationList.list_id == asked.list_id,
            )
        )
    if text or asked.list_id is not None:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    else:  # every registration has its invitation and contact: no need to join them to count
        counted = select(func.count()).where(Registration.event_id == event_id)
        if asked.status is not None:
            counted = counted.where(Registration.status == asked.status)
        total = session.scalar(counted.select_from(Registration)) or 0
    rows = session.execute(query.order_by(*_ORDER[asked.sort]).limit(limit))
    return [RegistrationLine(*row) for row in rows], total


def waitlist(session: Session, event_id: int, limit: int | None = None) -> list[RegistrationLine]:
    """The people waiting, first to be served first (the first `limit` of them)."""
    query = _registrations(event_id).where(Registration.status == RegistrationStatus.WAITLISTED)
    query = query.order_by(Registration.waitlist_position).limit(limit)
    return [RegistrationLine(*row) for row in session.execute(query)]


def offers(session: Session, event_id: int) -> list[RegistrationLine]:
    """The seats offered and not yet taken, the nearest deadline first."""
    query = _registrations(event_id).where(Registration.status == RegistrationStatus.OFFERED)
    return [
        RegistrationLine(*row)
        for row in session.execute(query.order_by(Registration.offer_expires_at))
    ]


def event_lists(session: Session, event_id: int) -> list[tuple[int, str]]:
    """The network lists the event's invitations came through: (id, name), by name."""
    rows = session.execute(
        select(MailingList.id, MailingList.name)
        .where(
            exists().where(
                InvitationList.list_id == MailingList.id,
                InvitationList.invitation_id == Invitation.id,
                Invitation.event_id == event_id,
            )
        )
        .order_by(MailingList.name)
    )
    return [(list_id, name) for list_id, name in rows]
