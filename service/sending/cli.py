"""`convier mail …`: see an email as its recipient will, before any campaign sends it, and
where the emails of an event stand; `convier campaign test-send`."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select

from contacts.models import Contact
from service.campaigns.cli import campaign_group
from service.cli_context import Context, ConvierGroup, pass_ctx
from service.events.services import get_event
from service.mail.envelope import UnsafeHeader
from service.mail.models import Message, MessageStatus
from service.mail.render import LANGUAGES
from service.sending.preview import preview
from service.sending.testsend import send_test_email


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


@campaign_group.command("test-send")
@click.argument("campaign_id", type=int)
@click.option("--to", "email", required=True, help="the address that gets the test email")
@pass_ctx
def test_send_command(ctx: Context, campaign_id: int, email: str) -> None:
    """Send the campaign's email once to an address, now, outside the campaign's counts."""
    send_test_email(ctx.db, ctx.settings, campaign_id, email)
    click.echo(f"sent to {email}")
