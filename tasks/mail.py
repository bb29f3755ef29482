"""Mail tasks: thin wrappers that claim outbox rows and hand them to the delivery service."""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from service.campaigns.models import Campaign
from service.db import Database
from service.mail import outbox
from service.mail.backends import Backend, get_backend
from service.mail.delivery import deliver, sweep
from service.mail.dispatch import DRAIN_TASK, SEND_TASK
from service.mail.models import Message
from service.mail.ratelimit import Pause, RateLimiter, rate_limiter
from tasks.app import _state, celery, database, settings

log = logging.getLogger(__name__)

# A drain hands over to a fresh task after this long, so that one task never holds a worker
# for a whole campaign and a pause or a new deploy takes effect quickly.
DRAIN_BUDGET_SECONDS = 20.0


def backend() -> Backend:
    """The backend of this worker process, kept so that SMTP connections are reused."""
    if "backend" not in _state:
        _state["backend"] = get_backend(settings())
    value: Backend = _state["backend"]
    return value


def limiter(campaign_rate: int | None = None, campaign_id: int | None = None) -> RateLimiter | None:
    """The campaign's own rate when it has one, else the shared MAIL_RATE_PER_MINUTE."""
    config = settings()
    name, rate = "mail", config.mail_rate_per_minute
    if campaign_rate:
        name, rate = f"campaign-{campaign_id}", campaign_rate
    if not rate:
        return None
    key = f"limiter:{name}:{rate}"
    if key not in _state:
        _state[key] = rate_limiter(config, name, rate)
    value: RateLimiter = _state[key]
    return value


def campaign_rate(db: Database, message_id: int) -> tuple[int | None, int | None]:
    """(rate per minute, campaign id) of the campaign a claimed row belongs to, if any."""
    with db.transaction(write=False) as session:
        row = session.execute(
            select(Campaign.rate_per_minute, Campaign.id)
            .join(Message, Message.campaign_id == Campaign.id)
            .where(Message.id == message_id)
        ).first()
    return (row[0], row[1]) if row else (None, None)


def pause() -> Pause:
    """The pause every worker keeps after the provider's 429."""
    if "pause" not in _state:
        _state["pause"] = Pause(settings())
    value: Pause = _state["pause"]
    return value


@celery.task(name=SEND_TASK, ignore_result=True)
def send(message_id: int) -> bool:
    """Send one outbox row unless another worker has it or it is done."""
    db = database()
    with db.transaction() as session:
        claimed = outbox.claim_message(session, message_id)
    if claimed:
        deliver(db, settings(), backend(), [message_id], limiter(), pause())
    return claimed


@celery.task(name=DRAIN_TASK, ignore_result=True)
def drain() -> int:
    """Send due rows in batches until none is left or the time budget is spent."""
    db = database()
    mail = backend()
    # One provider request's worth at a time: a crash leaves no more than that unresolved.
    size = min(mail.batch_size, settings().mail_batch_size or mail.batch_size)
    started = time.monotonic()
    sent = 0
    while time.monotonic() - started < DRAIN_BUDGET_SECONDS:
        with db.transaction() as session:
            ids = outbox.claim_due(session, size)
        if not ids:
            return sent
        deliver(db, settings(), mail, ids, limiter(*campaign_rate(db, ids[0])), pause())
        sent += len(ids)
    drain.delay()
    return sent


def sweep_outbox() -> None:
    """Part of the beat tick: resolve stuck rows, and start a drain when rows are due."""
    db = database()
    sweep(db, settings(), backend())
    with db.transaction(write=False) as session:
        due = outbox.has_due(session)
    if due:
        drain.delay()
