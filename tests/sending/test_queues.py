"""A campaign never delays the email a person waits for: campaigns go through the `bulk` queue,
confirmations through `interactive`, each with workers of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from contacts.models import Contact
from service.campaigns.models import Campaign, CampaignKind, CampaignState
from service.db import utcnow
from service.mail.dispatch import drain_now
from service.mail.models import Message, MessageStatus
from service.queue import DRAIN_TASK, SEND_TASK
from service.registrations import services
from service.registrations.models import Invitation
from service.security import new_public_id
from tests.helpers import act
from tests.mail.conftest import sendgrid_env
from tests.servers import celery_worker, task_succeeded, wait_for

pytestmark = pytest.mark.slow

CAMPAIGN_SIZE = 20_000


def queue_campaign(db, event_id: int, size: int) -> int:
    """A sending campaign of `size` invitations, its outbox rows queued (written in bulk)."""
    now = utcnow()
    with db.transaction() as session:
        campaign = Campaign(
            event_id=event_id, kind=CampaignKind.INVITATION, lists=["bulk"], template="invitation",
            state=CampaignState.SENDING, rate_per_minute=6000, extra={},
        )  # fmt: skip
        session.add(campaign)
        session.flush()
        emails = [f"bulk{i:05d}@example.org" for i in range(size)]
        session.execute(insert(Contact), [{"email": e, "created_at": now} for e in emails])
        contacts = dict(session.execute(select(Contact.email, Contact.id)).all())
        session.execute(
            insert(Invitation),
            [
                {"public_id": new_public_id(), "event_id": event_id, "contact_id": contacts[e]}
                for e in emails
            ],
        )
        invitations = session.execute(
            select(Invitation.id, Invitation.contact_id).where(Invitation.event_id == event_id)
        ).all()
        session.execute(
            insert(Message),
            [
                {
                    "key": f"campaign:{campaign.id}:{invitation_id}",
                    "template": "invitation",
                    "event_id": event_id,
                    "contact_id": contact_id,
                    "campaign_id": campaign.id,
                    "invitation_id": invitation_id,
                    "status": MessageStatus.QUEUED,
                    "due_at": now,
                    "created_at": now,
                    "extra": {},
                }
                for invitation_id, contact_id in invitations
            ],
        )
        return campaign.id


def campaign_rows(db, campaign_id: int, status: MessageStatus) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).where(Message.campaign_id == campaign_id, Message.status == status)
        )


def test_a_confirmation_leaves_before_the_rest_of_a_20000_email_campaign(db, factory, standin):
    event_id = factory.event(capacity=10)
    [person] = factory.invitees(event_id, 1, prefix="waiting")
    campaign_id = queue_campaign(db, event_id, CAMPAIGN_SIZE)
    env = sendgrid_env(standin)
    with (
        celery_worker(env, concurrency=1, queues="bulk") as bulk,
        celery_worker(env, concurrency=1, queues="interactive") as interactive,
    ):
        drain_now()
        wait_for(lambda: campaign_rows(db, campaign_id, MessageStatus.SENT), 60, "the campaign")
        act(db, person.invitation_id, services.register, {})  # its confirmation is queued
        with db.transaction(write=False) as session:
            [confirmation] = session.scalars(
                select(Message.id).where(Message.campaign_id.is_(None))
            )

        def confirmed():
            with db.transaction(write=False) as session:
                sent = session.get(Message, confirmation).status is MessageStatus.SENT
            return sent and campaign_rows(db, campaign_id, MessageStatus.QUEUED)

        still_queued = wait_for(confirmed, 60, "the confirmation to leave")
        interactive.wait_for(task_succeeded(SEND_TASK), timeout=30)
    # The campaign was still sending: thousands of its rows were left after the confirmation,
    # which the interactive worker sent while the bulk worker drained the campaign.
    assert still_queued > CAMPAIGN_SIZE // 2
    # "Task <name>[<id>] received": which worker ran which task (the banner lists them all).
    assert not any(f"{DRAIN_TASK}[" in line for line in interactive.lines)
    assert any(f"{DRAIN_TASK}[" in line for line in bulk.lines)
    assert not any(f"{SEND_TASK}[" in line for line in bulk.lines)
