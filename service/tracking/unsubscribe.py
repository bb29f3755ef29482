"""Unsubscribing from a link of an email: the token names the contact; the address goes on the
suppression list, so that no campaign writes to it again (checked when a message is queued and
again when it is sent)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contacts.models import Contact, SuppressionReason
from contacts.suppression import is_suppressed, suppress
from service.config import Settings
from service.db import insert_ignoring_duplicates, utcnow
from service.mail.models import Message
from service.security import LinkProblem, LinkRefused, Purpose, make_token, read_token
from service.tracking import funnel
from service.tracking.models import ProviderEvent


def unsubscribe_token(settings: Settings, contact_id: int) -> str:
    """The token of a contact's unsubscribe link (the contact's id, signed; no address)."""
    return make_token(settings.signing_keys, Purpose.UNSUBSCRIBE, str(contact_id))


def contact_of(session: Session, settings: Settings, token: str) -> Contact:
    """The contact an unsubscribe link names; LinkRefused saying why not."""
    max_age = settings.link_max_age_days * 86400
    claim = read_token(settings.signing_keys, Purpose.UNSUBSCRIBE, token, max_age)
    if isinstance(claim, LinkProblem):
        raise LinkRefused.of(claim)
    contact = session.get(Contact, int(claim.public_id)) if claim.public_id.isdigit() else None
    if contact is None:
        raise LinkRefused.of(LinkProblem.INVALID)
    return contact


def is_unsubscribed(session: Session, settings: Settings, contact: Contact) -> bool:
    """Whether the contact's address is already on the suppression list."""
    return not contact.email or is_suppressed(session, settings, contact.email)


def unsubscribe(session: Session, settings: Settings, contact: Contact) -> None:
    """Put the contact's address on the suppression list (once; an erased contact is already),
    and count it against the last campaign email they got, as a provider's event would be."""
    if not contact.email:
        return
    suppress(session, settings, contact.email, SuppressionReason.UNSUBSCRIBED)
    last = session.scalar(
        select(Message.id)
        .where(Message.contact_id == contact.id, Message.campaign_id.is_not(None))
        .order_by(Message.id.desc())
        .limit(1)
    )
    if last is not None:
        session.execute(
            insert_ignoring_duplicates(session, ProviderEvent, ProviderEvent.sg_event_id).values(
                sg_event_id=f"convier-unsubscribe-{last}", message_id=last, event="unsubscribe",
                detail="one-click", occurred_at=utcnow(), machine=False, reason="", url="",
                received_at=utcnow(),
            )
        )  # fmt: skip
        funnel.mark(session, {last: funnel.Step.UNSUBSCRIBED})


def masked(email: str) -> str:
    """The address as the page shows it: enough to recognise it, not to harvest it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"
