"""Hand work to the workers once the transaction that decided it has committed: outbox rows to
send, campaigns to build."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from service.db import after_commit
from service.mail.handoff import Handoff
from service.queue import (
    BUILD_TASK,
    DRAIN_TASK,
    EVENTS_TASK,
    IMPORT_TASK,
    SEND_TASK,
    SIGN_IN_TASK,
)

log = logging.getLogger(__name__)


def _send_task(name: str, args: Sequence[int | str] | None = None) -> None:
    # Imported here: the web process configures the Celery app only when it first sends a task.
    from tasks.celery_app import get_celery

    try:
        get_celery().send_task(name, args=list(args or ()))
    except Exception:
        # The row is queued and that is what counts: a broker hiccup must not fail the request
        # that queued it; the beat tick finds due rows and drains them.
        log.warning("could not hand %s%s to the broker; the tick will send it", name, args or "")


# One send task for the registration emails committed within a few milliseconds of each other.
_handoff = Handoff(lambda message_ids: _send_task(SEND_TASK, message_ids))


def flush_handoff() -> bool:
    """Wait until the registration emails handed over so far are published (at exit; tests)."""
    return _handoff.flush()


atexit.register(flush_handoff)


def send_after_commit(session: Session, message_ids: Sequence[int]) -> None:
    """Registration emails: each leaves as soon as possible, in the next send task."""
    ids = list(message_ids)
    if ids:
        after_commit(session, lambda: _handoff.put(ids))


def drain_after_commit(session: Session, workers: int = 1) -> None:
    """`workers` drain tasks that send every due row in batches (campaigns, bulk sends)."""
    after_commit(session, lambda: drain_now(workers))


def drain_now(workers: int = 1) -> None:
    """Start drain tasks outside any transaction (the tick, the CLI)."""
    for _ in range(workers):
        _send_task(DRAIN_TASK)


def build_after_commit(session: Session, campaign_id: int) -> None:
    """The task that writes a launched campaign's outbox rows."""
    after_commit(session, lambda: _send_task(BUILD_TASK, [campaign_id]))


def events_after_commit(session: Session, batch_id: int) -> None:
    """The task that reads a kept Event Webhook batch."""
    after_commit(session, lambda: _send_task(EVENTS_TASK, [batch_id]))


def sign_in_link_now(user_id: int, language: str) -> None:
    """The task that emails an account a sign-in link (nothing is written, so no commit)."""
    _send_task(SIGN_IN_TASK, [user_id, language])


def import_after_commit(session: Session, import_id: int) -> None:
    """Check or import an uploaded list file, once the transaction that asked for it commits."""
    after_commit(session, lambda: _send_task(IMPORT_TASK, [import_id]))
