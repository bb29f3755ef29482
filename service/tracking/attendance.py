"""Who came: of the people who held a confirmed seat (still confirmed, or checked in at the door),
how many attended, in total, per network list and per day they registered.

Attendance = attended / held; no-show rate = confirmed but not attended / held. Until the event
starts a confirmed person may still come: the no-shows are not known yet (None), nor is the
attendance of a group none of whose people has been checked in yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from contacts.models import MailingList
from service.campaigns.models import InvitationList
from service.events.models import Event
from service.registrations.models import Registration
from service.registrations.models import RegistrationStatus as S
from service.registrations.queries import EventCounts, event_counts

HELD = (S.CONFIRMED, S.ATTENDED)  # a confirmed seat, whether its holder has come yet or not


@dataclass(frozen=True)
class Attendance:
    """How many people held a confirmed seat and how many of them came."""

    name: str
    confirmed: int  # held a confirmed seat: still confirmed, or attended
    attended: int
    started: bool  # the event has started: a person still confirmed has not come

    @property
    def begun(self) -> bool:
        """Someone was checked in or the event has started: attendance can be told."""
        return self.started or self.attended > 0

    @property
    def rate(self) -> float | None:
        """Attended over confirmed; None while nobody held a seat or nothing has begun."""
        return self.attended / self.confirmed if self.confirmed and self.begun else None

    @property
    def no_shows(self) -> int | None:
        """Confirmed but not attended, once the event has started."""
        return self.confirmed - self.attended if self.started else None

    @property
    def no_show_rate(self) -> float | None:
        """No-shows over confirmed, once the event has started and someone held a seat."""
        no_shows = self.no_shows
        return no_shows / self.confirmed if no_shows is not None and self.confirmed else None

    def row(self) -> dict[str, Any]:
        """The figures as a flat row (for CSV and JSON), rates rounded as the funnel's are."""
        rate, no_show_rate = self.rate, self.no_show_rate
        return {
            "name": self.name,
            "confirmed": self.confirmed,
            "attended": self.attended,
            "no_shows": self.no_shows,
            "attendance_rate": round(rate, 4) if rate is not None else None,
            "no_show_rate": round(no_show_rate, 4) if no_show_rate is not None else None,
        }


FIELDS = tuple(Attendance("", 0, 0, False).row())


def has_started(event: Event, now: datetime) -> bool:
    """Whether the event has started at `now`."""
    return now >= event.starts_at


def of_counts(counts: EventCounts, event: Event, now: datetime) -> Attendance:
    """The event's attendance from its registrations counted by state (each person once)."""
    held = counts.confirmed + counts.attended
    return Attendance("total", held, counts.attended, has_started(event, now))


def totals(session: Session, event: Event, now: datetime) -> Attendance:
    """The event's attendance, each person once."""
    return of_counts(event_counts(session, event), event, now)


def _attended() -> Any:
    came = case((Registration.status == S.ATTENDED, 1), else_=0)
    return func.coalesce(func.sum(came), 0).cast(Integer)


def by_list(session: Session, event: Event, now: datetime) -> list[tuple[int, Attendance]]:
    """The attendance of each network list its seat holders came through, with the list's id
    (a person on several lists counts in each)."""
    rows = session.execute(
        select(MailingList.id, MailingList.name, func.count(Registration.id), _attended())
        .select_from(Registration)
        .join(InvitationList, InvitationList.invitation_id == Registration.invitation_id)
        .join(MailingList, MailingList.id == InvitationList.list_id)
        .where(Registration.event_id == event.id, Registration.status.in_(HELD))
        .group_by(MailingList.id, MailingList.name)
        .order_by(MailingList.name, MailingList.id)
    ).all()
    started = has_started(event, now)
    return [(list_id, Attendance(name, held, came, started)) for list_id, name, held, came in rows]


def by_day(session: Session, event: Event, now: datetime, tz: ZoneInfo) -> list[Attendance]:
    """The attendance of the people who got their seat each day (day of their confirmation in
    `tz`), named by the day in ISO form, oldest first."""
    rows = session.execute(
        select(Registration.confirmed_at, Registration.created_at, Registration.status).where(
            Registration.event_id == event.id, Registration.status.in_(HELD)
        )
    )
    days: dict[date, tuple[int, int]] = {}
    for confirmed_at, created_at, status in rows:
        # Every seat held was confirmed at some moment; should that moment be missing, the
        # first answer is the nearest one known.
        day = (confirmed_at or created_at).astimezone(tz).date()
        held, came = days.get(day, (0, 0))
        days[day] = (held + 1, came + int(status is S.ATTENDED))
    started = has_started(event, now)
    return [
        Attendance(day.isoformat(), held, came, started)
        for day, (held, came) in sorted(days.items())
    ]
