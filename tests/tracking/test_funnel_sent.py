"""A send recorded: the invitation's `sent` step, and the time its invitation email first left."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service.db import utcnow
from service.mail import outbox
from service.registrations.models import Invitation
from service.tracking.funnel import Step, on_sent


def test_only_the_first_invitation_email_sets_when_the_invitation_left(db, factory):
    event_id = factory.event(capacity=10)
    [person] = factory.invitees(event_id, 1)
    with db.transaction() as session:
        contact_id = session.get(Invitation, person.invitation_id).contact_id
        reminder, invitation = outbox.queue(
            session,
            [
                outbox.NewMessage(
                    key=f"{template}:{person.invitation_id}",
                    template=template,
                    event_id=event_id,
                    contact_id=contact_id,
                    invitation_id=person.invitation_id,
                )
                for template in ("reminder", "invitation")
            ],
        )
    first, later = utcnow(), utcnow() + timedelta(hours=1)

    def recorded(message_id: int, now) -> tuple[object, bool]:
        with db.transaction() as session:
            on_sent(session, [message_id], now)
        with db.transaction(write=False) as session:
            row = session.execute(
                select(Invitation.sent_at, Invitation.funnel).where(
                    Invitation.id == person.invitation_id
                )
            ).one()
        return row.sent_at, bool(row.funnel & Step.SENT)

    assert recorded(reminder, first) == (None, True)  # another email: the step, not the time
    assert recorded(invitation, first) == (first, True)
    assert recorded(invitation, later) == (first, True)  # sent again: the first time stays
