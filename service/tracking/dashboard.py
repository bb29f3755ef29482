"""What an event's home tells at a glance: the tiles (seats, waitlist, registered today, response
rate, emails failed, replies to handle, and who is inside once the door opens) and the things that
need someone's attention now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.campaigns.models import Campaign, CampaignRule, CampaignState, RuleState
from service.events.models import Event
from service.mail.models import Message, MessageStatus
from service.registrations.models import Registration
from service.registrations.models import RegistrationStatus as S
from service.registrations.queries import EventCounts, event_counts
from service.tracking import attendance, inbox, snapshots, stats
from service.tracking.attendance import Attendance

OFFER_SOON = timedelta(hours=24)  # an offer ending sooner is worth a look
RECENT_SKIP = timedelta(days=7)  # a rule skipped longer ago has been seen


@dataclass(frozen=True)
class Tiles:
    """The figures of an event's home."""

    counts: EventCounts
    registered_today: int
    funnel: stats.Funnel
    emails_failed: int
    replies_open: int
    # Inside / confirmed, once someone was checked in or the event has started (None before).
    attendance: Attendance | None


@dataclass(frozen=True)
class Attention:
    """Something to look at: what, how many, and the campaign concerned when there is one."""

    what: str  # failed_emails, bounced, unsubscribed, replies, offers_ending, rule_skipped, paused
    count: int
    campaign_id: int | None = None


def _registered_since(session: Session, event_id: int, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status != S.DECLINED,
                Registration.created_at >= since,
            )
        )
        or 0
    )


def failed_emails(session: Session, event_id: int) -> int:
    """The event's emails that could not be sent."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.event_id == event_id, Message.status == MessageStatus.FAILED)
        )
        or 0
    )


def tiles(session: Session, event: Event, now: datetime, tz: ZoneInfo) -> Tiles:
    """The tiles of the event's home, "today" starting at midnight in the event's zone."""
    midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = event_counts(session, event)
    inside = attendance.of_counts(counts, event, now)
    return Tiles(
        counts=counts,
        registered_today=_registered_since(session, event.id, midnight),
        funnel=snapshots.kept(session, "totals", event.id, lambda: stats.totals(session, event.id)),
        emails_failed=failed_emails(session, event.id),
        replies_open=inbox.unhandled_count(session, event.id),
        attendance=inside if inside.begun else None,
    )


def attention(session: Session, event_id: int, shown: Tiles, now: datetime) -> list[Attention]:
    """What needs someone now, most urgent first: offers about to lapse, campaigns paused, rules
    skipped lately, replies waiting, failed emails, bounced and unsubscribed addresses."""
    offers_ending = session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.status == S.OFFERED,
            Registration.offer_expires_at < now + OFFER_SOON,
        )
    )
    items = [Attention("offers_ending", offers_ending or 0)]
    paused = session.scalars(
        select(Campaign.id)
        .where(Campaign.event_id == event_id, Campaign.state == CampaignState.PAUSED)
        .order_by(Campaign.id)
    )
    items += [Attention("paused", 1, campaign_id) for campaign_id in paused]
    skipped = session.scalar(
        select(func.count())
        .select_from(CampaignRule)
        .where(
            CampaignRule.event_id == event_id,
            CampaignRule.state == RuleState.SKIPPED,
            CampaignRule.done_at >= now - RECENT_SKIP,
        )
    )
    items += [
        Attention("rule_skipped", skipped or 0),
        Attention("replies", shown.replies_open),
        Attention("failed_emails", shown.emails_failed),
        Attention("bounced", shown.funnel.bounced),
        Attention("unsubscribed", shown.funnel.unsubscribed),
    ]
    return [item for item in items if item.count]


def home(session: Session, event: Event, now: datetime, tz: ZoneInfo) -> dict[str, object]:
    """The tiles and the attention strip of the event's home, as its template reads them."""
    shown = tiles(session, event, now, tz)
    return {"tiles": shown, "attention": attention(session, event.id, shown, now)}
