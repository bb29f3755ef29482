"""A list's response beyond one funnel, on the statistics fixture: what a follow-up brought among
each list's people, the same lists at an earlier event, registrations day by day with the
launches, and how long people took to answer."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from contacts.models import Contact, MailingList
from service.campaigns import services
from service.campaigns.models import CampaignKind
from service.db import utcnow
from service.events.models import Event
from service.mail.models import Message, MessageStatus
from service.registrations import services as registrations
from service.registrations.models import Invitation, Registration
from service.tracking import funnel, list_stats, timeline
from tests.campaigns.conftest import LISTS, email, new_campaign
from tests.helpers import act
from tests.tracking.test_stats import _setup


def _send(db, settings, event_id: int, kind: CampaignKind, sent_at, **fields) -> int:
    """A campaign of the event launched, built and its emails marked sent at `sent_at`."""
    campaign_id = new_campaign(db, event_id, kind, **fields)
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda *_: None)
    services.build(db, settings, campaign_id)
    with db.transaction() as session:
        session.execute(
            update(Message)
            .where(Message.campaign_id == campaign_id, Message.status == MessageStatus.QUEUED)
            .values(status=MessageStatus.SENT, sent_at=sent_at)
        )
        funnel.recompute(session, event_id)
    return campaign_id


def _invitation(db, event_id: int, number: int) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(
            select(Invitation.id)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Invitation.event_id == event_id, Contact.email == email(number))
        )


def _list_ids(db) -> dict[str, int]:
    with db.transaction(write=False) as session:
        return dict(session.execute(select(MailingList.name, MailingList.id)).all())


def test_a_follow_up_s_lift_counts_per_list_those_who_answered_after_it(
    db, settings, factory, network
):
    event_id = _setup(db, settings, factory)
    follow_up = _send(
        db, settings, event_id, CampaignKind.FOLLOW_UP, utcnow() - timedelta(minutes=30)
    )
    act(db, _invitation(db, event_id, 2), registrations.register, {})  # on CNCRES only
    with db.transaction(write=False) as session:
        written = set(
            session.scalars(
                select(Contact.email)
                .join(Message, Message.contact_id == Contact.id)
                .where(Message.campaign_id == follow_up, Message.status == MessageStatus.SENT)
            )
        )
        lifts = list_stats.lifts(session, event_id)
    ids = _list_ids(db)
    assert email(2) in written
    assert email(0) not in written  # 0 had answered: not followed up
    for name, numbers in LISTS.items():
        (lift,) = lifts[ids[name]]
        assert (lift.campaign_id, lift.kind) == (follow_up, CampaignKind.FOLLOW_UP)
        assert lift.written == len(written & {email(n) for n in numbers}), name
        assert lift.answered == (1 if 2 in numbers else 0), name
    assert lifts[ids["CNCRES"]][0].rate == 1 / lifts[ids["CNCRES"]][0].written


def test_the_same_lists_at_an_earlier_event(db, settings, factory, network):
    event_id = _setup(db, settings, factory)  # a month from now
    day = (utcnow() + timedelta(days=10)).date().isoformat()
    earlier = factory.event(title="Rencontre précédente", date=day, capacity=10)
    _send(db, settings, earlier, CampaignKind.INVITATION, utcnow(), lists=["CNCRES", "RTES"])
    for number in range(5):  # five people of CNCRES registered at the earlier event
        act(db, _invitation(db, earlier, number), registrations.register, {})
    ids = _list_ids(db)
    with db.transaction(write=False) as session:
        event = session.get(Event, event_id)
        past = list_stats.history(session, event, list(ids.values()))
        assert list_stats.history(session, session.get(Event, earlier), list(ids.values())) == {}
    assert set(past) == {ids["CNCRES"], ids["RTES"]}  # COORACE and MES were not invited then
    (cncres,) = past[ids["CNCRES"]]
    assert cncres.event.title == "Rencontre précédente"
    # 10 invited, 9 sent (7 had unsubscribed), no delivery reported: the rate is over the sent
    assert (cncres.funnel.invited, cncres.funnel.sent, cncres.funnel.registered) == (10, 9, 5)
    assert cncres.funnel.response_rate == 5 / 9
    (rtes,) = past[ids["RTES"]]
    assert (rtes.funnel.invited, rtes.funnel.responded) == (10, 0)


def test_days_run_without_gaps_from_the_first_launch_or_registration(
    db, settings, factory, network
):
    event_id = _setup(db, settings, factory)
    first = _invitation(db, event_id, 0)
    with db.transaction() as session:
        session.execute(
            update(Registration)
            .where(Registration.invitation_id == first)
            .values(created_at=utcnow() - timedelta(days=3))
        )
    with db.transaction(write=False) as session:
        days = timeline.days(session, event_id, settings.tz)
    assert [day.registrations for day in days] == [1, 0, 0, 1]
    assert (days[1].day - days[0].day, days[-1].day - days[0].day) == (timedelta(1), timedelta(3))
    assert [len(day.launches) for day in days] == [0, 0, 0, 1]  # the invitation left today
    assert days[-1].launches[0].kind is CampaignKind.INVITATION


def test_response_times_are_grouped_from_the_invitation_to_the_first_answer(
    db, settings, factory, network
):
    event_id = _setup(db, settings, factory)  # invitations left two hours before the answers
    late = _invitation(db, event_id, 4)
    with db.transaction() as session:
        session.execute(
            update(Invitation)
            .where(Invitation.id == late)
            .values(sent_at=utcnow() - timedelta(days=8))
        )
    with db.transaction(write=False) as session:
        groups = dict(timeline.response_times(session, event_id))
    assert list(groups) == list(timeline.WAIT_GROUPS)
    assert (groups["1h_6h"], groups["over_7d"], sum(groups.values())) == (2, 1, 3)
