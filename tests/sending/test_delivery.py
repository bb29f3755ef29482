"""Delivery called directly, with the real file backend: an email that cannot be built fails
alone, and no request starts once a claim is too old to be sure it ends before the sweeper
queues the row again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from contacts.models import Contact
from service.cli import main
from service.config import Settings
from service.db import Database, utcnow
from service.events.models import Event
from service.mail import outbox
from service.mail.backends.file import FileBackend
from service.mail.envelope import Outcome, Result
from service.mail.models import Message, MessageStatus
from service.sending.delivery import deliver
from tests.factories import Factory
from tests.mail.conftest import queue_invitations


@pytest.fixture
def file_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The test settings, writing emails under a fresh folder."""
    return replace(settings, var_dir=tmp_path)


def claim_all(db: Database) -> list[int]:
    """Claim every due row, as a drain does."""
    with db.transaction() as session:
        return outbox.claim_due(session, 1000)


def rows(db: Database) -> dict[int, Message]:
    """Each outbox row by id."""
    with db.transaction(write=False) as session:
        return {m.id: m for m in session.scalars(select(Message))}


def test_a_name_that_breaks_a_header_fails_its_email_alone(db, factory, file_settings):
    ids = queue_invitations(db, factory, 3)
    with db.transaction() as session:
        # Stored before names were cleaned at the door: a line break reaches the To header.
        bad = session.get(Message, ids[1])
        session.execute(
            update(Contact)
            .where(Contact.id == bad.contact_id)
            .values(first_name="Eve\nBcc: victim@example.org")
        )
    backend = FileBackend(file_settings)

    deliver(db, file_settings, backend, claim_all(db))

    found = rows(db)
    assert [found[i].status for i in ids] == [
        MessageStatus.SENT,
        MessageStatus.FAILED,
        MessageStatus.SENT,
    ]
    assert "line breaks are not allowed" in found[ids[1]].last_error
    assert len(list(backend.outbox.glob("*.eml"))) == 2
    shown = CliRunner().invoke(
        main, ["mail", "status", "--event", str(found[ids[1]].event_id), "--failed"]
    )
    assert "failed: 1" in shown.output
    assert "the email cannot be built" in shown.output


def test_organiser_text_that_cannot_be_built_fails_its_emails_not_the_worker(
    db, factory: Factory, file_settings
):
    ids = queue_invitations(db, factory, 2)
    with db.transaction() as session:
        event_id = session.get(Message, ids[0]).event_id
    others = queue_invitations(db, factory, 1)
    with db.transaction() as session:
        session.execute(
            update(Event).where(Event.id == event_id).values(organiser_name="Le Labo\r\nBcc: x")
        )

    deliver(db, file_settings, FileBackend(file_settings), claim_all(db))
    deliver(db, file_settings, FileBackend(file_settings), claim_all(db))

    found = rows(db)
    assert {found[i].status for i in ids} == {MessageStatus.FAILED}
    assert found[others[0]].status is MessageStatus.SENT


def test_no_request_starts_once_the_claim_is_too_old(db, factory, file_settings):
    ids = queue_invitations(db, factory, 2)
    claimed = claim_all(db)
    with db.transaction() as session:
        # Claimed so long ago that a request started now could still be in flight when the
        # sweeper queues the row again.
        too_old = file_settings.mail_sending_timeout - file_settings.mail_in_flight_seconds + 1
        session.execute(update(Message).values(claimed_at=utcnow() - timedelta(seconds=too_old)))
    backend = FileBackend(file_settings)

    totals = deliver(db, file_settings, backend, claimed)

    assert not backend.outbox.exists() or not list(backend.outbox.glob("*.eml"))
    found = rows(db)
    assert {found[i].status for i in ids} == {MessageStatus.QUEUED}
    assert {found[i].attempts for i in ids} == {0}  # never tried: not an attempt
    assert sum(totals.values()) == 2


def test_an_outcome_never_changes_a_row_another_claim_holds(db, factory):
    [message_id] = queue_invitations(db, factory, 1)
    claim_all(db)
    with db.transaction() as session:
        # The sweeper gave the row up and another worker claimed it again meanwhile.
        session.execute(update(Message).values(attempts=2))
    with db.transaction() as session:
        outbox.record(
            session, [Outcome(message_id, Result.FAILED, error="late")], {message_id: 1}, utcnow()
        )
    row = rows(db)[message_id]
    assert (row.status, row.attempts, row.last_error) == (MessageStatus.SENDING, 2, "")


def test_a_row_claimed_too_often_without_an_answer_fails(db, factory):
    [given_up, again] = queue_invitations(db, factory, 2)
    claim_all(db)
    with db.transaction() as session:
        session.execute(
            update(Message).where(Message.id == given_up).values(attempts=outbox.MAX_ATTEMPTS)
        )
    with db.transaction() as session:
        outbox.resolve_stuck(session, [given_up, again], set(), utcnow())
    found = rows(db)
    assert found[given_up].status is MessageStatus.FAILED
    assert "given up" in found[given_up].last_error
    assert found[again].status is MessageStatus.QUEUED
