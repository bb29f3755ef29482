"""Figures that read every invitation of an event (the funnel in total, per list, per campaign),
kept by each process for a few seconds while nothing they count has changed, so that the
people watching an event's pages (each page asks again every few seconds) share one count.

A kept value is used again only while the event's version is the same: its registrations by
state and the newest of them, its people's replies, the newest event the provider reported. A
registration, a reply or a webhook batch is therefore seen at once; an email recorded as sent
(which moves the "sent" step) within SECONDS."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.campaigns.models import InvitationList
from service.registrations.models import Invitation, Registration
from service.tracking.models import ProviderEvent, Reply

SECONDS = 15.0
T = TypeVar("T")

_kept: dict[Hashable, tuple[Hashable, float, Any]] = {}
_lock = threading.Lock()


def version(session: Session, event_id: int) -> Hashable:
    """What the event's figures depend on that can change at any moment (a few index reads),
    read once per transaction."""
    key = ("convier.snapshot_version", event_id)
    if key not in session.info:
        session.info[key] = _read_version(session, event_id)
    return session.info[key]


def attributions(session: Session) -> Hashable:
    """What the lists an event's invitations came through depend on: the newest attribution."""
    return session.scalar(select(func.max(InvitationList.id)))


def _read_version(session: Session, event_id: int) -> Hashable:
    registrations = session.execute(
        select(Registration.status, func.count(), func.max(Registration.id))
        .where(Registration.event_id == event_id)
        .group_by(Registration.status)
        .order_by(Registration.status)
    ).all()
    replies = session.scalar(
        select(func.count())
        .select_from(Reply)
        .join(Invitation, Invitation.id == Reply.invitation_id)
        .where(Invitation.event_id == event_id)
    )
    newest_report = session.scalar(select(func.max(ProviderEvent.id)))
    return (tuple(tuple(row) for row in registrations), replies, newest_report)


def kept(
    session: Session,
    name: str,
    event_id: int,
    compute: Callable[[], T],
    current: Hashable | None = None,
) -> T:
    """`compute()`, or its value kept under (name, event) while the event's version (or
    `current`, what this value depends on) is the one it was computed at and it is younger
    than SECONDS."""
    if current is None:
        current = version(session, event_id)
    now = time.monotonic()
    with _lock:
        found = _kept.get((name, event_id))
    if found is not None and found[0] == current and now - found[1] < SECONDS:
        return found[2]
    value = compute()
    with _lock:
        _kept[(name, event_id)] = (current, now, value)
    return value


def forget() -> None:
    """Drop every kept value (a database emptied under the process: the tests)."""
    with _lock:
        _kept.clear()
