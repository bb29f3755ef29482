"""The outbox called directly: unique keys, claims, outcomes and the sweep of stuck rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from service.db import after_commit, utcnow
from service.mail import outbox
from service.mail.envelope import Outcome, Result
from service.mail.models import Message, MessageStatus
from service.registrations import services
from tests.helpers import act


def _new(event_id: int, contact_id: int, key: str, **fields) -> outbox.NewMessage:
    return outbox.NewMessage(
        key=key, template="invitation", event_id=event_id, contact_id=contact_id, **fields
    )


@pytest.fixture
def person(db, factory):
    """An event and one invited contact: (event id, contact id)."""
    event_id = factory.event(capacity=5)
    invitee = factory.invitees(event_id, 1)[0]
    with db.transaction(write=False) as session:
        from service.registrations.models import Invitation

        contact_id = session.get(Invitation, invitee.invitation_id).contact_id
    return event_id, contact_id


def _statuses(db) -> dict[int, MessageStatus]:
    with db.transaction(write=False) as session:
        return dict(session.execute(select(Message.id, Message.status)).all())


def test_a_key_is_queued_once(db, person):
    with db.transaction() as session:
        first = outbox.queue(session, [_new(*person, "campaign:1:contact:1")])
    with db.transaction() as session:
        again = outbox.queue(
            session, [_new(*person, "campaign:1:contact:1"), _new(*person, "campaign:1:x")]
        )
    assert len(first) == 1
    assert len(again) == 1
    assert again[0] != first[0]
    assert len(_statuses(db)) == 2


def test_a_row_is_claimed_once(db, person):
    with db.transaction() as session:
        [message_id] = outbox.queue(session, [_new(*person, "k")])
    with db.transaction() as session:
        assert outbox.claim_messages(session, [message_id]) == [message_id]
    with db.transaction() as session:
        assert outbox.claim_messages(session, [message_id]) == []
    assert _statuses(db) == {message_id: MessageStatus.SENDING}


def test_claim_due_takes_one_content_and_only_due_rows(db, person):
    later = utcnow() + timedelta(hours=1)
    with db.transaction() as session:
        fr = outbox.queue(session, [_new(*person, f"fr{i}") for i in range(3)])
        outbox.queue(session, [_new(*person, "en0", language="en")])
        outbox.queue(session, [_new(*person, "later", due_at=later)])
    with db.transaction() as session:
        assert outbox.claim_due(session, limit=2) == fr[:2]
    with db.transaction() as session:
        assert outbox.claim_due(session, limit=10) == fr[2:]
    with db.transaction() as session:
        [english] = outbox.claim_due(session, limit=10)
    with db.transaction() as session:
        assert outbox.claim_due(session, limit=10) == []
    assert _statuses(db)[english] == MessageStatus.SENDING


def test_outcomes_move_rows_to_their_status(db, person):
    with db.transaction() as session:
        ids = outbox.queue(session, [_new(*person, f"k{i}") for i in range(5)])
    with db.transaction() as session:
        outbox.claim_due(session, limit=5)
    reset = utcnow().timestamp() + 3600
    outcomes = [
        Outcome(ids[0], Result.SENT, provider_id="abc"),
        Outcome(ids[1], Result.RETRY, error="503"),
        Outcome(ids[2], Result.RETRY, error="429", not_before=reset),
        Outcome(ids[3], Result.FAILED, error="The from address does not match"),
        Outcome(ids[4], Result.UNCERTAIN, error="connection dropped"),
    ]
    now = utcnow()
    with db.transaction() as session:
        counts = outbox.record(session, outcomes, dict.fromkeys(ids, 1), now)
    assert counts[Result.RETRY] == 2
    with db.transaction(write=False) as session:
        rows = {m.id: m for m in session.scalars(select(Message))}
    assert rows[ids[0]].status == MessageStatus.SENT
    assert rows[ids[0]].provider_id == "abc"
    assert rows[ids[1]].status == MessageStatus.QUEUED
    assert now + timedelta(seconds=14) < rows[ids[1]].due_at <= now + timedelta(seconds=31)
    # A 429's reset time is a floor: never earlier.
    assert rows[ids[2]].due_at.timestamp() >= reset
    assert rows[ids[3]].status == MessageStatus.FAILED
    assert rows[ids[3]].last_error == "The from address does not match"
    assert rows[ids[4]].status == MessageStatus.SENDING


def test_a_row_failing_too_often_is_failed(db, person):
    with db.transaction() as session:
        [message_id] = outbox.queue(session, [_new(*person, "k")])
    with db.transaction() as session:
        # Its last attempt: queued again after each of the others.
        session.execute(update(Message).values(attempts=outbox.MAX_ATTEMPTS - 1))
        outbox.claim_messages(session, [message_id])
    with db.transaction() as session:
        outbox.record(
            session,
            [Outcome(message_id, Result.RETRY, error="500")],
            {message_id: outbox.MAX_ATTEMPTS},
            utcnow(),
        )
    assert _statuses(db) == {message_id: MessageStatus.FAILED}


def test_stuck_rows_are_sent_if_accepted_else_queued_again(db, person):
    with db.transaction() as session:
        ids = outbox.queue(session, [_new(*person, f"k{i}") for i in range(3)])
    with db.transaction() as session:
        outbox.claim_due(session, limit=2)
        # As if their worker had died twenty minutes ago.
        session.execute(update(Message).values(claimed_at=utcnow() - timedelta(minutes=20)))
    with db.transaction(write=False) as session:
        stuck = outbox.stuck(session, utcnow() - timedelta(minutes=10))
    assert stuck == ids[:2]
    with db.transaction() as session:
        outbox.resolve_stuck(session, stuck, {ids[0]}, utcnow())
    assert _statuses(db) == {
        ids[0]: MessageStatus.SENT,
        ids[1]: MessageStatus.QUEUED,
        ids[2]: MessageStatus.QUEUED,
    }


def test_after_commit_callbacks_never_run_for_a_rolled_back_transaction(db):
    ran: list[str] = []

    def failing_change() -> None:
        with db.transaction() as session:
            after_commit(session, lambda: ran.append("rolled back"))
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    with db.transaction() as session:
        after_commit(session, lambda: ran.append("committed"))
    assert ran == ["committed"]


def test_registering_queues_one_confirmation_and_waitlisting_one_notice(db, factory):
    event_id = factory.event(capacity=1)
    first, second = factory.invitees(event_id, 2)
    act(db, first.invitation_id, services.register, {})
    act(db, first.invitation_id, services.register, {})
    act(db, second.invitation_id, services.register, {})
    act(db, first.invitation_id, services.cancel)
    with db.transaction(write=False) as session:
        queued = session.execute(
            select(Message.invitation_id, Message.template, Message.extra).order_by(Message.id)
        ).all()
    assert [(i, t) for i, t, _ in queued] == [
        (first.invitation_id, "confirmation"),
        (second.invitation_id, "waitlisted"),
        (second.invitation_id, "seat_offered"),
        (first.invitation_id, "cancellation"),
    ]
    assert queued[1].extra == {"waitlist_position": 1}
    assert "offer_expires_at" in queued[2].extra
