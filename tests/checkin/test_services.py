"""Checking people in: a ticket lets its person in once, whatever the devices; the reasons a code
is refused; offline scans sent late keep the earliest; undo; walk-ins while seats remain."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from service.audit.models import AuditEntry
from service.checkin import services as door
from service.checkin.services import Refusal, Verdict
from service.db import utcnow
from service.errors import Conflict
from service.events.models import Event
from service.registrations import services
from service.registrations.models import Registration
from service.registrations.models import RegistrationStatus as S
from service.registrations.tickets import registration_ticket, ticket_code
from tests.helpers import act

ACTOR = "porte@example.org"


@pytest.fixture
def event_id(factory):
    return factory.event(capacity=3)


def _registered(factory, db, event_id: int, count: int) -> list[int]:
    """Registration ids of `count` people registered (seats first, then the waitlist)."""
    ids = []
    for invitee in factory.invitees(event_id, count):
        act(db, invitee.invitation_id, services.register, {})
        with db.transaction(write=False) as session:
            ids.append(
                session.scalar(
                    select(Registration.id).where(
                        Registration.invitation_id == invitee.invitation_id
                    )
                )
            )
    return ids


def _ticket(db, settings, registration_id: int) -> str:
    with db.transaction(write=False) as session:
        registration = session.get(Registration, registration_id)
        return registration_ticket(settings, registration)


def _scan(db, settings, event_id: int, code: str, device: str = "Porte 1", **kwargs) -> door.Scan:
    with db.transaction() as session:
        return door.check_in(session, settings, event_id, code, device, ACTOR, **kwargs)


def test_a_ticket_lets_its_person_in_once(db, settings, factory, event_id):
    (registration_id,) = _registered(factory, db, event_id, 1)
    code = _ticket(db, settings, registration_id)
    first = _scan(db, settings, event_id, code, "Porte 1")
    assert (first.verdict, first.name) == (Verdict.WELCOME, "Personne 0")
    second = _scan(db, settings, event_id, code, "Porte 2")
    assert (second.verdict, second.attended_by) == (Verdict.ALREADY_IN, "Porte 1")
    with db.transaction(write=False) as session:
        registration = session.get(Registration, registration_id)
        assert (registration.status, registration.attended_by) == (S.ATTENDED, "Porte 1")
        assert registration.attended_at == second.attended_at
        assert door.door_counts(session, event_id) == door.DoorCounts(inside=1, expected=1)
        logged = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == ACTOR))
        assert list(logged) == ["registration.checked_in"]


def test_each_state_and_each_wrong_code_is_refused_with_its_reason(db, settings, factory, event_id):
    cancelled, confirmed, _offered_later, waiting = _registered(factory, db, event_id, 4)
    codes = {rid: _ticket(db, settings, rid) for rid in (cancelled, waiting, confirmed)}
    with db.transaction() as session:
        invitation_id = session.get(Registration, cancelled).invitation_id
    act(db, invitation_id, services.cancel)  # the seat goes to the first person waiting
    other_event = factory.event(slug="une-autre")
    (elsewhere,) = _registered(factory, db, other_event, 1)
    forged = ticket_code(["pas la clé du service"], event_id, confirmed, 1)
    expected = {
        codes[cancelled]: Refusal.CANCELLED,
        codes[waiting]: Refusal.OFFERED,  # offered the freed seat, not yet accepted
        _ticket(db, settings, elsewhere): Refusal.OTHER_EVENT,
        forged: Refusal.FORGED,
        "http://127.0.0.1:5000/r/WyJhYmMiLDFd.ZZ.signature": Refusal.PERSONAL_LINK,
        "Bonjour": Refusal.NOT_A_TICKET,
        ticket_code(settings.signing_keys, event_id, 10**6, 1): Refusal.UNKNOWN,
    }
    for code, refusal in expected.items():
        scan = _scan(db, settings, event_id, code)
        assert (scan.verdict, scan.refusal) == (Verdict.REFUSED, refusal), code
    assert _scan(db, settings, event_id, codes[confirmed]).verdict is Verdict.WELCOME
    with db.transaction(write=False) as session:
        assert door.door_counts(session, event_id).inside == 1


def test_a_waiting_persons_ticket_is_refused_as_waiting(db, settings, factory):
    event_id = factory.event(capacity=1)
    _, waiting = _registered(factory, db, event_id, 2)
    scan = _scan(db, settings, event_id, _ticket(db, settings, waiting))
    assert (scan.verdict, scan.refusal) == (Verdict.REFUSED, Refusal.WAITLISTED)


def test_a_seat_taken_again_gets_a_new_ticket_and_the_old_one_is_refused(
    db, settings, factory, event_id
):
    (invitee,) = factory.invitees(event_id, 1)
    act(db, invitee.invitation_id, services.register, {})
    with db.transaction(write=False) as session:
        registration_id = session.scalar(select(Registration.id))
    old = _ticket(db, settings, registration_id)
    act(db, invitee.invitation_id, services.cancel)
    act(db, invitee.invitation_id, services.register, {})
    new = _ticket(db, settings, registration_id)
    assert new != old
    refused = _scan(db, settings, event_id, old)
    assert (refused.verdict, refused.refusal) == (Verdict.REFUSED, Refusal.REPLACED)
    assert _scan(db, settings, event_id, new).verdict is Verdict.WELCOME


def test_offline_scans_sent_late_keep_the_earliest(db, settings, factory, event_id):
    (registration_id,) = _registered(factory, db, event_id, 1)
    code = _ticket(db, settings, registration_id)
    now = utcnow()
    online = _scan(db, settings, event_id, code, "Porte 1")
    assert online.verdict is Verdict.WELCOME
    # Porte 2 was offline and let the same person in two minutes earlier: its scan is the one kept.
    late = _scan(db, settings, event_id, code, "Porte 2", scanned_at=now - timedelta(minutes=2))
    assert (late.verdict, late.attended_by) == (Verdict.ALREADY_IN, "Porte 2")
    assert late.attended_at == now - timedelta(minutes=2)
    # A later offline scan changes nothing; a device clock ahead of ours is not believed.
    later = _scan(db, settings, event_id, code, "Porte 3", scanned_at=now - timedelta(minutes=1))
    ahead = _scan(db, settings, event_id, code, "Porte 4", scanned_at=now + timedelta(hours=1))
    assert {later.attended_by, ahead.attended_by} == {"Porte 2"}
    with db.transaction(write=False) as session:
        registration = session.get(Registration, registration_id)
        assert (registration.attended_at, registration.attended_by) == (late.attended_at, "Porte 2")


def test_an_undone_check_in_lets_the_person_in_again(db, settings, factory, event_id):
    (registration_id,) = _registered(factory, db, event_id, 1)
    code = _ticket(db, settings, registration_id)
    _scan(db, settings, event_id, code)
    with db.transaction() as session:
        undone = door.undo(session, event_id, registration_id, ACTOR)
    assert undone.verdict is Verdict.UNDONE
    assert undone.attended_at is None
    with db.transaction() as session, pytest.raises(Conflict):
        door.undo(session, event_id, registration_id, ACTOR)
    with db.transaction(write=False) as session:
        registration = session.get(Registration, registration_id)
        assert (registration.status, registration.attended_at) == (S.CONFIRMED, None)
    assert _scan(db, settings, event_id, code).verdict is Verdict.WELCOME


def test_a_walk_in_takes_a_free_seat_and_is_in(db, settings, factory, event_id):
    _registered(factory, db, event_id, 2)
    with db.transaction() as session:
        scan = door.walk_in(
            session, settings, event_id, "sur.place@example.org", "Zoé Sur-Place", "Porte 1", ACTOR
        )
    assert (scan.verdict, scan.name) == (Verdict.WELCOME, "Zoé Sur-Place")
    with db.transaction() as session, pytest.raises(Conflict) as refused:
        door.walk_in(session, settings, event_id, "trop@example.org", "Trop Tard", "Porte 1", ACTOR)
    assert refused.value.fields == {"capacity": "full"}
    with db.transaction(write=False) as session:
        assert door.door_counts(session, event_id) == door.DoorCounts(inside=1, expected=3)
        assert session.scalar(select(func.count()).select_from(Registration)) == 3


def test_a_walk_in_never_passes_people_waiting(db, settings, factory):
    event_id = factory.event(capacity=1, registration={"waitlist_policy": "manual"})
    seated, _ = _registered(factory, db, event_id, 2)
    with db.transaction() as session:
        invitation_id = session.get(Registration, seated).invitation_id
    act(db, invitation_id, services.cancel)  # a free seat, which the organiser gives by hand
    with db.transaction() as session, pytest.raises(Conflict) as refused:
        door.walk_in(session, settings, event_id, "a@example.org", "A B", "Porte 1", ACTOR)
    assert refused.value.fields == {"waitlist": "people waiting"}


def test_walk_ins_are_taken_after_registrations_close(db, settings, factory):
    event_id = factory.event(capacity=5)
    with db.transaction() as session:
        session.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(registration_closes_at=utcnow() - timedelta(hours=1))
        )
    with db.transaction() as session:
        scan = door.walk_in(session, settings, event_id, "a@example.org", "A B", "Porte 1", ACTOR)
    assert scan.verdict is Verdict.WELCOME


def test_the_ticket_list_holds_what_an_offline_device_needs(db, settings, factory, event_id):
    ids = _registered(factory, db, event_id, 4)
    _scan(db, settings, event_id, _ticket(db, settings, ids[0]), "Porte 1")
    with db.transaction(write=False) as session:
        listed = {row["id"]: row for row in door.ticket_list(session, settings, event_id)}
    assert set(listed) == set(ids)
    assert [listed[i]["status"] for i in ids] == [
        "attended",
        "confirmed",
        "confirmed",
        "waitlisted",
    ]
    assert listed[ids[0]]["attended_by"] == "Porte 1"
    assert all(listed[i]["code"] == _ticket(db, settings, i) for i in ids)


def _race(count: int, action) -> list:
    """`action()` from `count` threads released together; what each returned."""
    gate = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        gate.wait()
        results[index] = action(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_the_same_ticket_on_eight_devices_at_once_lets_one_in(db, settings, factory, event_id):
    (registration_id,) = _registered(factory, db, event_id, 1)
    code = _ticket(db, settings, registration_id)
    scans = _race(8, lambda i: _scan(db, settings, event_id, code, f"Porte {i}"))
    verdicts = sorted(scan.verdict for scan in scans)
    assert verdicts == [Verdict.ALREADY_IN] * 7 + [Verdict.WELCOME]
    (winner,) = [scan for scan in scans if scan.verdict is Verdict.WELCOME]
    assert {scan.attended_by for scan in scans} == {winner.attended_by}
    with db.transaction(write=False) as session:
        count = session.scalar(
            select(func.count()).where(AuditEntry.action == "registration.checked_in")
        )
        assert count == 1


def test_negative_control_a_check_then_write_lets_the_same_ticket_in_several_times(
    db, settings, factory, event_id
):
    """Without the conditional UPDATE (read the state, then write it), the same race lets several
    devices in: the test above can see the race it guards against."""
    (registration_id,) = _registered(factory, db, event_id, 1)
    gate = threading.Barrier(4)

    def naive(index: int) -> bool:
        with db.transaction(write=False) as session:
            status = session.get(Registration, registration_id).status
        gate.wait()  # every device has read "confirmed" before any writes
        if status is not S.CONFIRMED:
            return False
        with db.transaction() as session:
            session.execute(
                update(Registration)
                .where(Registration.id == registration_id)
                .values(status=S.ATTENDED, attended_by=f"Porte {index}")
            )
        return True

    threads_let_in = _race(4, naive)
    assert sum(threads_let_in) > 1
