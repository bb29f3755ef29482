"""`convier mail …`: see an email as its recipient will, before any campaign sends it."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contacts.models import Contact, normalise_email
from service.cli_context import Context, ConvierGroup, pass_ctx
from service.config import Settings
from service.db import isoformat, utcnow
from service.events.models import Event
from service.events.services import get_event
from service.mail.compose import Claimed, content_for, recipient_for
from service.mail.envelope import NO_ROW, UnsafeHeader
from service.mail.mime import build_message
from service.mail.models import Message, MessageStatus
from service.mail.render import LANGUAGES, language_of
from service.registrations.models import Invitation, RegistrationStatus
from service.registrations.queries import waitlist_rank

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
    else:
        address, first, last = (email.strip(), "", "") if email else SAMPLE
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
        extra={"waitlist_position": rank or 1, "offer_expires_at": isoformat(deadline)},
        contact_id=contact.id if contact else 0,
        email=address,
        first_name=first,
        last_name=last,
        public_id=invitation.public_id if invitation else SAMPLE_LINK,
        token_version=invitation.token_version if invitation else 1,
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


@click.group("mail", cls=ConvierGroup)
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
        event = get_event(session, event_id)
        try:
            message, language = preview(session, settings, event, name, email, language)
        except UnsafeHeader as exc:
            raise click.ClickException(f"--to: {exc}") from exc
    path = out or settings.var_dir / "previews" / f"{name}-{event_id}-{language}.eml"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(message.as_bytes())
    except OSError as exc:
        raise click.ClickException(f"--out: cannot write {path} ({exc.strerror})") from exc
    click.echo(f"wrote {path}")


@mail_group.command("status")
@click.option("--event", "event_id", required=True, type=int)
@click.option("--failed", "show_failed", is_flag=True, help="list the refused emails")
@pass_ctx
def status_command(ctx: Context, event_id: int, show_failed: bool) -> None:
    """How many emails of an event are queued, sending, sent, failed or suppressed; with
    --failed, each refused email with the provider's own words."""
    with ctx.db.transaction(write=False) as session:
        get_event(session, event_id)
        counts = dict(
            session.execute(
                select(Message.status, func.count())
                .where(Message.event_id == event_id)
                .group_by(Message.status)
            ).all()
        )
        failed = session.execute(
            select(Contact.email, Message.template, Message.attempts, Message.last_error)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Message.event_id == event_id, Message.status == MessageStatus.FAILED)
            .order_by(Message.id)
        ).all()
    click.echo("  ".join(f"{status.value}: {counts.get(status, 0)}" for status in MessageStatus))
    if show_failed:
        for email, template, attempts, error in failed:
            click.echo(f"{email}\t{template}\t{attempts} attempt(s)\t{error}")
