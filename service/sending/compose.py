"""From claimed outbox rows to batches a backend can send: the content is rendered once per
event, template and language, with tags where each recipient's values go."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from contacts.models import Contact
from service.campaigns.models import Campaign
from service.config import Settings
from service.db import among
from service.events.models import Event
from service.mail.attachments import event_ics, ticket_qr
from service.mail.context import email_context
from service.mail.context import personal_values as person_values
from service.mail.envelope import (
    Address,
    Attachment,
    Batch,
    Content,
    Outcome,
    Recipient,
    Result,
    text_tag,
)
from service.mail.kinds import PERSONAL_EXTRA, kind_of
from service.mail.models import Message
from service.mail.render import format_date, render_email
from service.registrations.answers import answers_text
from service.registrations.models import Invitation, Registration
from service.registrations.tickets import ticket_code
from service.security import Purpose, make_token
from service.tracking.unsubscribe import unsubscribe_token

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """A claimed row with what its email needs about the person."""

    id: int
    attempts: int
    claimed_at: datetime
    template: str
    language: str
    event_id: int
    campaign_id: int | None
    extra: dict[str, Any]
    contact_id: int
    email: str
    first_name: str
    last_name: str
    public_id: str | None
    token_version: int
    registration_id: int | None = None
    ticket_serial: int | None = None
    organisation: str = ""


def load_claimed(session: Session, message_ids: Sequence[int]) -> list[Claimed]:
    """The claimed rows with their contact and invitation, in one query."""
    rows = session.execute(
        select(
            Message.id,
            Message.attempts,
            Message.claimed_at,
            Message.template,
            Message.language,
            Message.event_id,
            Message.campaign_id,
            Message.extra,
            Message.contact_id,
            Contact.email,
            Contact.first_name,
            Contact.last_name,
            Contact.organisation,
            Invitation.public_id,
            Invitation.token_version,
            Registration.id.label("registration_id"),
            Registration.ticket_serial,
        )
        .join(Contact, Contact.id == Message.contact_id)
        .outerjoin(Invitation, Invitation.id == Message.invitation_id)
        .outerjoin(Registration, Registration.invitation_id == Message.invitation_id)
        .where(among(session, Message.id, message_ids, "claimed"))
        .order_by(Message.id)
    )
    return [Claimed(**{**row._asdict(), "token_version": row.token_version or 1}) for row in rows]


def sender(settings: Settings, event: Event) -> Address:
    """MAIL_FROM's address (the authenticated domain) under the organiser's name."""
    name, email = parseaddr(settings.mail_from)
    return Address(email, event.organiser_name or name)


def reply_to(settings: Settings, event: Event) -> Address | None:
    """An opaque per-invitation address when REPLY_DOMAIN is set, else the organiser."""
    if settings.reply_domain:
        return Address(f"r+{text_tag('reply')}@{settings.reply_domain}")
    if event.organiser_email:
        return Address(event.organiser_email, event.organiser_name)
    return None


def personal_values(
    settings: Settings, event: Event, row: Claimed
) -> tuple[dict[str, str], dict[str, str]]:
    """The recipient's substitutions and headers (links carry signed tokens, no personal data)."""
    values = person_values(row.email, row.first_name, row.last_name, row.language)
    values["reply"] = row.public_id or ""
    values["unsubscribe"] = f"{settings.base_url}/u/{unsubscribe_token(settings, row.contact_id)}"
    if row.public_id:
        token = make_token(
            settings.signing_keys, Purpose.INVITATION, row.public_id, row.token_version
        )
        page = f"{settings.base_url}/r/{token}"
        values |= {
            "register": page,
            "decline": f"{page}/decline",
            "accept": f"{page}/accept",
            "change_answers": f"{page}/answers",
            "manage": page,
            "ics": f"{page}/event.ics",
        }
    if row.registration_id is not None and row.ticket_serial is not None:
        values["ticket"] = ticket_code(
            settings.signing_keys, row.event_id, row.registration_id, row.ticket_serial
        )
    if "answers" in row.extra:
        person = {"name": values["name"], "organisation": row.organisation}
        values["answers"] = answers_text(event, person, row.extra["answers"], row.language)
    if "waitlist_position" in row.extra:
        values["waitlist_position"] = str(row.extra["waitlist_position"])
    if deadline := row.extra.get("offer_expires_at"):
        moment = datetime.fromisoformat(deadline)
        values["offer_deadline"] = format_date(moment, "deadline", row.language, settings.timezone)
    headers: dict[str, str] = {}
    if kind_of(row.template).campaign:
        # RFC 8058: the provider's unsubscribe button POSTs to this URL, no cookie needed.
        headers["List-Unsubscribe"] = f"<{values['unsubscribe']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return values, headers


def _shared_extra(row: Claimed) -> dict[str, Any]:
    return {k: v for k, v in row.extra.items() if k not in PERSONAL_EXTRA}


def _group_key(row: Claimed) -> tuple[Any, ...]:
    shared = repr(sorted(_shared_extra(row).items()))
    return (row.event_id, row.template, row.language, row.campaign_id, shared)


def content_for(
    settings: Settings, event: Event, template: str, language: str, extra: dict[str, Any]
) -> Content:
    """What every recipient of `template` for `event` in `language` shares, rendered once."""
    context = email_context(event, settings=settings, language=language, links={}, extra=extra)
    rendered = render_email(template, language, context)
    # Emails with a ticket go one by one anyway: their calendar entry names the attendee.
    kind = kind_of(template)
    method = None if kind.ticket else kind.calendar
    return Content(
        sender=sender(settings, event),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        reply_to=reply_to(settings, event),
        categories=(template, f"event-{event.id}"),
        attachments=(event_ics(event, settings, method=method),) if method else (),
    )


def recipient_for(settings: Settings, event: Event, row: Claimed) -> Recipient:
    """One recipient of a batch: address, personal values, headers and own attachments."""
    values, headers = personal_values(settings, event, row)
    to = Address(row.email, values["name"])
    own: tuple[Attachment, ...] = ()
    kind = kind_of(row.template)
    if kind.ticket and (ticket := values.get("ticket")):
        # The QR code holds the ticket, which lets the person in and opens nothing.
        own = (ticket_qr(ticket),)
        if method := kind.calendar:
            own = (event_ics(event, settings, method=method, attendee=to), *own)
    return Recipient(
        message_id=row.id,
        to=to,
        substitutions=values,
        headers=headers,
        attachments=own,
    )


def campaign_overrides(session: Session, campaign_id: int, content: Content) -> Content:
    """The campaign's own subject and sender name, where it gives them."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return content
    sender_address = Address(content.sender.email, campaign.sender_name or content.sender.name)
    return replace(content, subject=campaign.subject or content.subject, sender=sender_address)


def build_batches(
    session: Session, settings: Settings, rows: Sequence[Claimed]
) -> tuple[list[Batch], list[Outcome]]:
    """One batch per shared content, each content rendered once; and a FAILED outcome, with its
    reason, for each row whose email cannot be built (the others still go)."""
    groups: dict[tuple[Any, ...], list[Claimed]] = {}
    for row in rows:
        groups.setdefault(_group_key(row), []).append(row)
    batches: list[Batch] = []
    failed: list[Outcome] = []
    for members in groups.values():
        first = members[0]
        try:
            content = _shared_content(session, settings, first)
        except SQLAlchemyError:
            raise  # the database, not the email: the rows stay claimed, for the sweeper
        except Exception as exc:  # anything the organiser's text can trip fails these alone
            failed += [_cannot_build(row, exc) for row in members]
            continue
        recipients = []
        for row in members:
            try:
                recipients.append(recipient_for(settings, content.event, row))
            except Exception as exc:  # a person's own values (a name, an address)
                failed.append(_cannot_build(row, exc))
        if recipients:
            batches.append(Batch(content.content, tuple(recipients)))
    return batches, failed


@dataclass(frozen=True)
class _Shared:
    event: Event
    content: Content


def _shared_content(session: Session, settings: Settings, first: Claimed) -> _Shared:
    event = session.get(Event, first.event_id)
    assert event is not None, "a message's event is deleted with it"
    content = content_for(settings, event, first.template, first.language, _shared_extra(first))
    if first.campaign_id is not None:
        content = campaign_overrides(session, first.campaign_id, content)
    return _Shared(event, content)


def _cannot_build(row: Claimed, error: Exception) -> Outcome:
    log.warning("message %d cannot be built: %s", row.id, error, exc_info=error)
    return Outcome(row.id, Result.FAILED, error=f"the email cannot be built: {error}")
