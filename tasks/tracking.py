"""Tracking tasks: read a kept Event Webhook batch; at each tick, those whose task was lost."""

from __future__ import annotations

from datetime import timedelta

from service.db import utcnow
from service.mail.dispatch import EVENTS_TASK
from service.tracking.events import read_batch, unread_batches
from tasks.app import celery, database, settings

# A batch unread this long after it came had its task lost (a broker restart).
LOST_AFTER = timedelta(minutes=1)


@celery.task(name=EVENTS_TASK, ignore_result=True)
def read_events(batch_id: int) -> int:
    """Store the batch's new events and apply them; nothing for a batch already read."""
    return read_batch(database(), settings(), batch_id)


def unread_events() -> None:
    """Part of the beat tick: read the batches whose task never ran."""
    with database().transaction(write=False) as session:
        lost = unread_batches(session, utcnow() - LOST_AFTER)
    for batch_id in lost:
        read_batch(database(), settings(), batch_id)
