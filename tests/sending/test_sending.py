"""Sending end to end: a real Celery worker (embedded broker, or Redis) sends outbox rows through
the real `sendgrid` library to a stand-in SendGrid server; the stand-in's record is the truth
about what left, and every email must leave exactly once."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from service.cli import main
from service.mail.dispatch import drain_now
from service.mail.models import Message, MessageStatus
from service.queue import SEND_TASK
from service.registrations.models import Invitation
from service.tracking import stats
from tests.mail.conftest import all_in, queue_invitations, sendgrid_env, statuses
from tests.servers import celery_worker, task_succeeded, wait_for
from tests.standins.sendgrid import Fault

pytestmark = pytest.mark.slow


def sent_ids(standin) -> Counter[int]:
    """How many times the stand-in accepted each outbox row."""
    return Counter(int(d.custom_args["message_id"]) for d in standin.deliveries())


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants at once, as a crash or the OOM killer would."""
    pids = [pid]
    for parent in pids:
        children = Path(f"/proc/{parent}/task/{parent}/children")
        if children.exists():
            pids.extend(int(child) for child in children.read_text().split())
    for each in pids:
        os.kill(each, signal.SIGKILL)


def test_a_send_task_delivered_ten_times_makes_one_request(db, factory, standin):
    from tasks.celery_app import get_celery

    celery = get_celery()

    [message_id] = queue_invitations(db, factory, 1)
    with celery_worker(sendgrid_env(standin), concurrency=2) as log:
        for _ in range(10):
            celery.send_task(SEND_TASK, args=[message_id])
        log.wait_for(task_succeeded(SEND_TASK), times=10, timeout=60)
    assert len(standin.requests()) == 1
    assert sent_ids(standin) == {message_id: 1}
    assert statuses(db) == {message_id: MessageStatus.SENT}
    with db.transaction(write=False) as session:
        invitation = session.scalars(select(Invitation)).one()
        assert invitation.sent_at is not None
        assert stats.totals(session, invitation.event_id).sent == 1  # its step, kept at once


def test_a_worker_killed_mid_send_leaves_every_email_sent_exactly_once(db, factory, standin):
    ids = queue_invitations(db, factory, 5000)
    # Requests of 250: the first two are answered, the third is accepted but its answer is held
    # back, and the worker is killed while it waits: those 250 left, but the worker never knew.
    standin.inject(Fault.slow(0), Fault.slow(0), Fault.late(30))
    # The worker waits for that answer (5 s at most) until it is killed.
    env = sendgrid_env(
        standin, MAIL_BATCH_SIZE="250", MAIL_REQUEST_TIMEOUT="5", MAIL_SENDING_TIMEOUT="20"
    )
    with celery_worker(env, concurrency=2) as log:
        drain_now()
        wait_for(lambda: standin.delivery_count() >= 750, 60, "a tenth of the emails to leave")
        kill_tree(log.pid)
    stuck = statuses(db)
    assert Counter(stuck.values())[MessageStatus.SENDING] == 250
    assert Counter(stuck.values())[MessageStatus.SENT] == 500
    # The restarted worker's tick asks the stand-in which stuck emails it accepted, then sends
    # the rest.
    with celery_worker(env, concurrency=2, beat=True):
        wait_for(lambda: all_in(db, MessageStatus.SENT, 5000), 180, "every email to be sent")
    counts = sent_ids(standin)
    assert set(counts) == set(ids)
    assert set(counts.values()) == {1}


def test_a_429_storm_is_waited_out_until_the_reset_time(db, factory, standin):
    ids = queue_invitations(db, factory, 2000)
    reset_at = int(time.time()) + 4
    standin.inject(*[Fault.rate_limited(reset_at=reset_at)] * 3)
    env = sendgrid_env(standin, MAIL_BATCH_SIZE="500")
    with celery_worker(env, concurrency=2, beat=True):
        drain_now(2)
        wait_for(lambda: all_in(db, MessageStatus.SENT, 2000), 120, "every email to be sent")
    accepted_at = [request.received_at for request in standin.requests()]
    assert min(accepted_at) >= reset_at
    assert len(standin.arrivals()) == len(accepted_at) + 3
    assert set(sent_ids(standin).values()) == {1}
    assert set(sent_ids(standin)) == set(ids)


def test_three_server_errors_then_success_sends_once(db, factory, standin):
    [message_id] = queue_invitations(db, factory, 1)
    standin.inject(*[Fault.server_error(500)] * 3)
    with celery_worker(sendgrid_env(standin), concurrency=1, beat=True):
        drain_now()
        wait_for(lambda: all_in(db, MessageStatus.SENT, 1), 60, "the email to be sent")
    with db.transaction(write=False) as session:
        message = session.scalars(select(Message)).one()
    assert message.attempts == 4
    assert len(standin.arrivals()) == 4
    assert sent_ids(standin) == {message_id: 1}


def test_a_refused_email_fails_at_once_with_the_providers_words(db, factory, standin):
    refusal = "The from address does not match a verified Sender Identity."
    queue_invitations(db, factory, 1)
    standin.inject(Fault.bad_request(refusal))
    with celery_worker(sendgrid_env(standin), concurrency=1, beat=True):
        drain_now()
        wait_for(lambda: all_in(db, MessageStatus.FAILED, 1), 60, "the email to fail")
    with db.transaction(write=False) as session:
        message = session.scalars(select(Message)).one()
    assert message.attempts == 1
    assert refusal in message.last_error
    assert len(standin.arrivals()) == 1
    # The organiser sees it, in the provider's words.
    shown = CliRunner().invoke(
        main, ["mail", "status", "--event", str(message.event_id), "--failed"]
    )
    assert shown.exit_code == 0, shown.output
    assert "failed: 1" in shown.output
    assert f"invitation\t1 attempt(s)\t{refusal}" in shown.output


def test_a_lost_answer_is_resolved_with_the_provider_never_sent_twice(db, factory, standin):
    [message_id] = queue_invitations(db, factory, 1)
    standin.inject(Fault.accept_then_drop())
    with celery_worker(sendgrid_env(standin), concurrency=1, beat=True):
        drain_now()
        wait_for(lambda: all_in(db, MessageStatus.SENT, 1), 60, "the sweeper to resolve it")
    assert sent_ids(standin) == {message_id: 1}
    assert len(standin.arrivals()) == 1
