"""`convier replies …`: the replies people wrote (automatic replies and bounce reports apart),
and marking them handled."""

from __future__ import annotations

import click
from sqlalchemy import select

from service.cli_context import Context, pass_ctx
from service.registrations.models import Invitation
from service.tracking.models import Reply, ReplyKind


@click.group("replies", invoke_without_command=True)
@click.option("--event", "event_id", type=int, help="only the replies to this event's invitations")
@click.option("--all", "show_all", is_flag=True, help="also handled, automatic and bounce ones")
@click.pass_context
def replies_group(click_ctx: click.Context, event_id: int | None, show_all: bool) -> None:
    """The people's replies not yet handled, oldest first."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Context = click_ctx.ensure_object(Context)
    query = select(Reply).order_by(Reply.received_at, Reply.id)
    if event_id is not None:
        query = query.join(Invitation, Invitation.id == Reply.invitation_id).where(
            Invitation.event_id == event_id
        )
    if not show_all:
        query = query.where(Reply.kind == ReplyKind.HUMAN, Reply.handled.is_(False))
    with ctx.db.transaction(write=False) as session:
        for reply in session.scalars(query):
            state = "handled" if reply.handled else "to handle"
            when = reply.received_at.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M")
            click.echo(
                f"{reply.id}\t{when}\t{reply.kind}\t{state}\t{reply.sender}\t{reply.subject}"
            )


@replies_group.command("handle")
@click.argument("reply_id", type=int)
@pass_ctx
def handle_command(ctx: Context, reply_id: int) -> None:
    """Mark a reply as handled."""
    with ctx.db.transaction() as session:
        reply = session.get(Reply, reply_id)
        if reply is None:
            raise click.ClickException(f"no reply with id {reply_id}")
        reply.handled = True
    click.echo(f"reply {reply_id}: handled")
