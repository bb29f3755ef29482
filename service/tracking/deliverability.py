"""What became of an event's emails once they left: per campaign, and for the event's own emails
(confirmations, waitlist notices, offers… the messages of no campaign) as one line, how many
were sent, failed, bounced, were dropped by the provider, reported as spam or led to an
unsubscribe, and the most frequent reasons given.

A person counts once per line and kind of event, however many events the provider sent. Rates
are over the emails sent; the failure rate over the emails sent or failed."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import case, distinct, func, literal, select
from sqlalchemy.orm import Session

from service.campaigns.models import Campaign, CampaignKind
from service.mail.models import Message, MessageStatus
from service.tracking.models import ProviderEvent

# SendGrid's event → the line's count it adds to (both unsubscribe events are one person's no).
COUNTED = {
    "bounce": "bounced",
    "dropped": "dropped",
    "spamreport": "spam_reports",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
}
EXPLAINED = ("bounce", "dropped")  # the events whose reasons are shown
TOP_REASONS = 5  # per line and kind
REASON_LENGTH = 300
# Providers name the recipient in their reasons: masked, the same refusal for two people is
# one reason, and the page shows no address.
ADDRESS = re.compile(r"<?[\w.+'-]+@[\w-]+(\.[\w-]+)+>?")
MASK = "<…>"


@dataclass(frozen=True)
class Reason:
    """A reason given for emails that did not arrive: `kind` is bounce, dropped or failed."""

    kind: str
    text: str  # "" when the provider gave none
    count: int


@dataclass
class Line:
    """One campaign of the event, or its own emails (`campaign_id` None), and their fate."""

    campaign_id: int | None
    kind: CampaignKind | None
    subject: str = ""
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    dropped: int = 0
    spam_reports: int = 0
    unsubscribed: int = 0
    reasons: list[Reason] = field(default_factory=list)

    def rate(self, name: str) -> float | None:
        """`name`'s count over the emails sent (failures: over those sent or failed); None
        when nothing left."""
        base = self.sent + self.failed if name == "failed" else self.sent
        return getattr(self, name) / base if base else None


FIGURES = ("sent", "failed", "bounced", "dropped", "spam_reports", "unsubscribed")


def masked(text: str) -> str:
    """A provider's reason with its addresses masked and its spaces made one."""
    return " ".join(ADDRESS.sub(MASK, text).split())[:REASON_LENGTH]


def by_campaign(session: Session, event_id: int) -> list[Line]:
    """The event's campaigns in the order they were made, then its own emails."""
    campaigns = session.execute(
        select(Campaign.id, Campaign.kind, Campaign.subject)
        .where(Campaign.event_id == event_id)
        .order_by(Campaign.id)
    ).all()
    found: dict[int | None, Line] = {row.id: Line(row.id, row.kind, row.subject)
                                     for row in campaigns}  # fmt: skip
    found[None] = Line(None, None)  # the event's own emails
    _count_messages(session, event_id, found)
    _count_events(session, event_id, found)
    _add_reasons(session, event_id, found)
    return list(found.values())


def total(found: list[Line]) -> Line:
    """The lines added up (reasons left out)."""
    line = Line(None, None)
    for name in FIGURES:
        setattr(line, name, sum(getattr(each, name) for each in found))
    return line


def _count_messages(session: Session, event_id: int, found: dict[int | None, Line]) -> None:
    rows = session.execute(
        select(Message.campaign_id, Message.status, func.count())
        .where(
            Message.event_id == event_id,
            Message.status.in_((MessageStatus.SENT, MessageStatus.FAILED)),
        )
        .group_by(Message.campaign_id, Message.status)
    )
    for campaign_id, status, count in rows:
        if line := found.get(campaign_id):
            name = "sent" if status is MessageStatus.SENT else "failed"
            setattr(line, name, count)


def _count_events(session: Session, event_id: int, found: dict[int | None, Line]) -> None:
    # Grouped in an outer query: PostgreSQL does not see the CASE of the SELECT and of the
    # GROUP BY as one expression when their literals are bound apart.
    named = case(
        *((ProviderEvent.event == event, literal(name)) for event, name in COUNTED.items())
    )
    facts = (
        select(Message.campaign_id, named.label("name"), ProviderEvent.message_id)
        .join(Message, Message.id == ProviderEvent.message_id)
        .where(Message.event_id == event_id, ProviderEvent.event.in_(tuple(COUNTED)))
        .subquery()
    )
    rows = session.execute(
        select(facts.c.campaign_id, facts.c.name, func.count(distinct(facts.c.message_id)))
        .group_by(facts.c.campaign_id, facts.c.name)
    )  # fmt: skip
    for campaign_id, name, count in rows:
        if line := found.get(campaign_id):
            setattr(line, name, count)


def _add_reasons(session: Session, event_id: int, found: dict[int | None, Line]) -> None:
    counts: dict[int | None, Counter[tuple[str, str]]] = {key: Counter() for key in found}
    given = session.execute(
        select(Message.campaign_id, ProviderEvent.event, ProviderEvent.reason,
               ProviderEvent.detail, func.count(distinct(ProviderEvent.message_id)))
        .join(Message, Message.id == ProviderEvent.message_id)
        .where(Message.event_id == event_id, ProviderEvent.event.in_(EXPLAINED))
        .group_by(Message.campaign_id, ProviderEvent.event, ProviderEvent.reason,
                  ProviderEvent.detail)
    )  # fmt: skip
    for campaign_id, event, reason, detail, count in given:
        if campaign_id in counts:
            counts[campaign_id][(event, masked(reason or detail))] += count
    errors = session.execute(
        select(Message.campaign_id, Message.last_error, func.count())
        .where(Message.event_id == event_id, Message.status == MessageStatus.FAILED)
        .group_by(Message.campaign_id, Message.last_error)
    )
    for campaign_id, error, count in errors:
        if campaign_id in counts:
            counts[campaign_id][("failed", masked(error))] += count
    for key, counter in counts.items():
        for kind in ("failed", *EXPLAINED):
            mine = [(text, n) for (k, text), n in counter.items() if k == kind]
            mine.sort(key=lambda pair: (-pair[1], pair[0]))
            found[key].reasons += [Reason(kind, text, n) for text, n in mine[:TOP_REASONS]]
