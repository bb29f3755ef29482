"""Seats under concurrency, through the real web server (gunicorn, several processes and threads)
and clients in threads and in separate processes. Each guarded test has a negative control run
with the capacity guard switched off, which must overbook: it proves the test can see the race."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from service.events.models import Event
from service.registrations.models import Registration
from service.registrations.models import RegistrationStatus as S
from tests.helpers import check_counters, waitlist
from tests.registrations.clients import click, click_all
from tests.servers import live_server

pytestmark = pytest.mark.slow

RACE_WIDENER = {"RACE_DELAY_MS": "5"}
UNGUARDED = {**RACE_WIDENER, "UNGUARDED": "1"}
RACING_APP = "tests.racing_app:app"  # the test-only app that can widen or unguard the race


def _rush(base: str, tokens: list[str]) -> list[int]:
    """Half the clicks from threads of this process, half from two client processes."""
    half = len(tokens) // 2
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as processes, ThreadPoolExecutor(1) as local:
        remote = [processes.submit(click_all, base, tokens[i:half:2], 25) for i in (0, 1)]
        here = local.submit(click_all, base, tokens[half:], 25)
        return [code for future in [*remote, here] for code in future.result()]


def _registrations(db, event_id: int) -> list[Registration]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(Registration).where(Registration.event_id == event_id)))


def test_500_concurrent_registrations_hold_exactly_100_seats(db, factory):
    event_id = factory.event(capacity=100)
    tokens = [p.token for p in factory.invitees(event_id, 500)]
    with live_server(RACE_WIDENER, workers=3, threads=8, app=RACING_APP) as base:
        codes = _rush(base, tokens)
    assert sorted(set(codes)) == [303], f"unexpected answers: {sorted(set(codes))}"
    rows = _registrations(db, event_id)
    confirmed = [r for r in rows if r.status is S.CONFIRMED]
    waiting = sorted(
        (r for r in rows if r.status is S.WAITLISTED), key=lambda r: r.waitlist_position
    )
    assert (len(rows), len(confirmed), len(waiting)) == (500, 100, 400)
    # Arrival order: positions 1..400 in the order the decisions were taken, after every seat.
    assert [r.waitlist_position for r in waiting] == list(range(1, 401))
    stamps = [r.waitlisted_at for r in waiting]
    assert stamps == sorted(stamps)
    assert max(r.confirmed_at for r in confirmed) <= stamps[0]
    event = check_counters(db, event_id)
    assert event.seats_held == 100


def test_negative_control_without_the_guard_overbooks(db, factory):
    event_id = factory.event(capacity=100)
    tokens = [p.token for p in factory.invitees(event_id, 500)]
    with live_server(UNGUARDED, workers=3, threads=8, app=RACING_APP) as base:
        _rush(base, tokens)
    confirmed = sum(r.status is S.CONFIRMED for r in _registrations(db, event_id))
    assert confirmed > 100, (
        "without its guard the service should overbook; the test would miss a race"
    )


def test_50_concurrent_posts_of_one_link_make_one_registration(db, factory):
    event_id = factory.event(capacity=10)
    token = factory.invitees(event_id, 1)[0].token
    barrier = threading.Barrier(50)
    with (
        live_server(RACE_WIDENER, workers=3, threads=8, app=RACING_APP) as base,
        ThreadPoolExecutor(50) as pool,
    ):
        codes = list(pool.map(lambda _: click(base, token, barrier=barrier), range(50)))
    assert codes == [303] * 50
    rows = _registrations(db, event_id)
    assert [r.status for r in rows] == [S.CONFIRMED]
    assert check_counters(db, event_id).seats_held == 1


def _held_now(db, event_id: int) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).where(
                Registration.event_id == event_id,
                Registration.status.in_([S.CONFIRMED, S.OFFERED, S.ATTENDED]),
            )
        )


@pytest.mark.parametrize("policy", ["confirm", "offer"])
def test_cancellations_racing_registrations_never_exceed_capacity(db, factory, policy):
    capacity = 30
    event_id = factory.event(capacity=capacity, registration={"waitlist_policy": policy})
    seated = factory.invitees(event_id, capacity, prefix="seated")
    queued = factory.invitees(event_id, 25, prefix="queued")
    newcomers = factory.invitees(event_id, 20, prefix="new")
    with live_server(RACE_WIDENER, workers=3, threads=8, app=RACING_APP) as base:
        assert set(click_all(base, [p.token for p in seated], 10)) == {303}
        assert set(click_all(base, [p.token for p in queued], 10)) == {303}
        first_in_line = waitlist(db, event_id)
        samples: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append(_held_now(db, event_id))

        sampler = threading.Thread(target=sample)
        sampler.start()
        jobs = [(p.token, "cancel") for p in seated[:20]] + [
            (p.token, "register") for p in newcomers
        ]
        try:
            with ThreadPoolExecutor(40) as pool:
                codes = list(pool.map(lambda job: click(base, *job), jobs))
        finally:  # a failed click must not leave the sampler querying through later tests
            stop.set()
            sampler.join()
    assert set(codes) == {303}
    assert len(samples) > 10
    assert max(samples) <= capacity
    rows = {r.invitation_id: r for r in _registrations(db, event_id)}
    seat = S.CONFIRMED if policy == "confirm" else S.OFFERED
    promoted = [i for i in first_in_line if rows[i].status is seat]
    # Each freed seat went to one person, first in line first; newcomers all wait behind them.
    assert promoted == first_in_line[:20]
    assert all(rows[p.invitation_id].status is S.WAITLISTED for p in newcomers)
    assert waitlist(db, event_id) == first_in_line[20:] + sorted(
        (p.invitation_id for p in newcomers), key=lambda i: rows[i].waitlist_position
    )
    assert check_counters(db, event_id).seats_held == capacity


def test_offer_expiry_run_twice_at_once_passes_the_seat_on_once(db, factory):
    """Two ticks at the same instant: one expires the offer, the other finds nothing to do."""
    from datetime import timedelta

    from service.db import utcnow
    from service.registrations import services
    from tests.helpers import act

    event_id = factory.event(capacity=1, registration={"waitlist_policy": "offer"})
    first, second, third, fourth = factory.invitees(event_id, 4)
    for p in (first, second, third, fourth):
        act(db, p.invitation_id, services.register, {})
    act(db, first.invitation_id, services.cancel)
    later = utcnow() + timedelta(days=3)
    barrier = threading.Barrier(2)

    def expire() -> int:
        barrier.wait(timeout=30)
        with db.transaction() as session:
            return len(services.expire_offers(session, event_id, now=later))

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(lambda _: expire(), range(2)))
    assert results == [0, 1]
    rows = {r.invitation_id: r.status for r in _registrations(db, event_id)}
    assert [rows[p.invitation_id] for p in (second, third, fourth)] == [
        S.CANCELLED,
        S.OFFERED,
        S.WAITLISTED,
    ]
    with db.transaction(write=False) as session:
        assert session.get(Event, event_id).seats_held == 1
