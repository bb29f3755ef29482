"""A thank-you campaign writes to everyone who held a seat, or, through a segment on where people
stand with the event, to the people who came only or to those who did not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from contacts.segments import EventState, SegmentRules, save_segment
from service.campaigns.models import CampaignKind
from service.cli import main
from service.db import utcnow
from service.mail.models import Message
from service.registrations import services as registrations
from tests.campaigns.conftest import new_campaign
from tests.campaigns.test_audience import launch_and_build
from tests.helpers import act
from tests.manage.clients import csrf_token, sign_in


@pytest.fixture
def past_event(db, factory) -> tuple[int, list[int]]:
    """Yesterday's event: persons 0 and 1 came, 2 and 3 confirmed and did not, 4 declined."""
    event_id = factory.event(date=(utcnow() - timedelta(days=1)).date().isoformat())
    people = [invitee.invitation_id for invitee in factory.invitees(event_id, 5)]
    before = utcnow() - timedelta(days=3)
    for person in people[:4]:
        act(db, person, registrations.register, {}, now=before)
    act(db, people[4], registrations.decline, now=before)
    for person in people[:2]:
        act(db, person, registrations.mark_attended)
    return event_id, people


def thanked(db, settings, event_id: int, segment: str = "") -> set[int]:
    """The invitations a thank-you campaign over `segment` wrote to."""
    campaign_id = new_campaign(db, event_id, CampaignKind.THANK_YOU, segment=segment)
    launch_and_build(db, settings, campaign_id)
    with db.transaction(write=False) as session:
        found = session.scalars(
            select(Message.invitation_id).where(Message.campaign_id == campaign_id)
        )
        return set(found)


def segment(db, name: str, event_id: int, state: EventState) -> str:
    with db.transaction() as session:
        save_segment(session, name, SegmentRules(event=event_id, state=state))
    return name


def test_a_thank_you_reaches_everyone_who_held_a_seat_or_those_who_came_or_not(
    db, settings, past_event
):
    event_id, people = past_event
    assert thanked(db, settings, event_id) == set(people[:4])
    came = segment(db, "présents", event_id, EventState.ATTENDED)
    assert thanked(db, settings, event_id, came) == set(people[:2])
    absent = segment(db, "absents", event_id, EventState.NO_SHOW)
    assert thanked(db, settings, event_id, absent) == set(people[2:4])


def test_the_cli_saves_a_segment_of_the_people_who_did_not_come(db, past_event):
    event_id, _ = past_event
    answer = CliRunner().invoke(
        main,
        ["contacts", "segment", "absents", "--event", str(event_id), "--state", "no_show"],
    )
    assert answer.exit_code == 0, answer.output
    assert "segment 'absents': 2 contacts" in answer.output


def test_the_segment_page_offers_present_and_absent_and_saves_them(client, factory, past_event):
    event_id, _ = past_event
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    page = client.get("/manage/segments").text
    assert 'value="attended"' in page
    assert 'value="no_show"' in page
    assert "absent·e (place confirmée, pas venu·e)" in page
    saved = client.post(
        "/manage/segments",
        data={"csrf_token": csrf_token(client, "/manage/segments"), "name": "présents",
              "event": str(event_id), "state": "attended"},
    )  # fmt: skip
    assert saved.status_code == 302
    assert '<option value="présents"' in client.get("/manage/campaigns/new").text
