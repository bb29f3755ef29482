"""`convier mail …`: see an email as its recipient will, before any campaign sends it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from contacts.models import Contact, normalise_email
from service.cli_context import Context, pass_ctx
from service.config import Settings
from service.db import utcnow
from service.events.models import Event
from service.mail.attachments import CALENDAR_METHODS, TICKET_EMAILS, event_ics, ticket_qr
from service.mail.context import email_context, personal_values
from service.mail.envelope import (
    Address,
    Attachment,
    Recipient,
    UnsafeHeader,
    personalise,
    tag_values,
)
from service.mail.render import (
    CAMPAIGN_EMAILS,
    LANGUAGES,
    RenderedEmail,
    UnknownEmail,
    check_links,
    format_date,
    language_of,
    render_email,
)
from service.registrations.invitations import invitation_token
from service.registrations.models import Invitation, RegistrationStatus
from service.registrations.queries import waitlist_rank
from service.security import Purpose, make_token

SAMPLE = ("claire.martin@example.org", "Claire", "Martin")


@dataclass(frozen=True)
class Person:
    """Whom a preview is addressed to: their address, language, links and registration."""

    address: Address
    language: str
    values: dict[str, str]  # the recipient tags and the links
    waitlist_rank: int
    offer_deadline: datetime
    ticket: str  # what the QR code of the ticket holds


def _person(session: Session, settings: Settings, event: Event, email: str | None) -> Person:
    """The contact with this address, with their own links when invited; else a sample person
    with the links of an example invitation."""
    contact = None
    if email:
        contact = session.scalar(select(Contact).where(Contact.email == normalise_email(email)))
    invitation = None
    if contact is not None:
        address, first, last, language = (
            contact.email, contact.first_name, contact.last_name, contact.language
        )  # fmt: skip
        invitation = session.scalar(
            select(Invitation).where(
                Invitation.event_id == event.id, Invitation.contact_id == contact.id
            )
        )
    else:
        address, first, last = (email.strip(), "", "") if email else SAMPLE
        language = "fr"
    token = invitation_token(settings, invitation) if invitation else "exemple"
    page = f"{settings.base_url}/r/{token}"
    unsubscribe = make_token(
        settings.signing_keys, Purpose.UNSUBSCRIBE, str(contact.id if contact else 0)
    )
    registration = invitation.registration if invitation else None
    deadline = None
    if registration is not None and registration.status is RegistrationStatus.OFFERED:
        deadline = registration.offer_expires_at
    values = personal_values(address, first, last) | {
        "register": page,
        "decline": f"{page}#decline",
        "manage": page,
        "ics": f"{page}/event.ics",
        "unsubscribe": f"{settings.base_url}/u/{unsubscribe}",
    }
    return Person(
        address=Address(address, " ".join(p for p in (first, last) if p)),
        language=language,
        values=values,
        waitlist_rank=(waitlist_rank(session, registration) if registration else None) or 1,
        offer_deadline=deadline or utcnow() + event.claim_window,
        ticket=page,
    )


def _attachments(name: str, event: Event, settings: Settings, person: Person) -> list[Attachment]:
    attached = []
    if name in CALENDAR_METHODS:
        attached.append(event_ics(event, settings, CALENDAR_METHODS[name], person.address))
    if name in TICKET_EMAILS:
        attached.append(ticket_qr(person.ticket))
    return attached


def build_message(
    email_name: str,
    rendered: RenderedEmail,
    sender: Address,
    recipient: Recipient,
    attachments: list[Attachment],
) -> EmailMessage:
    """A complete message for one recipient: text, HTML alternative (with its inline images)
    and attached files; the tags replaced as a backend would."""
    values = tag_values(recipient)
    message = EmailMessage()
    message["From"] = sender.header_address()
    message["To"] = recipient.to.header_address()
    message["Subject"] = personalise(rendered.subject, values)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.email.rpartition("@")[2])
    if email_name in CAMPAIGN_EMAILS:
        # RFC 8058: mail clients show an unsubscribe button that POSTs to this address.
        message["List-Unsubscribe"] = f"<{recipient.substitutions['unsubscribe']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(personalise(rendered.text, values))
    message.add_alternative(check_links(personalise(rendered.html, values)), subtype="html")
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None  # added just above
    for attachment in attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype = rest.split(";")[0].strip()
        if attachment.content_id:
            html_part.add_related(
                attachment.data, maintype, subtype, cid=f"<{attachment.content_id}>",
                filename=attachment.filename, disposition="inline",
            )  # fmt: skip
        else:
            params = dict(p.strip().split("=", 1) for p in rest.split(";")[1:] if "=" in p)
            message.add_attachment(
                attachment.data, maintype, subtype, filename=attachment.filename,
                params={k: v for k, v in params.items() if k == "method"},
            )  # fmt: skip
    return message


@click.group("mail")
def mail_group() -> None:
    """Emails: see what a template sends."""


@mail_group.command("preview")
@click.argument("name")
@click.option("--event", "event_id", required=True, type=int)
@click.option("--to", "email", help="a contact's address (default: a sample person)")
@click.option(
    "--lang", "language", type=click.Choice(LANGUAGES), help="default: the contact's language"
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="the .eml file to write (default: var/previews/NAME-EVENT-LANG.eml)",
)
@pass_ctx
def preview_command(
    ctx: Context,
    name: str,
    event_id: int,
    email: str | None,
    language: str | None,
    out: Path | None,
) -> None:
    """Write the email NAME of an event as a complete .eml file, ready to open in a mail client."""
    settings = ctx.settings
    with ctx.db.transaction(write=False) as session:
        event = session.get(Event, event_id)
        if event is None:
            raise click.ClickException(f"--event: no event with id {event_id}")
        try:
            person = _person(session, settings, event, email)
        except UnsafeHeader as exc:
            raise click.ClickException(f"--to: {exc}") from exc
        language = language_of(language or person.language)
        try:
            rendered = render_email(
                name, language, email_context(event, settings=settings, language=language, links={})
            )
        except UnknownEmail as exc:
            raise click.ClickException(str(exc)) from exc
        values = person.values | {
            "waitlist_position": str(person.waitlist_rank),
            "offer_deadline": format_date(
                person.offer_deadline, "deadline", language, settings.timezone
            ),
        }
        recipient = Recipient(message_id=0, to=person.address, substitutions=values)
        # MAIL_FROM's address (the authenticated domain) under the organiser's name.
        sender_name, sender_email = parseaddr(settings.mail_from)
        sender = Address(sender_email, event.organiser_name or sender_name)
        attachments = _attachments(name, event, settings, person)
        message = build_message(name, rendered, sender, recipient, attachments)
        if event.organiser_email:
            message["Reply-To"] = Address(
                event.organiser_email, event.organiser_name
            ).header_address()
    path = out or settings.var_dir / "previews" / f"{name}-{event_id}-{language}.eml"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(message.as_bytes())
    except OSError as exc:
        raise click.ClickException(f"--out: cannot write {path} ({exc.strerror})") from exc
    click.echo(f"wrote {path}")
