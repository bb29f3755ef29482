"""How each partner network's list responds: its funnel at this event, what the follow-ups
brought among its people, and its figures at the events before, so that a rising or falling
response shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from service.campaigns.models import Campaign, CampaignKind, InvitationList
from service.events.models import Event
from service.mail.models import Message
from service.registrations.models import Invitation
from service.tracking import stats

FOLLOW_UPS = (CampaignKind.FOLLOW_UP, CampaignKind.LAST_CALL)
HISTORY = 4  # past events shown beside this one


@dataclass(frozen=True)
class Lift:
    """What one follow-up brought among a list's people: how many it wrote to, how many of them
    answered after it left."""

    campaign_id: int
    kind: CampaignKind
    written: int
    answered: int

    @property
    def rate(self) -> float:
        """The share of the people written to who answered afterwards."""
        return self.answered / self.written if self.written else 0.0


@dataclass(frozen=True)
class Past:
    """A list's funnel at an earlier event."""

    event: Event
    funnel: stats.Funnel


def lifts(session: Session, event_id: int) -> dict[int, list[Lift]]:
    """Each follow-up or last call of the event, per list: written to, answered after."""
    answered_after = case((Invitation.responded_at > Message.sent_at, 1), else_=0)
    rows = session.execute(
        select(
            InvitationList.list_id,
            Campaign.id,
            Campaign.kind,
            func.count(Invitation.id),
            func.coalesce(func.sum(answered_after), 0).cast(Integer),
        )
        .join(Message, Message.campaign_id == Campaign.id)
        .join(Invitation, Invitation.id == Message.invitation_id)
        .join(InvitationList, InvitationList.invitation_id == Invitation.id)
        .where(
            Campaign.event_id == event_id,
            Campaign.kind.in_(FOLLOW_UPS),
            Message.sent_at.is_not(None),
        )
        .group_by(InvitationList.list_id, Campaign.id, Campaign.kind)
        .order_by(Campaign.id)
    )
    found: dict[int, list[Lift]] = {}
    for list_id, campaign_id, kind, written, answered in rows:
        found.setdefault(list_id, []).append(Lift(campaign_id, kind, written, answered))
    return found


def history(session: Session, event: Event, list_ids: list[int]) -> dict[int, list[Past]]:
    """The same lists at the events that started before this one and invited through them, the
    most recent HISTORY of each, oldest first."""
    earlier = {
        found.id: found
        for found in session.scalars(select(Event).where(Event.starts_at < event.starts_at))
    }
    if not earlier or not list_ids:
        return {}
    pairs = session.execute(
        select(InvitationList.list_id, Invitation.event_id)
        .join(Invitation, Invitation.id == InvitationList.invitation_id)
        .where(InvitationList.list_id.in_(list_ids), Invitation.event_id.in_(earlier))
        .distinct()
    ).all()
    kept: dict[int, list[int]] = {}
    for list_id, event_id in pairs:
        kept.setdefault(list_id, []).append(event_id)
    for event_ids in kept.values():
        event_ids.sort(key=lambda e: earlier[e].starts_at)
        del event_ids[:-HISTORY]
    wanted = sorted({e for event_ids in kept.values() for e in event_ids})
    funnels = {
        (event_id, list_id): funnel
        for event_id, list_id, funnel in stats.by_event_and_list(session, wanted, list_ids)
    }
    return {
        list_id: [Past(earlier[e], funnels[e, list_id]) for e in event_ids]
        for list_id, event_ids in kept.items()
    }
