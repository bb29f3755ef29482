"""Campaigns that start by themselves: a follow-up 7 days after the invitations, reminders before
the event… Each rule is a row with a due time; the beat tick claims the due ones once, starts
their campaign, or skips them when their moment has passed (the event has started, or a last call
finds no seat left)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.campaigns import services
from service.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignRule,
    RuleAnchor,
    RuleState,
)
from service.db import utcnow
from service.errors import Conflict, Invalid, NotFound
from service.events.models import Event

# What organisers usually want, as (kind, anchor, hours from the anchor).
DEFAULT_RULES = (
    (CampaignKind.FOLLOW_UP, RuleAnchor.INVITATION, 7 * 24),
    (CampaignKind.LAST_CALL, RuleAnchor.EVENT_START, -10 * 24),
    (CampaignKind.REMINDER, RuleAnchor.EVENT_START, -7 * 24),
    (CampaignKind.PRACTICAL_INFO, RuleAnchor.EVENT_START, -24),
)


# Why a rule was skipped (its `reason`), as the doors name them.
EVENT_STARTED = "the event had started when its time came"
NO_SEAT_LEFT = "no seat was left"


def _invitations_launched_at(session: Session, event_id: int) -> datetime | None:
    return session.scalar(
        select(Campaign.launched_at)
        .where(
            Campaign.event_id == event_id,
            Campaign.kind == CampaignKind.INVITATION,
            Campaign.launched_at.is_not(None),
        )
        .order_by(Campaign.launched_at)
        .limit(1)
    )


def add_rule(
    session: Session,
    event_id: int,
    kind: CampaignKind,
    anchor: RuleAnchor,
    offset: timedelta,
    lists: list[str] | None = None,
) -> CampaignRule:
    """A rule of the event; its due time is known now when its anchor is."""
    event = session.get(Event, event_id)
    if event is None:
        raise Invalid("event", f"no event with id {event_id}")
    if kind is CampaignKind.INVITATION:
        raise Invalid("kind", "invitations are launched by the organiser")
    base = event.starts_at if anchor is RuleAnchor.EVENT_START else None
    if anchor is RuleAnchor.INVITATION:
        base = _invitations_launched_at(session, event_id)
    rule = CampaignRule(
        event_id=event_id,
        kind=kind,
        anchor=anchor,
        offset_hours=int(offset.total_seconds() // 3600),
        lists=lists or [],
        due_at=base + offset if base else None,
        state=RuleState.PENDING,
    )
    session.add(rule)
    session.flush()
    return rule


def add_defaults(session: Session, event_id: int) -> list[CampaignRule]:
    """The usual follow-up, last call, reminder and practical information of an event."""
    return [
        add_rule(session, event_id, kind, anchor, timedelta(hours=hours))
        for kind, anchor, hours in DEFAULT_RULES
    ]


def remove_rule(session: Session, event_id: int, rule_id: int) -> CampaignRule:
    """Delete a rule of the event that has not started its campaign (a skipped one may go);
    NotFound when the event has no such rule, Conflict when its campaign has started. The
    deletion is conditional, so a tick claiming the rule at the same moment wins or loses
    whole."""
    rule = session.get(CampaignRule, rule_id)
    if rule is None or rule.event_id != event_id:
        raise NotFound(f"no rule {rule_id} for event {event_id}")
    deleted = session.execute(
        delete(CampaignRule)
        .where(CampaignRule.id == rule_id, CampaignRule.state != RuleState.STARTED)
        .returning(CampaignRule.id)
        .execution_options(synchronize_session=False)
    ).first()
    if deleted is None:
        raise Conflict(f"rule {rule_id} has started its campaign", fields={"rule": "started"})
    session.expunge(rule)
    return rule


def _claim(session: Session, rule_id: int, state: RuleState, **values: object) -> bool:
    claimed = session.execute(
        update(CampaignRule)
        .where(CampaignRule.id == rule_id, CampaignRule.state == RuleState.PENDING)
        .values(state=state, done_at=utcnow(), **values)
        .returning(CampaignRule.id)
        .execution_options(synchronize_session=False)
    ).first()
    return claimed is not None


def _too_late(rule: CampaignRule, event: Event, now: datetime) -> str:
    if now >= event.starts_at and rule.kind is not CampaignKind.THANK_YOU:
        return EVENT_STARTED
    if rule.kind is CampaignKind.LAST_CALL and event.seats_free == 0:
        return NO_SEAT_LEFT
    return ""


def run_due(
    session: Session,
    start_build: Callable[[Session, int], None],
    now: datetime | None = None,
) -> list[CampaignRule]:
    """Start the campaign of each due rule, or skip it; each rule is claimed by one conditional
    UPDATE, so a second tick (or a second beat) finds nothing left to do."""
    now = now or utcnow()
    due = session.scalars(
        select(CampaignRule)
        .where(CampaignRule.state == RuleState.PENDING, CampaignRule.due_at <= now)
        .order_by(CampaignRule.due_at)
    ).all()
    handled = []
    for rule in due:
        event = session.get(Event, rule.event_id)
        assert event is not None, "a rule is deleted with its event"
        if reason := _too_late(rule, event, now):
            if _claim(session, rule.id, RuleState.SKIPPED, reason=reason):
                handled.append(rule)
            continue
        spec = services.CampaignSpec(event_id=rule.event_id, kind=rule.kind, lists=rule.lists)
        campaign = services.create(session, spec)
        if not _claim(session, rule.id, RuleState.STARTED, campaign_id=campaign.id):
            session.delete(campaign)  # another tick got there first
            continue
        services.launch(session, campaign.id, start_build)
        handled.append(rule)
    session.flush()
    return handled


def rules_of(session: Session, event_id: int) -> list[CampaignRule]:
    """The rules of an event, soonest first (those without a due time last)."""
    return list(
        session.scalars(
            select(CampaignRule)
            .where(CampaignRule.event_id == event_id)
            .order_by(CampaignRule.due_at.is_(None), CampaignRule.due_at, CampaignRule.id)
        )
    )
