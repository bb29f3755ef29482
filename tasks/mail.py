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
def send(message_id: int) -> bool:
    """Send one outbox row unless another worker has it or it is done."""
    worker = resources()
    with worker.db.transaction() as session:
        claimed = outbox.claim_message(session, message_id)
    if claimed:
        limiter = worker.limiter(None, None)
        deliver(worker.db, worker.settings, worker.backend, [message_id], limiter, worker.pause)
    return claimed


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
