"""Fixtures of the mail tests: a stand-in SendGrid server, outbox rows to send, and a look at
what became of them."""

from __future__ import annotations

from sqlalchemy import select

from service.db import Database
from service.mail import outbox
from service.mail.models import Message, MessageStatus
from service.registrations.models import Invitation
from tests.factories import Factory
from tests.standins.sendgrid import API_KEY, SendGridStandIn


def sendgrid_env(standin: SendGridStandIn, **more: str) -> dict[str, str]:
    """The environment of a worker sending through the stand-in, retrying and sweeping fast."""
    return {
        "MAIL_BACKEND": "sendgrid",
        "SENDGRID_API_KEY": API_KEY,
        "SENDGRID_API_HOST": standin.url,
        "MAIL_RETRY_SECONDS": "0.2",
        # A claim lasts 8 s; each request may take 2 s: never queued again while in flight.
        "MAIL_REQUEST_TIMEOUT": "2",
        "MAIL_SENDING_TIMEOUT": "8",
        "TICK_SECONDS": "0.5",
        **more,
    }


def queue_invitations(db: Database, factory: Factory, count: int) -> list[int]:
    """`count` invited people of a new event, each with an invitation email queued."""
    event_id = factory.event(capacity=10)
    invitees = factory.invitees(event_id, count)
    with db.transaction() as session:
        contacts = dict(
            session.execute(
                select(Invitation.id, Invitation.contact_id).where(Invitation.event_id == event_id)
            ).all()
        )
        return outbox.queue(
            session,
            [
                outbox.NewMessage(
                    key=f"invitation:{p.invitation_id}",
                    template="invitation",
                    event_id=event_id,
                    contact_id=contacts[p.invitation_id],
                    invitation_id=p.invitation_id,
                )
                for p in invitees
            ],
        )


def statuses(db: Database) -> dict[int, MessageStatus]:
    """Each outbox row's status."""
    with db.transaction(write=False) as session:
        return dict(session.execute(select(Message.id, Message.status)).all())


def all_in(db: Database, status: MessageStatus, count: int) -> bool:
    """Whether exactly `count` rows exist and all are in `status`."""
    found = statuses(db)
    return len(found) == count and set(found.values()) == {status}
