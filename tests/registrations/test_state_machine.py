"""A Hypothesis state machine over register / decline / cancel / accept / release / attend /
expire / promote / capacity change, checking DESIGN.md's invariants after every step, and that
each person's step goes where models.STEPS says, or is refused where it lists nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from service.db import Database, utcnow
from service.events.models import Event, WaitlistPolicy
from service.registrations import services
from service.registrations.errors import OfferExpired, WrongState
from service.registrations.models import STEPS, Invitation, Registration, Step
from service.registrations.models import RegistrationStatus as S
from tests.factories import Factory, empty_database

PEOPLE = 4
person = st.integers(0, PEOPLE - 1)


class RegistrationMachine(RuleBasedStateMachine):
    """One event, a few invitees, and any sequence of what people and organisers do."""

    db: Database
    factory: Factory

    def __init__(self) -> None:
        super().__init__()
        empty_database(self.db)
        self.now = utcnow()
        self.invitations: list[int] = []

    @initialize(capacity=st.integers(0, 2), policy=st.sampled_from(list(WaitlistPolicy)))
    def create_event(self, capacity: int, policy: WaitlistPolicy) -> None:
        self.event_id = self.factory.event(
            capacity=capacity,
            date=(self.now + timedelta(days=365)).date().isoformat(),
            registration={"waitlist_policy": policy.value, "claim_window_hours": 24},
        )
        self.policy = policy
        self.invitations = [p.invitation_id for p in self.factory.invitees(self.event_id, PEOPLE)]

    # -- one step: run an action, then check what it changed ---------------------------------

    def _snapshot(self) -> tuple[Event, dict[int, Registration]]:
        with self.db.transaction(write=False) as session:
            event = session.get(Event, self.event_id)
            rows = session.scalars(
                select(Registration).where(Registration.event_id == self.event_id)
            ).all()
            return event, {r.invitation_id: r for r in rows}

    def _step(self, action, invitation: int | None = None, *args, step: Step | None = None) -> None:
        _, before = self._snapshot()
        queue_before = [
            i
            for i, r in sorted(before.items(), key=lambda kv: kv[1].waitlist_position or 0)
            if r.status is S.WAITLISTED
        ]
        refused: Exception | None = None
        try:
            with self.db.transaction() as session:
                if invitation is None:
                    action(session, *args)
                else:
                    action(session, session.get(Invitation, invitation), *args, now=self.now)
        except (WrongState, OfferExpired) as refusal:
            refused = refusal
        event, after = self._snapshot()
        if step is not None:
            self._check_step(step, before.get(invitation), after.get(invitation), refused)
        held = sum(r.status.holds_seat for r in after.values())
        gained = [
            i
            for i, r in after.items()
            if r.status.holds_seat and not (i in before and before[i].status.holds_seat)
        ]
        if gained:
            # A seat is only ever given within capacity.
            assert held <= event.capacity, (held, event.capacity)
        promoted = [i for i in gained if i != invitation and i in queue_before]
        # Seats freed go to the first in line.
        assert set(promoted) == set(queue_before[: len(promoted)]), (promoted, queue_before)

    @staticmethod
    def _check_step(step: Step, before, after, refused: Exception | None) -> None:
        expected = STEPS[step].get(before.status if before else None)
        if expected is None:
            assert isinstance(refused, WrongState), (step, before and before.status)
            assert (after and after.status) == (before and before.status)
        elif isinstance(refused, OfferExpired):
            assert (step, before.status, after.status) == (Step.ACCEPT, S.OFFERED, S.OFFERED)
        else:
            assert refused is None, (step, before.status if before else None, refused)
            assert after.status is expected, (step, after.status, expected)

    # -- rules --------------------------------------------------------------------------------

    @rule(who=person)
    def register(self, who: int) -> None:
        self._step(services.register, self.invitations[who], {})

    @rule(who=person)
    def decline(self, who: int) -> None:
        self._step(services.decline, self.invitations[who], step=Step.DECLINE)

    @rule(who=person)
    def cancel(self, who: int) -> None:
        self._step(services.cancel, self.invitations[who], step=Step.CANCEL)

    @rule(who=person)
    def accept(self, who: int) -> None:
        self._step(services.accept_offer, self.invitations[who], step=Step.ACCEPT)

    @rule(who=person)
    def release(self, who: int) -> None:
        self._step(services.release_offer, self.invitations[who], step=Step.RELEASE)

    @rule(who=person)
    def attend(self, who: int) -> None:
        self._step(services.mark_attended, self.invitations[who], step=Step.ATTEND)

    @rule(hours=st.integers(1, 48))
    def time_passes_and_offers_expire(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        self._step(lambda session: services.expire_offers(session, self.event_id, now=self.now))

    @rule(capacity=st.integers(0, 6))
    def organiser_sets_capacity(self, capacity: int) -> None:
        self._step(
            lambda session: services.set_capacity(session, self.event_id, capacity, now=self.now)
        )

    @rule()
    def organiser_promotes(self) -> None:
        self._step(lambda session: services.promote(session, self.event_id, now=self.now))

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def counters_match_rows_and_waitlist_is_ordered(self) -> None:
        if not self.invitations:
            return
        event, rows = self._snapshot()
        held = sum(r.status.holds_seat for r in rows.values())
        waiting = sorted(
            (r for r in rows.values() if r.status is S.WAITLISTED),
            key=lambda r: r.waitlist_position,
        )
        assert event.seats_held == held
        assert event.waitlist_count == len(waiting)
        assert [r.waitlisted_at for r in waiting] == sorted(r.waitlisted_at for r in waiting)
        assert all(r.offer_expires_at is not None for r in rows.values() if r.status is S.OFFERED)
        if self.policy is not WaitlistPolicy.MANUAL:
            # Nobody waits while a seat is free.
            assert not (waiting and held < event.capacity), (held, event.capacity, len(waiting))


@pytest.mark.slow
def test_registration_state_machine(db, settings):
    RegistrationMachine.db = db
    RegistrationMachine.factory = Factory(db, settings)
    run_state_machine_as_test(
        RegistrationMachine,
        settings=hypothesis_settings(
            max_examples=150,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
