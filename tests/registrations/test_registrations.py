"""The registration service, called directly: seats, waitlist order, offers and capacity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service.db import utcnow
from service.registrations import services
from service.registrations.errors import (
    InvalidAnswers,
    OfferExpired,
    RegistrationClosed,
    WrongState,
)
from service.registrations.models import RegistrationStatus as S
from tests.helpers import act, check_counters, statuses, waitlist


def test_register_confirms_until_full_then_waitlists_in_order(db, factory):
    event_id = factory.event(capacity=2)
    people = factory.invitees(event_id, 4)
    results = [act(db, p.invitation_id, services.register, {}) for p in people]
    assert results == [S.CONFIRMED, S.CONFIRMED, S.WAITLISTED, S.WAITLISTED]
    assert waitlist(db, event_id) == [people[2].invitation_id, people[3].invitation_id]
    check_counters(db, event_id)


def test_registering_twice_returns_the_same_registration(db, factory):
    event_id = factory.event(capacity=1)
    person = factory.invitees(event_id, 1)[0]
    act(db, person.invitation_id, services.register, {})
    act(db, person.invitation_id, services.register, {})
    assert statuses(db, event_id) == {person.invitation_id: S.CONFIRMED}
    assert check_counters(db, event_id).seats_held == 1


def test_cancel_promotes_first_waitlisted_directly_under_confirm_policy(db, factory):
    event_id = factory.event(capacity=1, registration={"waitlist_policy": "confirm"})
    first, second, third = factory.invitees(event_id, 3)
    for p in (first, second, third):
        act(db, p.invitation_id, services.register, {})
    act(db, first.invitation_id, services.cancel)
    assert statuses(db, event_id) == {
        first.invitation_id: S.CANCELLED,
        second.invitation_id: S.CONFIRMED,
        third.invitation_id: S.WAITLISTED,
    }
    check_counters(db, event_id)


def test_cancel_offers_the_seat_until_a_deadline_under_offer_policy(db, factory):
    event_id = factory.event(
        capacity=1, registration={"waitlist_policy": "offer", "claim_window_hours": 24}
    )
    first, second = factory.invitees(event_id, 2)
    act(db, first.invitation_id, services.register, {})
    act(db, second.invitation_id, services.register, {})
    before = utcnow()
    act(db, first.invitation_id, services.cancel)
    assert statuses(db, event_id)[second.invitation_id] is S.OFFERED
    with db.transaction(write=False) as session:
        from service.registrations.models import Registration

        offer = session.query(Registration).filter_by(invitation_id=second.invitation_id).one()
        assert (
            before + timedelta(hours=24) <= offer.offer_expires_at <= utcnow() + timedelta(hours=24)
        )
    assert act(db, second.invitation_id, services.accept_offer) is S.CONFIRMED
    check_counters(db, event_id)


def test_newcomer_waits_behind_the_waitlist_even_when_a_seat_is_free(db, factory):
    event_id = factory.event(capacity=1, registration={"waitlist_policy": "manual"})
    first, second, newcomer = factory.invitees(event_id, 3)
    act(db, first.invitation_id, services.register, {})
    act(db, second.invitation_id, services.register, {})
    act(db, first.invitation_id, services.cancel)  # manual: the seat stays free
    assert act(db, newcomer.invitation_id, services.register, {}) is S.WAITLISTED
    assert waitlist(db, event_id) == [second.invitation_id, newcomer.invitation_id]
    with db.transaction() as session:
        promoted = services.promote(session, event_id)
        assert [r.invitation_id for r in promoted] == [second.invitation_id]


def test_late_accept_is_refused_and_expiry_passes_the_seat_on_once(db, factory):
    event_id = factory.event(
        capacity=1, registration={"waitlist_policy": "offer", "claim_window_hours": 1}
    )
    first, second, third = factory.invitees(event_id, 3)
    for p in (first, second, third):
        act(db, p.invitation_id, services.register, {})
    act(db, first.invitation_id, services.cancel)
    later = utcnow() + timedelta(hours=2)
    with pytest.raises(OfferExpired):
        act(db, second.invitation_id, services.accept_offer, now=later)
    with db.transaction() as session:
        assert len(services.expire_offers(session, event_id, now=later)) == 1
    with db.transaction() as session:
        assert services.expire_offers(session, event_id, now=later) == []
    assert statuses(db, event_id) == {
        first.invitation_id: S.CANCELLED,
        second.invitation_id: S.CANCELLED,
        third.invitation_id: S.OFFERED,
    }
    check_counters(db, event_id)


def test_release_offer_passes_the_seat_to_the_next(db, factory):
    event_id = factory.event(capacity=1)
    first, second, third = factory.invitees(event_id, 3)
    for p in (first, second, third):
        act(db, p.invitation_id, services.register, {})
    act(db, first.invitation_id, services.cancel)
    act(db, second.invitation_id, services.release_offer)
    assert statuses(db, event_id)[third.invitation_id] is S.OFFERED
    check_counters(db, event_id)


def test_raising_capacity_promotes_and_lowering_keeps_everyone(db, factory):
    event_id = factory.event(capacity=2, registration={"waitlist_policy": "confirm"})
    people = factory.invitees(event_id, 5)
    for p in people:
        act(db, p.invitation_id, services.register, {})
    with db.transaction() as session:
        services.set_capacity(session, event_id, 4)
    assert [statuses(db, event_id)[p.invitation_id] for p in people] == [S.CONFIRMED] * 4 + [
        S.WAITLISTED
    ]
    with db.transaction() as session:
        services.set_capacity(session, event_id, 1)
    assert list(statuses(db, event_id).values()).count(S.CONFIRMED) == 4
    act(db, people[0].invitation_id, services.cancel)  # 3 held > capacity 1: nobody promoted
    assert statuses(db, event_id)[people[4].invitation_id] is S.WAITLISTED
    check_counters(db, event_id)


def test_decline_before_answering_and_decline_after_registering(db, factory):
    event_id = factory.event(capacity=1, registration={"waitlist_policy": "confirm"})
    first, second = factory.invitees(event_id, 2)
    assert act(db, second.invitation_id, services.decline) is S.DECLINED
    act(db, first.invitation_id, services.register, {})
    assert act(db, first.invitation_id, services.decline) is S.CANCELLED  # reason: "declined"
    assert check_counters(db, event_id).seats_held == 0


def test_closed_window_refuses_registration(db, factory):
    closed = (utcnow() - timedelta(days=1)).replace(tzinfo=None).isoformat(timespec="minutes")
    event_id = factory.event(registration={"closes_at": closed})
    person = factory.invitees(event_id, 1)[0]
    with pytest.raises(RegistrationClosed):
        act(db, person.invitation_id, services.register, {})
    assert statuses(db, event_id) == {}


def test_required_answer_is_named_when_missing(db, factory):
    event_id = factory.event(
        questions=[
            {
                "key": "lunch",
                "label": "Déjeuner",
                "kind": "choice",
                "choices": ["oui", "non"],
                "required": True,
            }
        ]
    )
    person = factory.invitees(event_id, 1)[0]
    with pytest.raises(InvalidAnswers) as error:
        act(db, person.invitation_id, services.register, {})
    assert error.value.fields == {"lunch": "required"}
    assert act(db, person.invitation_id, services.register, {"lunch": "non"}) is S.CONFIRMED


def test_cancel_without_registration_is_not_allowed(db, factory):
    event_id = factory.event()
    person = factory.invitees(event_id, 1)[0]
    with pytest.raises(WrongState):
        act(db, person.invitation_id, services.cancel)
