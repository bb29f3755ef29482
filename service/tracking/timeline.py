"""An event's response over time: registrations per day with the days its campaigns left, and
how long people took to answer their invitation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.campaigns.models import Campaign, CampaignKind
from service.registrations.models import Invitation
from service.tracking import stats

# Upper bounds of the response-time groups, in hours; the last group has none.
WAIT_BOUNDS = (1, 6, 24, 72, 168)
WAIT_GROUPS = ("under_1h", "1h_6h", "6h_24h", "1d_3d", "3d_7d", "over_7d")
LONGEST_AXIS = 366  # days drawn at most: an older first launch is cut off, not drawn


@dataclass(frozen=True)
class Launch:
    """A campaign leaving, on the time axis."""

    campaign_id: int
    kind: CampaignKind


@dataclass(frozen=True)
class Day:
    """One day of the time axis: registrations, and the campaigns launched that day."""

    day: date
    registrations: int
    launches: list[Launch] = field(default_factory=list)


def days(session: Session, event_id: int, tz: ZoneInfo) -> list[Day]:
    """Every day from the first launch or registration to the last, with no gap, so that the
    chart's axis is time: days without registrations count zero."""
    counts = dict(stats.registrations_per_day(session, event_id, tz.key))
    launches: dict[date, list[Launch]] = {}
    for campaign_id, kind, launched_at in session.execute(
        select(Campaign.id, Campaign.kind, Campaign.launched_at)
        .where(Campaign.event_id == event_id, Campaign.launched_at.is_not(None))
        .order_by(Campaign.launched_at, Campaign.id)
    ):
        if launched_at is not None:  # the query keeps launched campaigns only; for the types
            day = launched_at.astimezone(tz).date()
            launches.setdefault(day, []).append(Launch(campaign_id, kind))
    known = [*counts, *launches]
    if not known:
        return []
    first, last = min(known), max(known)
    first = max(first, last - timedelta(days=LONGEST_AXIS - 1))
    return [
        Day(day, counts.get(day, 0), launches.get(day, []))
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
    ]


def response_times(session: Session, event_id: int) -> list[tuple[str, int]]:
    """How many people answered within each group of waits, from their invitation leaving to
    their first answer (registering, declining or writing back)."""
    groups = dict.fromkeys(WAIT_GROUPS, 0)
    rows = session.execute(
        select(Invitation.sent_at, Invitation.responded_at).where(
            Invitation.event_id == event_id,
            Invitation.sent_at.is_not(None),
            Invitation.responded_at.is_not(None),
        )
    )
    for sent, answered in rows:
        if sent is None or answered is None:  # excluded by the query; for the types
            continue
        hours = (answered - sent).total_seconds() / 3600
        if hours < 0:  # answered before the invitation was recorded as sent (a forward)
            continue
        bounded = zip(WAIT_GROUPS, WAIT_BOUNDS, strict=False)  # the last group has no bound
        groups[next((g for g, bound in bounded if hours < bound), WAIT_GROUPS[-1])] += 1
    return list(groups.items())
