"""Each invitation's progress through the funnel, kept as bits on the invitation and set as
things happen (a send recorded, a batch of events read), so that statistics count flags instead
of recomputing them from every event. `recompute` rebuilds them from the messages and events."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Integer, Table, and_, bindparam, case, or_, select, text, update
from sqlalchemy.orm import Session

from service.db import among
from service.mail.kinds import Email
from service.mail.models import Message
from service.registrations.models import Invitation


class Step(enum.IntFlag):
    """A step an invitation's emails reached."""

    SENT = 1
    DELIVERED = 2
    BOUNCED = 4
    OPENED = 8  # by a person: opens of privacy proxies do not count
    CLICKED = 16  # by a person: link scanners do not count
    UNSUBSCRIBED = 32  # unsubscribed or reported as spam


def step_of(event: str, machine: bool) -> Step:
    """The step an event of the provider marks (none for processed, deferred…)."""
    if event == "delivered":
        return Step.DELIVERED
    if event in ("bounce", "dropped"):
        return Step.BOUNCED
    if event == "open" and not machine:
        return Step.OPENED
    if event == "click" and not machine:
        return Step.CLICKED
    if event in ("unsubscribe", "group_unsubscribe", "spamreport"):
        return Step.UNSUBSCRIBED
    return Step(0)


def mark(session: Session, steps_by_message: Mapping[int, int]) -> None:
    """Add steps to the invitations of these messages; invitations are updated in id order so
    that two workers reading overlapping batches cannot deadlock."""
    wanted = {m: s for m, s in steps_by_message.items() if s}
    if not wanted:
        return
    owners = session.execute(
        select(Message.id, Message.invitation_id).where(
            Message.id.in_(wanted), Message.invitation_id.is_not(None)
        )
    ).all()
    by_invitation: dict[int, int] = {}
    for message_id, invitation_id in owners:
        if invitation_id is not None:
            by_invitation[invitation_id] = by_invitation.get(invitation_id, 0) | wanted[message_id]
    if not by_invitation:
        return
    table = cast(Table, Invitation.__table__)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("iid"))
        .values(funnel=table.c.funnel.op("|")(bindparam("steps", type_=Integer))),
        [{"iid": i, "steps": s} for i, s in sorted(by_invitation.items())],
    )


def on_sent(session: Session, message_ids: Sequence[int], now: datetime) -> None:
    """What the provider's acceptance of these messages means: their invitations reached
    `sent`, and an invitation records when it first left (for response times).

    The invitations are read first, so that the update finds them by their ids (a subquery on
    the messages let PostgreSQL read the whole invitation table instead); then one statement
    for the whole batch, its rows locked in id order as `mark` does (PostgreSQL; SQLite locks
    the whole database), writing each invitation once: a row written twice in a transaction has
    its foreign keys checked again by PostgreSQL at the second write."""
    if not message_ids:
        return
    rows = session.execute(
        select(Message.invitation_id, Message.template).where(
            among(session, Message.id, message_ids, "sent")
        )
    )
    owners = [(invitation_id, template) for invitation_id, template in rows if invitation_id]
    if not owners:
        return
    invited = among(session, Invitation.id, sorted({i for i, _ in owners}), "invited")
    first_sends = [i for i, template in owners if template == Email.INVITATION]
    first_left = and_(
        Invitation.sent_at.is_(None), among(session, Invitation.id, first_sends, "first")
    )
    unmarked = Invitation.funnel.op("&")(int(Step.SENT)) == 0
    locked = (
        select(Invitation.id)
        .where(invited, or_(unmarked, first_left))
        .order_by(Invitation.id)
        .with_for_update()
    )
    session.execute(
        update(Invitation)
        .where(Invitation.id.in_(locked))
        .values(
            funnel=Invitation.funnel.op("|")(int(Step.SENT)),
            sent_at=case((first_left, now), else_=Invitation.sent_at),
        )
        .execution_options(synchronize_session=False)
    )


RECOMPUTE = """
UPDATE invitation SET funnel =
  (CASE WHEN EXISTS (SELECT 1 FROM message m WHERE m.invitation_id = invitation.id
                     AND m.status = 'sent') THEN 1 ELSE 0 END)
  | (CASE WHEN EXISTS (SELECT 1 FROM message m JOIN provider_event e ON e.message_id = m.id
                       WHERE m.invitation_id = invitation.id AND e.event = 'delivered')
          THEN 2 ELSE 0 END)
  | (CASE WHEN EXISTS (SELECT 1 FROM message m JOIN provider_event e ON e.message_id = m.id
                       WHERE m.invitation_id = invitation.id AND e.event IN ('bounce', 'dropped'))
          THEN 4 ELSE 0 END)
  | (CASE WHEN EXISTS (SELECT 1 FROM message m JOIN provider_event e ON e.message_id = m.id
                       WHERE m.invitation_id = invitation.id AND e.event = 'open'
                       AND NOT e.machine) THEN 8 ELSE 0 END)
  | (CASE WHEN EXISTS (SELECT 1 FROM message m JOIN provider_event e ON e.message_id = m.id
                       WHERE m.invitation_id = invitation.id AND e.event = 'click'
                       AND NOT e.machine) THEN 16 ELSE 0 END)
  | (CASE WHEN EXISTS (SELECT 1 FROM message m JOIN provider_event e ON e.message_id = m.id
                       WHERE m.invitation_id = invitation.id
                       AND e.event IN ('unsubscribe', 'group_unsubscribe', 'spamreport'))
          THEN 32 ELSE 0 END)
"""


def recompute(session: Session, event_id: int | None = None) -> None:
    """Rebuild the steps of the invitations (of one event) from their messages and events."""
    statement = RECOMPUTE + ("WHERE invitation.event_id = :event_id" if event_id else "")
    session.execute(text(statement), {"event_id": event_id} if event_id else {})


def has(step: Step) -> object:
    """The SQL test of one step on an invitation."""
    return Invitation.funnel.op("&")(int(step)) != 0
