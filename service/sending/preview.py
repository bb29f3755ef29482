"""An email as one person would get it, built exactly as a backend builds it, without an
outbox row: for `convier mail preview`, the campaign test send and the back office's preview of
a campaign. A contact's own links and state when the address is known, a sample person's
otherwise."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from contacts.models import Contact, normalise_email
from service.campaigns.models import Campaign
from service.config import Settings
from service.db import isoformat, utcnow
from service.events.models import Event
from service.mail.envelope import NO_ROW, Content, Recipient
from service.mail.mime import MessageRenderer, build_message
from service.mail.render import language_of
from service.registrations.models import Invitation, RegistrationStatus
from service.registrations.queries import waitlist_rank
from service.sending.compose import Claimed, campaign_overrides, content_for, recipient_for

SAMPLE = ("claire.martin@example.org", "Claire", "Martin")
SAMPLE_LINK = "exemple"  # the public id of the sample person's (unknown) link


def preview_row(
    session: Session, event: Event, name: str, email: str | None, language: str | None
) -> Claimed:
    """The outbox row the email would have for this contact (their own links and registration),
    or for a sample person when the address is unknown."""
    contact = None
    if email:
        contact = session.scalar(select(Contact).where(Contact.email == normalise_email(email)))
    invitation = None
    if contact is not None:
        invitation = session.scalar(
            select(Invitation).where(
                Invitation.event_id == event.id, Invitation.contact_id == contact.id
            )
        )
        address, first, last = contact.email, contact.first_name, contact.last_name
        organisation = contact.organisation
    else:
        address, first, last = (email.strip(), "", "") if email else SAMPLE
        organisation = ""
    registration = invitation.registration if invitation else None
    deadline = utcnow() + event.claim_window
    if registration is not None and registration.status is RegistrationStatus.OFFERED:
        deadline = registration.offer_expires_at or deadline
    rank = waitlist_rank(session, registration) if registration else None
    return Claimed(
        id=NO_ROW,
        attempts=0,
        claimed_at=utcnow(),
        template=name,
        language=language_of(language or (contact.language if contact else "fr")),
        event_id=event.id,
        campaign_id=None,
        extra={
            "waitlist_position": rank or 1,
            "offer_expires_at": isoformat(deadline),
            "answers": dict(registration.answers) if registration else {},
        },
        contact_id=contact.id if contact else 0,
        email=address,
        first_name=first,
        last_name=last,
        public_id=invitation.public_id if invitation else SAMPLE_LINK,
        token_version=invitation.token_version if invitation else 1,
        # A sample ticket when the person has no seat: it shows the QR code, it lets no one in.
        registration_id=registration.id if registration else 0,
        ticket_serial=registration.ticket_serial if registration else 1,
        organisation=organisation,
    )


def preview(
    session: Session,
    settings: Settings,
    event: Event,
    name: str,
    email: str | None,
    language: str | None,
) -> tuple[EmailMessage, str]:
    """The complete message a recipient would get, built as a backend builds it, and its
    language."""
    row = preview_row(session, event, name, email, language)
    content = content_for(settings, event, name, row.language, {})
    recipient = recipient_for(settings, event, row)
    domain = content.sender.email.split("@")[1]
    return build_message(content, recipient, message_id_domain=domain), row.language


def campaign_email(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    email: str | None,
    language: str | None = None,
    sample_links: bool = False,
) -> tuple[Content, Recipient]:
    """The campaign's email to `email` as a worker hands it to a backend: the shared content
    (the campaign's words, subject and sender name) and the recipient's part, in `language`
    (default: theirs). With `sample_links`, the person's links are a sample person's: a page
    showing someone's email must not hand out their personal link."""
    event = session.get(Event, campaign.event_id)
    assert event is not None, "a campaign is deleted with its event"
    row = preview_row(session, event, campaign.template, email, language)
    if sample_links:
        row = replace(row, public_id=SAMPLE_LINK, token_version=1, contact_id=0)
    content = content_for(settings, event, campaign.template, row.language, dict(campaign.extra))
    content = campaign_overrides(session, campaign.id, content)
    return content, recipient_for(settings, event, row)


def campaign_message(
    session: Session, settings: Settings, campaign: Campaign, email: str | None, language: str
) -> bytes:
    """The bytes the file and SMTP backends send for the campaign's email to `email`, links
    those of a sample person."""
    content, recipient = campaign_email(session, settings, campaign, email, language, True)
    return MessageRenderer(content).render(recipient).data
