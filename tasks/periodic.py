"""The beat tick: the work that comes due with time, run every TICK_SECONDS."""

from __future__ import annotations

import logging

from service.db import DatabaseBusy
from service.queue import TICK_TASK
from service.registrations import services
from tasks.campaigns import campaigns_due
from tasks.celery_app import celery
from tasks.mail import sweep_outbox
from tasks.resources import resources
from tasks.tracking import unread_events

log = logging.getLogger(__name__)


@celery.task(name=TICK_TASK, ignore_result=True)
def tick() -> int:
    """Expire seat offers past their deadline (passing the seats on), start and close campaigns,
    resolve stuck emails and send the due ones, read webhook batches whose task was lost."""
    expired = expire_offers()
    campaigns_due()
    sweep_outbox()
    unread_events()
    log.debug("tick: %d seat offers expired", expired)  # what happened besides: INFO, above
    return expired


def expire_offers() -> int:
    """End the seat offers past their deadline, event by event; a busy event waits a tick."""
    db = resources().db
    with db.transaction(write=False) as session:
        event_ids = services.events_with_expired_offers(session)
    expired = 0
    for event_id in event_ids:
        try:
            with db.transaction() as session:
                expired += len(services.expire_offers(session, event_id))
        except DatabaseBusy:
            log.warning("event %s busy; its offers expire at the next tick", event_id)
    if expired:
        log.info("expired %d seat offers", expired)
    return expired
