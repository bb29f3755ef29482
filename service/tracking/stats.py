"""Response statistics of an event: the funnel of its invitations (sent, delivered, bounced,
opened, clicked, registered, declined, replied, unsubscribed), in total and per network list or
campaign, the response rate, registrations per day and the capacity gauge.

One set-based query per view: each invitation's facts are read once (the steps its emails
reached, kept as flags on it as events arrive; its registration; its human replies), then
counted. A person on several lists counts
in each list and once in the totals. Opens by privacy proxies and clicks by link scanners do not
count. Response rate = people who registered, declined or wrote back / people delivered (or sent,
when the provider reports no deliveries: SMTP and file backends). Attendance (who came of the
people holding a confirmed seat) is service.tracking.attendance's; the report carries it too."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, func, or_, select
from sqlalchemy.orm import Session

from contacts.models import MailingList
from service.campaigns.models import Campaign, CampaignKind, InvitationList
from service.db import utcnow
from service.events.models import Event
from service.mail.models import Message
from service.registrations.models import EndReason, Invitation, Registration
from service.registrations.models import RegistrationStatus as S
from service.tracking import attendance, funnel
from service.tracking.models import Reply, ReplyKind

FUNNEL = ("invited", "sent", "delivered", "bounced", "opened", "clicked", "registered",
          "declined", "replied", "unsubscribed")  # fmt: skip


STEPS = {
    "sent": funnel.Step.SENT,
    "delivered": funnel.Step.DELIVERED,
    "bounced": funnel.Step.BOUNCED,
    "opened": funnel.Step.OPENED,
    "clicked": funnel.Step.CLICKED,
    "unsubscribed": funnel.Step.UNSUBSCRIBED,
}


@dataclass(frozen=True)
class Funnel:
    """How many people reached each step, and the response rate."""

    name: str
    invited: int
    sent: int
    delivered: int
    bounced: int
    opened: int
    clicked: int
    registered: int
    declined: int
    replied: int
    unsubscribed: int
    responded: int

    @property
    def response_rate(self) -> float:
        """Registered, declined or wrote back, over delivered (or sent without reports)."""
        base = self.delivered or self.sent
        return self.responded / base if base else 0.0

    def row(self) -> dict[str, Any]:
        """The funnel as a flat row (for CSV and JSON)."""
        return {**asdict(self), "response_rate": round(self.response_rate, 4)}


def _facts(event_id: int | None, among_events: Any = None) -> Any:
    """One row per invitation of the event (or of the events `among_events` selects) with its
    event's id and 0/1 for each step: the steps its emails reached
    are flags on the invitation (kept as events arrive); answers come from its registration and
    its replies."""
    replied = (
        select(Reply.invitation_id.label("invitation_id"))
        .where(Reply.kind == ReplyKind.HUMAN, Reply.invitation_id.is_not(None))
        .distinct()
        .subquery()
    )
    declined = or_(
        Registration.status == S.DECLINED,
        and_(Registration.status == S.CANCELLED, Registration.end_reason == EndReason.DECLINED),
    )
    registered = and_(Registration.id.is_not(None), ~declined)
    has_reply = replied.c.invitation_id.is_not(None)

    def flag(condition: Any, name: str) -> Any:
        return case((condition, 1), else_=0).label(name)

    return (
        select(
            Invitation.id.label("invitation_id"),
            Invitation.event_id.label("event_id"),
            *(flag(funnel.has(step), name) for name, step in STEPS.items()),
            flag(registered, "registered"),
            flag(declined, "declined"),
            flag(has_reply, "replied"),
            flag(or_(registered, declined, has_reply), "responded"),
        )
        .outerjoin(Registration, Registration.invitation_id == Invitation.id)
        .outerjoin(replied, replied.c.invitation_id == Invitation.id)
        .where(Invitation.event_id == event_id if among_events is None else among_events)
        .subquery()
    )


def _counts(facts: Any) -> list[Any]:
    return [
        func.count().label("invited"),
        *(func.coalesce(func.sum(facts.c[name]), 0).cast(Integer).label(name)
          for name in (*FUNNEL[1:], "responded")),
    ]  # fmt: skip


def by_event_and_list(
    session: Session, event_ids: list[int], list_ids: list[int]
) -> list[tuple[int, int, Funnel]]:
    """The funnel of each of these lists at each of these events: (event id, list id, funnel)."""
    if not event_ids or not list_ids:
        return []
    facts = _facts(None, Invitation.event_id.in_(event_ids))
    rows = session.execute(
        select(facts.c.event_id, MailingList.id, MailingList.name, *_counts(facts))
        .select_from(facts)
        .join(InvitationList, InvitationList.invitation_id == facts.c.invitation_id)
        .join(MailingList, MailingList.id == InvitationList.list_id)
        .where(MailingList.id.in_(list_ids))
        .group_by(facts.c.event_id, MailingList.id, MailingList.name)
    ).all()
    return [(row[0], row[1], Funnel(*row[2:])) for row in rows]


def totals(session: Session, event_id: int) -> Funnel:
    """The event's funnel, each person once."""
    facts = _facts(event_id)
    row = session.execute(select(*_counts(facts))).one()
    return Funnel("total", **row._asdict())


def _per_list(event_id: int) -> Any:
    facts = _facts(event_id)
    return (
        select(MailingList.id, MailingList.name, *_counts(facts))
        .select_from(facts)
        .join(InvitationList, InvitationList.invitation_id == facts.c.invitation_id)
        .join(MailingList, MailingList.id == InvitationList.list_id)
        .group_by(MailingList.id, MailingList.name)
        .order_by(MailingList.name, MailingList.id)
    )


def lists_of(session: Session, event_id: int) -> list[tuple[int, Funnel]]:
    """The funnel of each network list the invitations came through, with the list's id."""
    rows = session.execute(_per_list(event_id)).all()
    return [(row[0], Funnel(*row[1:])) for row in rows]


def by_list(session: Session, event_id: int) -> list[Funnel]:
    """The funnel of each network list the invitations came through."""
    return [funnel for _, funnel in lists_of(session, event_id)]


def for_list(session: Session, event_id: int, list_id: int) -> Funnel | None:
    """The funnel of one network list at an event (None when none of its people was invited)."""
    row = session.execute(_per_list(event_id).where(MailingList.id == list_id)).first()
    return Funnel(*row[1:]) if row is not None else None


def campaigns_of(session: Session, event_id: int) -> list[tuple[int, Funnel]]:
    """The funnel of each campaign with its id, over the people it wrote to (a campaign has one
    message per person: its key is (campaign, contact), so no de-duplication is needed)."""
    facts = _facts(event_id)
    rows = session.execute(
        select(Message.campaign_id, *_counts(facts))
        .select_from(facts)
        .join(Message, Message.invitation_id == facts.c.invitation_id)
        .where(Message.event_id == event_id, Message.campaign_id.is_not(None))
        .group_by(Message.campaign_id)
        .order_by(Message.campaign_id)
    ).all()
    kinds = dict(
        session.execute(
            select(Campaign.id, Campaign.kind).where(Campaign.event_id == event_id)
        ).all()
    )
    return [(row[0], Funnel(f"{row[0]}: {kinds[row[0]]}", *row[1:])) for row in rows]


def by_campaign(session: Session, event_id: int) -> list[Funnel]:
    """The funnel of each campaign, named "<id>: <kind>"."""
    return [funnel for _, funnel in campaigns_of(session, event_id)]


def registrations_per_day(session: Session, event_id: int, tz: str) -> list[tuple[date, int]]:
    """How many people registered each day (by their first answer, in the event's zone)."""
    from zoneinfo import ZoneInfo

    moments = session.scalars(
        select(Registration.created_at).where(
            Registration.event_id == event_id, Registration.status != S.DECLINED
        )
    )
    days: dict[date, int] = {}
    for moment in moments:
        day = moment.astimezone(ZoneInfo(tz)).date()
        days[day] = days.get(day, 0) + 1
    return sorted(days.items())


def gauge(session: Session, event_id: int) -> dict[str, int]:
    """Capacity, and the seats confirmed, offered and waited for."""
    event = session.get(Event, event_id)
    assert event is not None
    counts = dict(
        session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == event_id)
            .group_by(Registration.status)
        ).all()
    )
    return {
        "capacity": event.capacity,
        "confirmed": counts.get(S.CONFIRMED, 0) + counts.get(S.ATTENDED, 0),
        "offered": counts.get(S.OFFERED, 0),
        "waitlisted": counts.get(S.WAITLISTED, 0),
    }


def time_to_respond(session: Session, event_id: int) -> timedelta | None:
    """The median time from the invitation leaving to the first answer."""
    rows = session.execute(
        select(Invitation.sent_at, Invitation.responded_at).where(
            Invitation.event_id == event_id,
            Invitation.sent_at.is_not(None),
            Invitation.responded_at.is_not(None),
        )
    ).all()
    waits = sorted(
        (answered - sent).total_seconds()
        for sent, answered in rows
        if sent is not None and answered is not None and answered >= sent
    )
    return timedelta(seconds=median(waits)) if waits else None


def follow_up_gains(session: Session, event_id: int) -> dict[str, int]:
    """For each follow-up or last call: the people it wrote to who answered after it left."""
    rows = session.execute(
        select(Campaign.id, Campaign.kind, func.count(Invitation.id))
        .join(Message, Message.campaign_id == Campaign.id)
        .join(Invitation, Invitation.id == Message.invitation_id)
        .where(
            Campaign.event_id == event_id,
            Campaign.kind.in_((CampaignKind.FOLLOW_UP, CampaignKind.LAST_CALL)),
            Message.sent_at.is_not(None),
            Invitation.responded_at > Message.sent_at,
        )
        .group_by(Campaign.id, Campaign.kind)
        .order_by(Campaign.id)
    )
    return {f"{campaign_id}: {kind}": gained for campaign_id, kind, gained in rows}


def report(
    session: Session, event_id: int, by: str | None, tz: str, now: datetime | None = None
) -> dict[str, Any]:
    """Everything above as one document (the JSON of the CLI and the API): the funnel in total
    then per list or campaign, attendance in total then per list or registration day,
    registrations per day, the gauge, time to respond, follow-ups."""
    funnels = [totals(session, event_id)]
    if by == "list":
        funnels += by_list(session, event_id)
    elif by == "campaign":
        funnels += by_campaign(session, event_id)
    wait = time_to_respond(session, event_id)
    return {
        "funnel": [funnel.row() for funnel in funnels],
        "attendance": [shown.row() for shown in _attendance(session, event_id, by, tz, now)],
        "per_day": [
            {"day": day.isoformat(), "registrations": count}
            for day, count in registrations_per_day(session, event_id, tz)
        ],
        "gauge": gauge(session, event_id),
        "median_seconds_to_respond": wait.total_seconds() if wait is not None else None,
        "follow_up_gains": follow_up_gains(session, event_id),
    }


def _attendance(
    session: Session, event_id: int, by: str | None, tz: str, now: datetime | None
) -> list[attendance.Attendance]:
    """Attendance in total, then per list or per registration day when asked."""
    event = session.get(Event, event_id)
    assert event is not None
    now = now or utcnow()
    shown = [attendance.totals(session, event, now)]
    if by == "list":
        shown += [found for _, found in attendance.by_list(session, event, now)]
    elif by == "day":
        shown += attendance.by_day(session, event, now, ZoneInfo(tz))
    return shown
