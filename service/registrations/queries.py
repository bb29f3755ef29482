"""Read-only views of registrations, shared by the CLI and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal_column, select
from sqlalchemy.orm import Session, aliased

from contacts.models import Contact
from contacts.segments import EventState
from service.db import isoformat, utcnow
from service.events.models import Event, Question, QuestionKind
from service.registrations.models import Invitation, Registration, RegistrationStatus

REGISTRATION_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "organisation",
    "status",
    "waitlist_position",
    "offer_expires_at",
    "confirmed_at",
    "waitlisted_at",
    "declined_at",
    "cancelled_at",
    "answers",
)


def registration_rows(session: Session, event_id: int) -> list[dict[str, Any]]:
    """One row per registration of the event: waitlist in order after the others."""
    rows = session.execute(
        select(Registration, Contact)
        .join(Invitation, Invitation.id == Registration.invitation_id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Registration.event_id == event_id)
        .order_by(
            Registration.waitlist_position.is_not(None),
            Registration.waitlist_position,
            Registration.id,
        )
    ).all()
    return [
        {
            "email": contact.email,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "organisation": contact.organisation,
            "status": registration.status.value,
            "waitlist_position": registration.waitlist_position
            if registration.status.value == "waitlisted"
            else None,
            "offer_expires_at": isoformat(registration.offer_expires_at),
            "confirmed_at": isoformat(registration.confirmed_at),
            "waitlisted_at": isoformat(registration.waitlisted_at),
            "declined_at": isoformat(registration.declined_at),
            "cancelled_at": isoformat(registration.cancelled_at),
            "answers": registration.answers,
        }
        for registration, contact in rows
    ]


# Written out, not bound, so that the planner uses the partial index of the waitlist's positions
# (only the people ahead are read).
WAITING: ColumnElement[str] = literal_column(f"'{RegistrationStatus.WAITLISTED.value}'")
_ahead = aliased(Registration)
# A registration's place among the people waiting (1: the first), NULL when it does not wait.
WAITLIST_RANK = case(
    (
        Registration.status == RegistrationStatus.WAITLISTED,
        select(func.count() + 1)
        .where(
            _ahead.event_id == Registration.event_id,
            _ahead.status == WAITING,
            _ahead.waitlist_position < Registration.waitlist_position,
        )
        .scalar_subquery(),
    ),
)


def waitlist_rank(session: Session, registration: Registration) -> int | None:
    """1 for the first person waiting, and so on; None when not waitlisted."""
    return session.scalar(select(WAITLIST_RANK).where(Registration.id == registration.id))


def contact_event_state(event_id: int, state: EventState) -> ColumnElement[bool]:
    """The condition, on Contact.id, that a contact stands with the event as `state` says
    (what a segment's event criterion means), as of now."""
    invitation = and_(Invitation.contact_id == Contact.id, Invitation.event_id == event_id)
    invited = exists().where(invitation)
    answered = exists().where(invitation, Registration.invitation_id == Invitation.id)
    # Before the start a confirmed person may still come: nobody is absent yet.
    started = exists().where(Event.id == event_id, Event.starts_at <= utcnow())

    def having(*statuses: RegistrationStatus) -> Any:
        return exists().where(
            invitation,
            Registration.invitation_id == Invitation.id,
            Registration.status.in_(statuses),
        )

    S = RegistrationStatus  # noqa: N806 - a short alias keeps the table below readable
    return {
        EventState.NOT_INVITED: ~invited,
        EventState.INVITED: invited,
        EventState.NO_ANSWER: and_(invited, ~answered),
        EventState.REGISTERED: having(S.CONFIRMED, S.OFFERED, S.WAITLISTED, S.ATTENDED),
        EventState.CONFIRMED: having(S.CONFIRMED, S.ATTENDED),
        EventState.WAITLISTED: having(S.WAITLISTED),
        EventState.DECLINED: having(S.DECLINED),
        EventState.CANCELLED: having(S.CANCELLED),
        EventState.ATTENDED: having(S.ATTENDED),
        EventState.NO_SHOW: and_(having(S.CONFIRMED), started),
    }[state]


@dataclass(frozen=True)
class EventCounts:
    """How many registrations of an event are in each state."""

    capacity: int
    confirmed: int
    offered: int
    waitlisted: int
    declined: int
    cancelled: int
    attended: int

    @property
    def seats_held(self) -> int:
        """Confirmed, offered and attended."""
        return self.confirmed + self.offered + self.attended

    def as_dict(self) -> dict[str, Any]:
        """The counts, and the seats held and free, as a plain dict."""
        return {
            **self.__dict__,
            "seats_held": self.seats_held,
            "seats_free": max(self.capacity - self.seats_held, 0),
        }


def event_counts(session: Session, event: Event) -> EventCounts:
    """Registrations of `event` counted by state."""
    rows = session.execute(
        select(Registration.status, func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.status)
    ).all()
    by_status = dict(rows)
    return EventCounts(
        capacity=event.capacity,
        **{s.value: by_status.get(s, 0) for s in RegistrationStatus},
    )


@dataclass(frozen=True)
class Headcount:
    """How the people holding a seat answered one question: a count per answer."""

    question: Question
    counts: dict[str, int]  # "yes"/"no", each choice, or "answered" for a free text
    people: int


def answer_headcounts(session: Session, event: Event) -> list[Headcount]:
    """For each question of the event, how the people holding a seat (confirmed, offered or
    present) answered it: how many stay for the drink, how many chose each workshop."""
    held = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED, RegistrationStatus.ATTENDED)
    answers = list(
        session.scalars(
            select(Registration.answers).where(
                Registration.event_id == event.id, Registration.status.in_(held)
            )
        )
    )
    headcounts = []
    for question in event.questions:
        given = [
            a.get(question.key) for a in answers if a and a.get(question.key) not in (None, "")
        ]
        if question.kind is QuestionKind.YES_NO:
            yes = sum(value is True for value in given)
            counts = {"yes": yes, "no": len(answers) - yes}  # an unticked box is a no
        elif question.kind is QuestionKind.CHOICE:
            counts = {choice: sum(v == choice for v in given) for choice in question.choices}
        else:
            counts = {"answered": len(given)}
        headcounts.append(Headcount(question, counts, len(answers)))
    return headcounts
