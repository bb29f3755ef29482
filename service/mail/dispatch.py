"""Hand outbox rows to the workers once the transaction that queued them has committed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from service.db import after_commit

SEND_TASK = "convier.mail.send"
DRAIN_TASK = "convier.mail.drain"


def _send_task(name: str, args: list[int] | None = None) -> None:
    # Imported here: the web process configures the Celery app only when it first sends a task.
    from tasks.app import celery

    celery.send_task(name, args=args or [])


def send_after_commit(session: Session, message_ids: Sequence[int]) -> None:
    """One send task per row (registration emails: each leaves as soon as possible)."""
    ids = list(message_ids)

    def send_each() -> None:
        for message_id in ids:
            _send_task(SEND_TASK, [message_id])

    if ids:
        after_commit(session, send_each)


def drain_after_commit(session: Session, workers: int = 1) -> None:
    """`workers` drain tasks that send every due row in batches (campaigns, bulk sends)."""
    after_commit(session, lambda: drain_now(workers))


def drain_now(workers: int = 1) -> None:
    """Start drain tasks outside any transaction (the tick, the CLI)."""
    for _ in range(workers):
        _send_task(DRAIN_TASK)
