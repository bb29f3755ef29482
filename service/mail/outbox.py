"""The outbox: queue a Message row in the transaction that decides the email, claim rows for a
worker, record what the provider answered, and sweep rows a dead worker left behind.

A row is claimed (queued → sending) by a conditional UPDATE committed before anything is sent,
so two workers, or one task delivered ten times, never send the same row twice. A row found in
`sending` longer than the sending timeout had its worker die, or lost the provider's answer: the
sweeper asks the backend whether the provider accepted it (SendGrid's activity, the file
backend's folder) and marks it sent; when nobody can tell (SMTP), it is queued again — a
duplicate is then possible, a loss is not.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from service.db import among, insert_ignoring_duplicates, utcnow
from service.mail.envelope import Outcome, Result
from service.mail.models import Message, MessageStatus

# Updates of many rows by id go through the table: executemany with per-row values.
MESSAGE = cast(Table, Message.__table__)
MAX_ATTEMPTS = 6
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


@dataclass(frozen=True)
class NewMessage:
    """An email to queue; `key` makes it unique (a second queueing is ignored)."""

    key: str
    template: str
    event_id: int
    contact_id: int
    language: str = "fr"
    invitation_id: int | None = None
    registration_id: int | None = None
    campaign_id: int | None = None
    extra: dict[str, Any] | None = None
    due_at: datetime | None = None
    status: MessageStatus = MessageStatus.QUEUED  # SUPPRESSED: recorded, never sent


def queue(session: Session, messages: Sequence[NewMessage]) -> list[int]:
    """Insert the messages not queued before; return the ids of the new rows. The caller's
    transaction owns them: nothing is sent unless it commits."""
    if not messages:
        return []
    now = utcnow()
    rows = [
        {
            "key": m.key,
            "template": m.template,
            "event_id": m.event_id,
            "contact_id": m.contact_id,
            "language": m.language,
            "invitation_id": m.invitation_id,
            "registration_id": m.registration_id,
            "campaign_id": m.campaign_id,
            "extra": m.extra or {},
            "status": m.status,
            "attempts": 0,
            "last_error": "",
            "provider_id": "",
            "created_at": now,
            "due_at": m.due_at or now,
        }
        for m in messages
    ]
    connection = session.connection()
    return list(connection.execute(_insert_messages(connection.dialect.name), rows).scalars())


@cache
def _insert_messages(dialect: str) -> Any:
    # Built once: a registration queues its confirmation through here, under the event's lock.
    return insert_ignoring_duplicates(dialect, MESSAGE, MESSAGE.c.key).returning(MESSAGE.c.id)


def _may_leave() -> Any:
    # Rows held by whoever queued them (a paused campaign) wait until they are released.
    return Message.held.is_(False)


def hold(session: Session, *where: Any, held: bool = True) -> None:
    """Hold back the queued rows matching `where` (or release them, `held=False`)."""
    session.execute(
        update(Message)
        .where(Message.status == MessageStatus.QUEUED, *where)
        .values(held=held)
        .execution_options(synchronize_session=False)
    )


def claim_messages(
    session: Session, message_ids: Sequence[int], now: datetime | None = None
) -> list[int]:
    """Claim the queued rows among `message_ids` for sending; the ids claimed (not those another
    worker has, or that are done)."""
    if not message_ids:
        return []
    now = now or utcnow()
    claimed = session.scalars(
        update(Message)
        .where(
            among(session, Message.id, message_ids, "claimed_ids"),
            Message.status == MessageStatus.QUEUED,
            _may_leave(),
        )
        .values(status=MessageStatus.SENDING, claimed_at=now, attempts=Message.attempts + 1)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed)


def claim_due(session: Session, limit: int, now: datetime | None = None) -> list[int]:
    """Claim up to `limit` due queued rows that share one content (event, template, language,
    campaign), oldest first, skipping rows other workers are claiming."""
    now = now or utcnow()
    oldest = session.execute(
        select(Message.event_id, Message.template, Message.language, Message.campaign_id)
        .where(Message.status == MessageStatus.QUEUED, Message.due_at <= now, _may_leave())
        .order_by(Message.due_at, Message.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if oldest is None:
        return []
    event_id, template, language, campaign_id = oldest
    batch = (
        select(Message.id)
        .where(
            Message.status == MessageStatus.QUEUED,
            Message.due_at <= now,
            Message.event_id == event_id,
            Message.template == template,
            Message.language == language,
            Message.campaign_id.is_not_distinct_from(campaign_id),
        )
        # The claim index's order: ordered by id alone, PostgreSQL walked the primary key past
        # every row already sent.
        .order_by(Message.due_at, Message.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        # A CTE is evaluated once; PostgreSQL may run an IN (subquery … LIMIT) more than once.
        .cte("batch")
    )
    claimed = session.scalars(
        update(Message)
        .where(Message.id == batch.c.id, Message.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.SENDING, claimed_at=now, attempts=Message.attempts + 1)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed)


def _record_sent(session: Session, sent: list[dict[str, Any]], now: datetime) -> None:
    """Rows the provider accepted: one UPDATE per provider id shared by several rows (SendGrid
    answers one id per request of up to 1,000), one executemany for the rest (SMTP's own ids)."""
    by_provider: dict[str, list[int]] = {}
    for row in sent:
        by_provider.setdefault(row["provider"], []).append(row["mid"])
    values = {"status": MessageStatus.SENT, "sent_at": now, "last_error": ""}
    sending = MESSAGE.c.status == MessageStatus.SENDING
    for provider, ids in by_provider.items():
        if len(ids) > 1:
            session.execute(
                update(MESSAGE)
                .where(among(session, MESSAGE.c.id, ids, "sent_ids"), sending)
                .values(provider_id=provider, **values)
            )
    alone = [row for row in sent if len(by_provider[row["provider"]]) == 1]
    if alone:
        session.execute(
            update(MESSAGE)
            .where(MESSAGE.c.id == bindparam("mid"), sending)
            .values(provider_id=bindparam("provider"), **values),
            alone,
        )


def backoff_seconds(attempts: int, first: float = BACKOFF_FIRST_SECONDS) -> float:
    """Delay before attempt `attempts + 1`: exponential from `first`, capped, with jitter so
    that a burst of failures does not come back as one burst."""
    ceiling = min(first * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return ceiling * random.uniform(0.5, 1.0)


def record(
    session: Session,
    outcomes: Iterable[Outcome],
    attempts: dict[int, int],
    now: datetime,
    backoff_first: float = BACKOFF_FIRST_SECONDS,
) -> dict[Result, int]:
    """Write what the provider answered for each claimed row; return the count per result.
    `attempts` gives each row's attempt count after its claim: a row is changed only while that
    claim holds it, so a claim the sweeper has ended and another worker has taken is left to
    that worker (an email that did leave is recorded as sent whatever the claim)."""
    sent: list[dict[str, Any]] = []
    retry: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    uncertain: list[dict[str, Any]] = []
    unsent: list[dict[str, Any]] = []
    counts = dict.fromkeys(Result, 0)
    for outcome in outcomes:
        counts[outcome.result] += 1
        attempt = attempts.get(outcome.message_id, 0)
        row = {"mid": outcome.message_id, "error": outcome.error[:2000], "attempt": attempt}
        not_before = (
            datetime.fromtimestamp(outcome.not_before, now.tzinfo)
            if outcome.not_before is not None
            else now
        )
        if outcome.result is Result.SENT:
            sent.append({**row, "provider": outcome.provider_id})
        elif outcome.result is Result.UNSENT:
            unsent.append({**row, "due": not_before})
        elif outcome.result is Result.RETRY and attempt < MAX_ATTEMPTS:
            wait = backoff_seconds(max(attempt, 1), backoff_first)
            retry.append({**row, "due": max(now + timedelta(seconds=wait), not_before)})
        elif outcome.result is Result.UNCERTAIN:
            uncertain.append(row)
        else:
            failed.append(row)
    by_id = MESSAGE.c.id == bindparam("mid")
    sending = MESSAGE.c.status == MessageStatus.SENDING
    ours = MESSAGE.c.attempts == bindparam("attempt")
    table = MESSAGE
    if sent:
        _record_sent(session, sent, now)
    if retry:
        session.execute(
            update(table)
            .where(by_id, sending, ours)
            .values(
                status=MessageStatus.QUEUED, due_at=bindparam("due"), last_error=bindparam("error")
            ),
            retry,
        )
    if unsent:
        # Never tried: the claim does not count as an attempt.
        session.execute(
            update(table)
            .where(by_id, sending, ours)
            .values(
                status=MessageStatus.QUEUED, due_at=bindparam("due"), attempts=table.c.attempts - 1
            ),
            unsent,
        )
    if failed:
        session.execute(
            update(table)
            .where(by_id, sending, ours)
            .values(status=MessageStatus.FAILED, last_error=bindparam("error")),
            failed,
        )
    if uncertain:
        # Left in `sending`: the sweeper asks the provider once the sending timeout has passed.
        session.execute(
            update(table).where(by_id, sending, ours).values(last_error=bindparam("error")),
            uncertain,
        )
    return counts


def mark_suppressed(session: Session, message_ids: Sequence[int]) -> None:
    """Rows whose address is on the suppression list: never sent."""
    if message_ids:
        session.execute(
            update(Message)
            .where(Message.id.in_(message_ids), Message.status == MessageStatus.SENDING)
            .values(status=MessageStatus.SUPPRESSED)
            .execution_options(synchronize_session=False)
        )


def stuck(session: Session, older_than: datetime, limit: int = 5000) -> list[int]:
    """Rows in `sending` claimed before `older_than`: their worker died or lost the answer."""
    return list(
        session.scalars(
            select(Message.id)
            .where(Message.status == MessageStatus.SENDING, Message.claimed_at < older_than)
            .order_by(Message.id)
            .limit(limit)
        )
    )


def resolve_stuck(
    session: Session, message_ids: Sequence[int], accepted: set[int], now: datetime
) -> None:
    """Mark the rows the provider accepted as sent, and queue the others again; a row claimed
    MAX_ATTEMPTS times without an answer has failed (never an endless loop)."""
    found = [i for i in message_ids if i in accepted]
    others = [i for i in message_ids if i not in accepted]
    if found:
        session.execute(
            update(Message)
            .where(Message.id.in_(found), Message.status == MessageStatus.SENDING)
            .values(status=MessageStatus.SENT, sent_at=now, last_error="")
            .execution_options(synchronize_session=False)
        )
    if others:
        stuck_rows = (Message.id.in_(others), Message.status == MessageStatus.SENDING)
        session.execute(
            update(Message)
            .where(*stuck_rows, Message.attempts >= MAX_ATTEMPTS)
            .values(
                status=MessageStatus.FAILED,
                last_error=f"given up: claimed {MAX_ATTEMPTS} times and never sent",
            )
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Message)
            .where(*stuck_rows)
            .values(
                status=MessageStatus.QUEUED,
                due_at=now,
                last_error="queued again: its worker stopped before the provider answered",
            )
            .execution_options(synchronize_session=False)
        )


def counts_by_status(session: Session, **filters: Any) -> dict[str, int]:
    """How many rows are in each status, e.g. for one campaign or event."""
    query = select(Message.status, func.count()).group_by(Message.status)
    for name, value in filters.items():
        query = query.where(getattr(Message, name) == value)
    return {str(status): count for status, count in session.execute(query)}


def has_due(session: Session, now: datetime | None = None) -> bool:
    """Whether any queued row is due."""
    now = now or utcnow()
    return (
        session.scalar(
            select(Message.id)
            .where(Message.status == MessageStatus.QUEUED, Message.due_at <= now, _may_leave())
            .limit(1)
        )
        is not None
    )
