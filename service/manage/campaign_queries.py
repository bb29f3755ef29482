"""What the back office's campaign pages read: the campaigns with their counts, a campaign's live
progress and send rate, its failed emails with the provider's words, and a few people of its
audience to preview the email for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contacts.models import Contact, Segment, display_name
from contacts.services import list_sizes
from service.campaigns.audience import audience_query
from service.campaigns.models import Campaign, CampaignKind, CampaignState
from service.campaigns.services import progress
from service.events.models import Event
from service.mail.models import Message, MessageStatus

FAILED_SHOWN = 100  # failed emails listed on the page; the count says how many in all
SAMPLES = 5  # people of the audience the preview offers
RATE_WINDOW = timedelta(minutes=1)
FINAL = ("sent", "failed", "suppressed", "cancelled")
LIVE = (CampaignState.SCHEDULED, CampaignState.SENDING, CampaignState.PAUSED)


@dataclass(frozen=True)
class CampaignLine:
    """A campaign in a list, with its emails sent and failed."""

    id: int
    event_id: int
    event_title: str
    kind: CampaignKind
    state: CampaignState
    subject: str
    created_at: datetime
    send_at: datetime | None
    audience_count: int | None
    sent: int
    failed: int


def campaign_lines(session: Session, event_id: int | None = None) -> list[CampaignLine]:
    """The campaigns of an event (of every event when None), newest first."""
    query = (
        select(
            Campaign.id, Campaign.event_id, Event.title, Campaign.kind, Campaign.state,
            Campaign.subject, Campaign.created_at, Campaign.send_at, Campaign.audience_count,
        )
        .join(Event, Event.id == Campaign.event_id)
        .order_by(Campaign.id.desc())
    )  # fmt: skip
    counted = (
        select(Message.campaign_id, Message.status, func.count())
        .where(Message.campaign_id.is_not(None))
        .group_by(Message.campaign_id, Message.status)
    )
    if event_id is not None:
        query = query.where(Campaign.event_id == event_id)
        counted = counted.where(Message.event_id == event_id)
    counts = {(row[0], row[1]): row[2] for row in session.execute(counted)}
    return [
        CampaignLine(
            *row,
            sent=counts.get((row.id, MessageStatus.SENT), 0),
            failed=counts.get((row.id, MessageStatus.FAILED), 0),
        )
        for row in session.execute(query)
    ]


@dataclass(frozen=True)
class Progress:
    """Where a campaign's emails stand, and how fast they leave."""

    state: CampaignState
    counts: dict[str, int]  # every message status, 0 when none
    total: int  # the audience once built, else the rows written so far
    per_minute: int  # sent in the last minute

    @property
    def done(self) -> int:
        """Emails that reached a final state."""
        return sum(self.counts[name] for name in FINAL)

    @property
    def live(self) -> bool:
        """Whether the page should keep asking for news."""
        return self.state in LIVE


def campaign_progress(session: Session, campaign: Campaign, now: datetime) -> Progress:
    """The campaign's rows by status, its size and its send rate over the last minute."""
    counts = progress(session, campaign.id)
    total = campaign.audience_count
    if total is None:
        total = sum(counts.values())
    rate = session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.campaign_id == campaign.id,
            Message.status == MessageStatus.SENT,
            Message.sent_at >= now - RATE_WINDOW,
        )
    )
    return Progress(campaign.state, counts, total, rate or 0)


@dataclass(frozen=True)
class FailedLine:
    """An email the provider refused, in its own words."""

    email: str
    attempts: int
    error: str


def failed_emails(session: Session, campaign_id: int) -> list[FailedLine]:
    """The campaign's failed emails, first failed first (at most FAILED_SHOWN)."""
    rows = session.execute(
        select(Contact.email, Message.attempts, Message.last_error)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Message.campaign_id == campaign_id, Message.status == MessageStatus.FAILED)
        .order_by(Message.id)
        .limit(FAILED_SHOWN)
    )
    return [FailedLine(*row) for row in rows]


@dataclass(frozen=True)
class Sample:
    """A person of the audience the preview can show the email for."""

    contact_id: int
    email: str
    name: str
    language: str


def samples(session: Session, campaign: Campaign) -> list[Sample]:
    """The first people of the campaign's audience (none when it has nobody yet)."""
    ids = session.scalars(
        audience_query(session, campaign).with_only_columns(Contact.id).limit(SAMPLES)
    ).all()
    people = session.scalars(select(Contact).where(Contact.id.in_(ids)).order_by(Contact.id))
    return [
        Sample(c.id, c.email, display_name(c.first_name, c.last_name, c.email), c.language)
        for c in people
    ]


def composer_choices(
    session: Session,
) -> tuple[list[tuple[int, str]], list[tuple[str, int]], list[str]]:
    """What the composer offers: the events (latest first), the lists with their sizes, the
    saved segments."""
    events = session.execute(select(Event.id, Event.title).order_by(Event.starts_at.desc()))
    segments = session.scalars(select(Segment.name).order_by(Segment.name))
    return [(i, t) for i, t in events], list_sizes(session), list(segments)
