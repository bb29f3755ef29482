"""The beat tick: ends expired seat offers (passing the seats on), starts and closes campaigns,
and keeps the outbox moving."""

from __future__ import annotations

import logging

from service.db import DatabaseBusy
from service.registrations import services
from tasks.app import celery, database
from tasks.campaigns import campaigns_due
from tasks.mail import sweep_outbox
from tasks.tracking import unread_events

log = logging.getLogger(__name__)


@celery.task(name="convier.tick", ignore_result=True)
def tick() -> int:
    """Do the work that has come due: expire seat offers past their deadline, resolve stuck
    emails and start sending the due ones."""
    db = database()
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
    campaigns_due()
    sweep_outbox()
    unread_events()
    return expired
