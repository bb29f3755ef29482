"""Campaigns end to end with a real worker and beat (embedded broker, or Redis): each person of
overlapping lists gets one email, the unsubscribed none, and two beats start a scheduled campaign
once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from service.campaigns import services
from service.campaigns.models import Campaign, CampaignKind, CampaignState
from service.db import utcnow
from service.mail.dispatch import build_after_commit
from tests.campaigns.conftest import (
    OUTBOX,
    PEOPLE,
    UNSUBSCRIBED,
    campaign_state,
    email,
    new_campaign,
    recipients,
)
from tests.servers import ROOT, celery_worker, wait_for

pytestmark = pytest.mark.slow


def done(db, campaign_id: int) -> bool:
    """Whether the campaign has ended."""
    return campaign_state(db, campaign_id) is CampaignState.DONE


def test_each_person_of_overlapping_lists_gets_one_invitation(db, factory, network):
    event_id = factory.event()
    campaign_id = new_campaign(db, event_id, CampaignKind.INVITATION)
    with celery_worker({"TICK_SECONDS": "0.5"}, concurrency=2, beat=True):
        with db.transaction() as session:
            services.launch(session, campaign_id, build_after_commit)
        wait_for(
            lambda: campaign_state(db, campaign_id) is CampaignState.DONE, 90, "the campaign to end"
        )
    got = recipients()
    assert set(got) == {email(i) for i in range(PEOPLE)} - {email(UNSUBSCRIBED)}
    assert set(got.values()) == {1}
    with db.transaction(write=False) as session:
        assert services.progress(session, campaign_id)["suppressed"] == 1


def test_two_beats_start_a_scheduled_campaign_once(db, factory, network, tmp_path):
    event_id = factory.event()
    campaign_id = new_campaign(
        db, event_id, CampaignKind.INVITATION, send_at=utcnow() + timedelta(days=1)
    )
    with db.transaction() as session:
        services.launch(session, campaign_id, build_after_commit)
        # Its time has come while nobody watched.
        session.execute(update(Campaign).values(send_at=utcnow() - timedelta(seconds=1)))
    # A second beat started by mistake, beside the worker's own.
    second_beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tasks", "beat", "--loglevel=WARNING",
         "--schedule", str(tmp_path / "second-beat")],
        cwd=ROOT, env={**os.environ, "TICK_SECONDS": "0.5", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        with celery_worker({"TICK_SECONDS": "0.5"}, concurrency=2, beat=True):
            wait_for(
                lambda: campaign_state(db, campaign_id) is CampaignState.DONE, 90, "the campaign"
            )
    finally:
        second_beat.terminate()
        second_beat.wait(timeout=30)
    got = recipients()
    assert len(got) == PEOPLE - 1
    assert set(got.values()) == {1}


def test_a_campaign_whose_queues_were_lost_is_completed_by_the_tick(db, factory, network):
    event_id = factory.event()
    campaign_id = new_campaign(db, event_id, CampaignKind.INVITATION)
    with db.transaction() as session:
        services.launch(session, campaign_id, build_after_commit)
    # The build task is in the broker; starting the worker purges it, as a Redis restart without
    # persistence loses its queues. The tick finds the silent build and starts it again.
    # A build silent for 3 s is started again; a claim lasts 3 s, and no file is written in its
    # last second, so that the sweeper never queues again an email being written.
    env = {"TICK_SECONDS": "0.5", "MAIL_SENDING_TIMEOUT": "3", "MAIL_REQUEST_TIMEOUT": "1"}
    with celery_worker(env, concurrency=2, beat=True) as log:
        wait_for(
            lambda: campaign_state(db, campaign_id) is CampaignState.DONE, 90, "the campaign to end"
        )
    assert log.count("its build went silent; building it again") >= 1
    got = recipients()
    assert len(got) == PEOPLE - 1
    assert set(got.values()) == {1}


def test_the_follow_up_reaches_only_those_who_did_not_answer(db, factory, network):
    from service.registrations import services as registrations
    from service.registrations.models import Invitation
    from tests.helpers import act

    event_id = factory.event(capacity=1)
    invitation = new_campaign(db, event_id, CampaignKind.INVITATION)
    with celery_worker({"TICK_SECONDS": "0.5"}, concurrency=2, beat=True):
        with db.transaction() as session:
            services.launch(session, invitation, build_after_commit)
        wait_for(lambda: done(db, invitation), 90, "the invitations to leave")
        with db.transaction(write=False) as session:
            invited = dict(session.execute(select(Invitation.contact_id, Invitation.id)).all())
        answered = [invited[network.contact_ids[i]] for i in (1, 2, 4)]
        act(db, answered[0], registrations.register, {})  # the seat
        act(db, answered[1], registrations.register, {})  # the waitlist
        act(db, answered[2], registrations.decline)
        shutil.rmtree(OUTBOX, ignore_errors=True)
        follow_up = new_campaign(db, event_id, CampaignKind.FOLLOW_UP)
        with db.transaction() as session:
            services.launch(session, follow_up, build_after_commit)
        wait_for(lambda: done(db, follow_up), 90, "the follow-up to leave")
    silent = {email(i) for i in range(PEOPLE)} - {email(i) for i in (1, 2, 4, UNSUBSCRIBED)}
    got = recipients()
    # The two who registered also got their confirmation or waitlist notice meanwhile.
    follow_ups = Counter(got) - Counter({email(1): 1, email(2): 1})
    assert set(+follow_ups) == silent
    assert set(follow_ups.values()) == {1}
