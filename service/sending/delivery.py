"""Send claimed outbox rows through a backend and record the answers; resolve stuck rows."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from contacts.suppression import suppressed_among
from service.config import Settings
from service.db import Database, utcnow
from service.mail import outbox
from service.mail.backends import Backend, ProviderUnreachable
from service.mail.envelope import Batch, Outcome, Result, unsent
from service.mail.ratelimit import Pause, RateLimiter
from service.sending.compose import build_batches, load_claimed
from service.tracking import funnel

log = logging.getLogger(__name__)

# Longest a task waits in place for the rate limit before leaving the rows to a later drain.
MAX_RATE_WAIT_SECONDS = 30.0


def deliver(
    db: Database,
    settings: Settings,
    backend: Backend,
    message_ids: Sequence[int],
    limiter: RateLimiter | None = None,
    pause: Pause | None = None,
) -> dict[Result, int]:
    """Send the claimed rows `message_ids` and record each outcome."""
    totals = dict.fromkeys(Result, 0)
    with db.transaction(write=False) as session:
        rows = load_claimed(session, message_ids)
        blocked = suppressed_among(session, settings, [row.email for row in rows])
    if blocked:
        # Checked again here, at send time: the address may have unsubscribed since queueing.
        with db.transaction() as session:
            outbox.mark_suppressed(session, [r.id for r in rows if r.email in blocked])
        rows = [row for row in rows if row.email not in blocked]
    if not rows:
        return totals
    attempts = {row.id: row.attempts for row in rows}
    # The sweeper queues a row again once its claim is MAIL_SENDING_TIMEOUT old: no request may
    # start unless it is sure to be over by then, or the person could get the email twice.
    claimed = min(row.claimed_at for row in rows).timestamp()
    deadline = claimed + settings.mail_sending_timeout - settings.mail_in_flight_seconds
    with db.transaction(write=False) as session:
        batches, unbuildable = build_batches(session, settings, rows)
    if unbuildable:
        _record(db, settings, unbuildable, attempts, totals)
    size = min(backend.batch_size, settings.mail_batch_size or backend.batch_size)
    if limiter is not None:
        size = max(1, min(size, int(limiter.capacity)))
    parts = [
        Batch(batch.content, batch.recipients[start : start + size])
        for batch in batches
        for start in range(0, len(batch.recipients), size)
    ]
    for number, part in enumerate(parts):
        held = _held_back(limiter, pause, len(part.recipients))
        if held:
            # Not this worker's turn: the rows wait, unsent and not counted as an attempt.
            later = time.time() + held
            rest = [r for p in parts[number:] for r in p.recipients]
            _record(
                db, settings, [replace(o, not_before=later) for o in unsent(rest)], attempts, totals
            )
            break
        outcomes = backend.send(part, deadline)
        if pause is not None:
            resets = [o.not_before for o in outcomes if o.not_before is not None]
            if resets:
                pause.hold_until(max(resets))
        _record(db, settings, outcomes, attempts, totals)
    return totals


def _record(
    db: Database,
    settings: Settings,
    outcomes: Sequence[Outcome],
    attempts: dict[int, int],
    totals: dict[Result, int],
) -> None:
    """Write the outcomes in their own transaction and add them to `totals`."""
    now = utcnow()
    with db.transaction() as session:
        counts = outbox.record(session, outcomes, attempts, now, settings.mail_retry_base)
        funnel.on_sent(session, [o.message_id for o in outcomes if o.result is Result.SENT], now)
    for result, count in counts.items():
        totals[result] += count
    _log_failures(outcomes)


def _held_back(limiter: RateLimiter | None, pause: Pause | None, count: int) -> float:
    """Seconds the next send must wait (0: go now): the provider's pause, then the rate."""
    if pause is not None and (wait := pause.until() - time.time()) > 0:
        return wait
    waited = 0.0
    while limiter is not None and (wait := limiter.acquire(count)) > 0:
        if waited + wait > MAX_RATE_WAIT_SECONDS:
            return wait
        time.sleep(wait)  # the shared rate says when this batch may go
        waited += wait
    return 0.0


def _log_failures(outcomes: Sequence[Outcome]) -> None:
    failed = [o for o in outcomes if o.result is Result.FAILED]
    if failed:
        log.warning("%d messages refused by the provider: %s", len(failed), failed[0].error)


def sweep(db: Database, settings: Settings, backend: Backend) -> tuple[int, int]:
    """Resolve rows stuck in `sending`: those the provider accepted become sent, the others are
    queued again. Return (sent, queued again)."""
    now = utcnow()
    with db.transaction(write=False) as session:
        ids = outbox.stuck(session, now - timedelta(seconds=settings.mail_sending_timeout))
    if not ids:
        return 0, 0
    try:
        accepted = backend.accepted_message_ids(ids)
    except ProviderUnreachable as error:
        # Sending again without knowing could mail people twice: wait for the next tick.
        log.warning("stuck messages left for the next tick: %s", error)
        return 0, 0
    with db.transaction() as session:
        outbox.resolve_stuck(session, ids, accepted, now)
        funnel.on_sent(session, [i for i in ids if i in accepted], now)
    found = sum(1 for i in ids if i in accepted)
    log.info("swept %d stuck messages: %d accepted by the provider", len(ids), found)
    return found, len(ids) - found
