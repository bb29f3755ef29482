"""Mail tasks: thin wrappers that claim outbox rows and hand them to the delivery service."""

from __future__ import annotations

import logging
import time

from service.campaigns.services import rate_of_message
from service.mail import outbox
from service.queue import DRAIN_BUDGET_SECONDS, DRAIN_TASK, SEND_TASK
from service.sending.delivery import deliver, sweep
from tasks.celery_app import celery
from tasks.resources import resources

log = logging.getLogger(__name__)


@celery.task(name=SEND_TASK, ignore_result=True)
def send(*message_ids: int) -> int:
    """Send the outbox rows handed over (registration emails) that no other worker has and that
    are not done; how many were claimed."""
    worker = resources()
    with worker.db.transaction() as session:
        claimed = outbox.claim_messages(session, message_ids)
    if claimed:
        limiter = worker.limiter(None, None)
        deliver(worker.db, worker.settings, worker.backend, claimed, limiter, worker.pause)
    return len(claimed)


@celery.task(name=DRAIN_TASK, ignore_result=True)
def drain() -> int:
    """Send due rows in batches until none is left or the time budget is spent."""
    worker = resources()
    mail = worker.backend
    # One provider request's worth at a time: a crash leaves no more than that unresolved.
    size = min(mail.batch_size, worker.settings.mail_batch_size or mail.batch_size)
    started = time.monotonic()
    sent = 0
    while time.monotonic() - started < DRAIN_BUDGET_SECONDS:
        with worker.db.transaction() as session:
            ids = outbox.claim_due(session, size)
            limiter = worker.limiter(*rate_of_message(session, ids[0])) if ids else None
        if not ids:
            return sent
        deliver(worker.db, worker.settings, mail, ids, limiter, worker.pause)
        sent += len(ids)
    drain.delay()
    return sent


def sweep_outbox() -> None:
    """Part of the beat tick: resolve stuck rows, and start a drain when rows are due."""
    worker = resources()
    sweep(worker.db, worker.settings, worker.backend)
    with worker.db.transaction(write=False) as session:
        due = outbox.has_due(session)
    if due:
        drain.delay()
