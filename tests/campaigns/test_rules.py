"""Rules: campaigns due at a moment of the event's life, claimed by the tick once, or skipped
when their moment has passed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from service.campaigns import rules, services
from service.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignRule,
    CampaignState,
    RuleAnchor,
    RuleState,
)
from service.cli import main
from service.db import utcnow
from service.events.models import Event
from service.registrations import services as registrations
from tests.campaigns.conftest import new_campaign, recipients
from tests.helpers import act
from tests.servers import celery_worker, wait_for


def no_build(_session, _campaign_id) -> None:
    """Building is not what these tests look at."""


def _rule(db, event_id: int, kind: CampaignKind, anchor: RuleAnchor, hours: int) -> int:
    with db.transaction() as session:
        return rules.add_rule(session, event_id, kind, anchor, timedelta(hours=hours)).id


def _due_hours_ago(db, rule_id: int, hours: float) -> None:
    """As if the beat had been down since the rule fell due."""
    with db.transaction() as session:
        session.execute(
            update(CampaignRule)
            .where(CampaignRule.id == rule_id)
            .values(due_at=utcnow() - timedelta(hours=hours))
        )


def _get(db, rule_id: int) -> CampaignRule:
    with db.transaction(write=False) as session:
        return session.get(CampaignRule, rule_id)


def test_a_rule_before_the_event_is_due_at_once_one_after_invitations_when_they_leave(
    db, factory, network
):
    event_id = factory.event()
    reminder = _rule(db, event_id, CampaignKind.REMINDER, RuleAnchor.EVENT_START, -7 * 24)
    follow_up = _rule(db, event_id, CampaignKind.FOLLOW_UP, RuleAnchor.INVITATION, 7 * 24)
    with db.transaction(write=False) as session:
        starts_at = session.get(Event, event_id).starts_at
    assert _get(db, reminder).due_at == starts_at - timedelta(days=7)
    assert _get(db, follow_up).due_at is None
    campaign_id = new_campaign(db, event_id, CampaignKind.INVITATION)
    with db.transaction() as session:
        launched = services.launch(session, campaign_id, no_build).launched_at
    assert _get(db, follow_up).due_at == launched + timedelta(days=7)


def test_an_overdue_rule_runs_once_however_many_ticks(db, factory, network):
    event_id = factory.event()
    rule_id = _rule(db, event_id, CampaignKind.REMINDER, RuleAnchor.EVENT_START, -7 * 24)
    _due_hours_ago(db, rule_id, 3)
    with db.transaction() as session:
        first = [r.id for r in rules.run_due(session, no_build)]
    with db.transaction() as session:
        second = rules.run_due(session, no_build)
    assert (first, second) == ([rule_id], [])
    rule = _get(db, rule_id)
    assert rule.state is RuleState.STARTED
    with db.transaction(write=False) as session:
        campaign = session.get(Campaign, rule.campaign_id)
        assert (campaign.kind, campaign.state) == (CampaignKind.REMINDER, CampaignState.SENDING)


@pytest.mark.parametrize("kind", [CampaignKind.REMINDER, CampaignKind.LAST_CALL])
def test_a_rule_whose_moment_has_passed_is_skipped(db, factory, kind):
    event_id = factory.event(capacity=1)
    if kind is CampaignKind.LAST_CALL:
        person = factory.invitees(event_id, 1)[0]
        act(db, person.invitation_id, registrations.register, {})  # the last seat goes
    else:
        with db.transaction() as session:  # the event started while the beat was down
            session.execute(
                update(Event)
                .where(Event.id == event_id)
                .values(
                    starts_at=utcnow() - timedelta(hours=1), ends_at=utcnow() + timedelta(hours=2)
                )
            )
    rule_id = _rule(db, event_id, kind, RuleAnchor.EVENT_START, -24)
    _due_hours_ago(db, rule_id, 3)
    with db.transaction() as session:
        rules.run_due(session, no_build)
    rule = _get(db, rule_id)
    assert rule.state is RuleState.SKIPPED
    assert rule.reason in ("the event had started when its time came", "no seat was left")
    assert rule.campaign_id is None
    listed = CliRunner().invoke(main, ["campaign", "rule", "list", "--event", str(event_id)])
    assert f"skipped ({rule.reason})" in listed.output


def test_rule_commands_add_and_refuse_clearly(db, factory):
    event_id = factory.event()
    runner = CliRunner()
    added = runner.invoke(main, ["campaign", "rule", "defaults", "--event", str(event_id)])
    assert added.exit_code == 0, added.output
    assert "follow_up\t7d after the invitations\tdue —\tpending" in added.output
    assert "practical_info\t1d before the event" in added.output
    bad = runner.invoke(main, ["campaign", "rule", "add", "--event", str(event_id),
                               "--kind", "reminder", "--before", "a week"])  # fmt: skip
    assert bad.exit_code != 0
    assert "--before" in bad.output
    assert "7d or 36h" in bad.output
    with db.transaction(write=False) as session:
        assert len(session.scalars(select(CampaignRule)).all()) == 4


@pytest.mark.slow
def test_after_three_hours_without_beat_the_reminder_goes_once_to_the_confirmed(db, factory):
    event_id = factory.event(capacity=2)
    people = factory.invitees(event_id, 3)
    for person in people:
        act(db, person.invitation_id, registrations.register, {})
    rule_id = _rule(db, event_id, CampaignKind.REMINDER, RuleAnchor.EVENT_START, -24)
    _due_hours_ago(db, rule_id, 3)

    def reminder_done() -> bool:
        rule = _get(db, rule_id)
        if rule.campaign_id is None:
            return False
        with db.transaction(write=False) as session:
            return services.get(session, rule.campaign_id).state is CampaignState.DONE

    with celery_worker({"TICK_SECONDS": "0.5"}, concurrency=2, beat=True):
        wait_for(reminder_done, 90, "the reminder campaign to end")
    got = recipients()
    # The two confirmed people: a confirmation and a reminder each; the waitlisted one, a notice.
    assert got == {people[0].email: 2, people[1].email: 2, people[2].email: 1}
