"""Campaign tasks: write a launched campaign's outbox rows; start scheduled campaigns and close
finished ones at each tick."""

from __future__ import annotations

import logging
from datetime import timedelta

from service.campaigns import rules, services
from service.mail.dispatch import build_after_commit
from service.queue import BUILD_TASK
from tasks.celery_app import celery
from tasks.resources import resources

log = logging.getLogger(__name__)


@celery.task(name=BUILD_TASK, ignore_result=True)
def build(campaign_id: int) -> int:
    """Write the campaign's outbox rows, page by page; sending starts with the first page."""
    worker = resources()
    total = services.build(worker.db, worker.settings, campaign_id)
    log.info("campaign %s: %d people", campaign_id, total)
    return total


def campaigns_due() -> None:
    """Part of the beat tick: run the due rules, start the scheduled campaigns whose time has
    come, build again those whose build was lost, and mark done those whose every email is
    final."""
    worker = resources()
    silent_for = timedelta(seconds=worker.settings.mail_sending_timeout)
    with worker.db.transaction() as session:
        for rule in rules.run_due(session, build_after_commit):
            log.info("rule %s of event %s: %s %s", rule.id, rule.event_id, rule.state, rule.reason)
        for campaign_id in services.start_due(session):
            build_after_commit(session, campaign_id)
        for campaign_id in services.restart_lost_builds(session, silent_for):
            log.warning("campaign %s: its build went silent; building it again", campaign_id)
            build_after_commit(session, campaign_id)
        services.finish_done(session)
