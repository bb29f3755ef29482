"""The beat tick in a real Celery worker, on the embedded broker or Redis: expired seat offers end
and their seats pass on once, even when two ticks are delivered at the same time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from service.db import utcnow
from service.registrations import services
from service.registrations.errors import OfferExpired
from service.registrations.models import Registration
from service.registrations.models import RegistrationStatus as S
from tests.helpers import act, check_counters, statuses
from tests.servers import celery_worker, wait_for

pytestmark = pytest.mark.slow

# The one line each tick logs, at DEBUG.
TICKED = re.compile(r"DEBUG tasks\.periodic \[[^\]]+\] tick: ")


def _event_with_an_offer(db, factory):
    """Capacity 1: the first person cancels, the second is offered the seat, two more wait."""
    event_id = factory.event(
        capacity=1, registration={"waitlist_policy": "offer", "claim_window_hours": 48}
    )
    people = factory.invitees(event_id, 4)
    for p in people:
        act(db, p.invitation_id, services.register, {})
    act(db, people[0].invitation_id, services.cancel)
    assert statuses(db, event_id)[people[1].invitation_id] is S.OFFERED
    return event_id, people


def _deadline_passes(db, invitation_id: int) -> None:
    with db.transaction() as session:
        session.execute(
            update(Registration)
            .where(Registration.invitation_id == invitation_id)
            .values(offer_expires_at=utcnow() - timedelta(minutes=1))
        )


def test_two_ticks_at_once_expire_the_offer_and_pass_the_seat_on_once(db, factory):
    from tasks.periodic import tick

    event_id, people = _event_with_an_offer(db, factory)
    _deadline_passes(db, people[1].invitation_id)
    with pytest.raises(OfferExpired):
        act(db, people[1].invitation_id, services.accept_offer)
    with celery_worker({"LOG_LEVEL": "DEBUG"}, concurrency=2) as log:
        tick.delay()
        tick.delay()
        log.wait_for(TICKED, times=2, timeout=60)
    states = statuses(db, event_id)
    assert [states[p.invitation_id] for p in people] == [
        S.CANCELLED,
        S.CANCELLED,
        S.OFFERED,
        S.WAITLISTED,
    ]
    assert check_counters(db, event_id).seats_held == 1


def test_beat_runs_the_tick_by_itself(db, factory):
    event_id, people = _event_with_an_offer(db, factory)
    _deadline_passes(db, people[1].invitation_id)
    with celery_worker({"TICK_SECONDS": "0.5"}, concurrency=1, beat=True):
        wait_for(
            lambda: statuses(db, event_id)[people[2].invitation_id] is S.OFFERED,
            60,
            "beat to expire the offer",
        )
    assert statuses(db, event_id)[people[1].invitation_id] is S.CANCELLED
