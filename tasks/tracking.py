"""Tracking tasks: read a kept Event Webhook batch; at each tick, those whose task was lost."""

from __future__ import annotations

from datetime import timedelta

from service.db import utcnow
from service.queue import EVENTS_TASK
from service.tracking.provider_events import read_batch, unread_batches
from tasks.celery_app import celery
from tasks.resources import resources

# A batch unread this long after it came had its task lost (a broker restart).
LOST_AFTER = timedelta(minutes=1)


@celery.task(name=EVENTS_TASK, ignore_result=True)
def read_events(batch_id: int) -> int:
    """Store the batch's new events and apply them; nothing for a batch already read."""
    worker = resources()
    return read_batch(worker.db, worker.settings, batch_id)


def unread_events() -> None:
    """Part of the beat tick: read the batches whose task never ran."""
    worker = resources()
    with worker.db.transaction(write=False) as session:
        lost = unread_batches(session, utcnow() - LOST_AFTER)
    for batch_id in lost:
        read_batch(worker.db, worker.settings, batch_id)
