"""Who a campaign writes to, its states, and its rows, called directly (no worker)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from service.campaigns import services
from service.campaigns.errors import CampaignStateError
from service.campaigns.models import CampaignKind, CampaignState, InvitationList
from service.db import utcnow
from service.errors import Invalid
from service.mail import outbox
from service.mail.models import Message, MessageStatus
from service.registrations import services as registrations
from service.registrations.models import Invitation
from tests.campaigns.conftest import LISTS, PEOPLE, UNSUBSCRIBED, email, new_campaign
from tests.helpers import act


def rows(db) -> dict[str, MessageStatus]:
    """Each row's address and status."""
    from contacts.models import Contact

    with db.transaction(write=False) as session:
        found = session.execute(
            select(Contact.email, Message.status).join(Contact, Contact.id == Message.contact_id)
        ).all()
    assert len(found) == len({address for address, _ in found}), "someone has two rows"
    return dict(found)


def launch_and_build(db, settings, campaign_id: int) -> None:
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda _session, _id: None)
    services.build(db, settings, campaign_id)


def test_an_invitation_campaign_writes_once_to_each_person_of_overlapping_lists(
    db, settings, factory, network
):
    event_id = factory.event()
    campaign_id = new_campaign(db, event_id, CampaignKind.INVITATION)
    launch_and_build(db, settings, campaign_id)
    written = rows(db)
    assert set(written) == {email(i) for i in range(PEOPLE)}
    assert written.pop(email(UNSUBSCRIBED)) is MessageStatus.SUPPRESSED
    assert set(written.values()) == {MessageStatus.QUEUED}
    with db.transaction(write=False) as session:
        invitations = session.scalar(select(func.count()).select_from(Invitation))
        attributions = session.scalar(select(func.count()).select_from(InvitationList))
    assert invitations == PEOPLE
    # A person on two lists counts in each.
    assert attributions == sum(len(numbers) for numbers in LISTS.values())
    # Building again (a redelivered task) writes nothing new.
    services.build(db, settings, campaign_id)
    assert len(rows(db)) == PEOPLE


def test_a_follow_up_reaches_only_those_who_have_not_answered(db, settings, factory, network):
    event_id = factory.event(capacity=1)
    launch_and_build(db, settings, new_campaign(db, event_id, CampaignKind.INVITATION))
    with db.transaction() as session:
        session.execute(update(Invitation).values(sent_at=utcnow()))  # as if they had left
        ids = dict(session.execute(select(Invitation.contact_id, Invitation.id)).all())
    registered, waitlisted, declined = (ids[network.contact_ids[i]] for i in (1, 2, 4))
    act(db, registered, registrations.register, {})
    act(db, waitlisted, registrations.register, {})
    act(db, declined, registrations.decline)
    with db.transaction() as session:
        session.execute(update(Message).values(status=MessageStatus.SENT))

    follow_up = new_campaign(db, event_id, CampaignKind.FOLLOW_UP)
    launch_and_build(db, settings, follow_up)
    with db.transaction(write=False) as session:
        reached = set(
            session.scalars(select(Message.contact_id).where(Message.campaign_id == follow_up))
        )
    silent = set(network.contact_ids) - {network.contact_ids[i] for i in (1, 2, 4)}
    assert reached == silent


def test_reminders_go_to_the_confirmed_only(db, settings, factory, network):
    event_id = factory.event(capacity=1)
    people = factory.invitees(event_id, 3)
    for person in people:
        act(db, person.invitation_id, registrations.register, {})
    reminder = new_campaign(db, event_id, CampaignKind.REMINDER)
    launch_and_build(db, settings, reminder)
    with db.transaction(write=False) as session:
        reached = session.scalars(
            select(Message.invitation_id).where(Message.campaign_id == reminder)
        ).all()
    assert reached == [people[0].invitation_id]


def test_pause_holds_rows_resume_frees_them_cancel_ends_them(db, settings, factory, network):
    event_id = factory.event()
    campaign_id = new_campaign(db, event_id, CampaignKind.INVITATION)
    launch_and_build(db, settings, campaign_id)
    with db.transaction() as session:
        services.pause(session, campaign_id)
    with db.transaction() as session:
        assert outbox.claim_due(session, 100) == []
    with db.transaction() as session:
        services.resume(session, campaign_id)
    with db.transaction() as session:
        assert len(outbox.claim_due(session, 5)) == 5
    with db.transaction() as session:
        services.cancel(session, campaign_id)
    statuses = list(rows(db).values())
    assert statuses.count(MessageStatus.SENDING) == 5  # already handed over: they finish
    assert statuses.count(MessageStatus.CANCELLED) == PEOPLE - 6
    with pytest.raises(CampaignStateError, match="is cancelled"), db.transaction() as session:
        services.resume(session, campaign_id)


def _refusal(db, event_id: int, kind: CampaignKind, **fields) -> dict[str, str]:
    with pytest.raises(Invalid) as refused:
        new_campaign(db, event_id, kind, **fields)
    return refused.value.fields


def test_bad_campaigns_are_refused_naming_the_field(db, factory, network):
    event_id = factory.event()
    assert _refusal(db, event_id, CampaignKind.INVITATION, lists=["CNRES"]) == {
        "lists": "no list called 'CNRES'"
    }
    assert _refusal(db, event_id, CampaignKind.INVITATION, lists=[]) == {
        "lists": "an invitation campaign needs lists or a segment"
    }
    assert _refusal(db, 999, CampaignKind.REMINDER) == {"event": "no event with id 999"}
    assert _refusal(db, event_id, CampaignKind.THANK_YOU, template="merci") == {
        "template": "no email called 'merci'"
    }


def test_a_scheduled_campaign_starts_once_however_many_ticks(db, settings, factory, network):
    from datetime import timedelta

    event_id = factory.event()
    soon = utcnow() + timedelta(hours=1)
    campaign_id = new_campaign(db, event_id, CampaignKind.INVITATION, send_at=soon)
    with db.transaction() as session:
        assert (
            services.launch(session, campaign_id, lambda *_: None).state is CampaignState.SCHEDULED
        )
    with db.transaction() as session:
        assert services.start_due(session) == []
    later = soon + timedelta(seconds=1)
    with db.transaction() as session:
        first = services.start_due(session, later)
    with db.transaction() as session:
        second = services.start_due(session, later)
    assert (first, second) == ([campaign_id], [])


def test_a_campaign_paused_before_its_time_is_scheduled_again_on_resume(
    db, settings, factory, network
):
    from datetime import timedelta

    soon = utcnow() + timedelta(hours=1)
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION, send_at=soon)
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda *_: None)
        services.pause(session, campaign_id)
    with db.transaction() as session:
        services.resume(session, campaign_id)
        assert services.get(session, campaign_id).state is CampaignState.SCHEDULED
    with db.transaction() as session:  # so the tick starts it at its time, as if never paused
        assert services.start_due(session, soon + timedelta(seconds=1)) == [campaign_id]


def test_a_page_written_while_the_campaign_is_paused_is_held(db, settings, factory, network):
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION)
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda *_: None)
        services.pause(session, campaign_id)
    services.build(db, settings, campaign_id)  # its task ran after the pause
    assert MessageStatus.QUEUED in rows(db).values()
    with db.transaction() as session:
        assert outbox.claim_due(session, 100) == []
    with db.transaction() as session:
        services.resume(session, campaign_id)
    with db.transaction() as session:
        assert len(outbox.claim_due(session, 100)) == PEOPLE - 1
