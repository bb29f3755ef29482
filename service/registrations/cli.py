"""`convier invite`, `convier registrations` and the seat commands of `convier event`: what an
organiser does to the registrations of an event from the server."""

from __future__ import annotations

import json
import sys

import click

from contacts.exports import write_csv
from service.cli_context import Context, ConvierCommand, pass_ctx
from service.events.cli import event_group
from service.events.schemas import event_json
from service.events.services import get_event
from service.registrations import event_cli, services
from service.registrations.invitations import invitation_link
from service.registrations.organiser import invite_one
from service.registrations.queries import (
    REGISTRATION_FIELDS,
    answer_headcounts,
    event_counts,
    registration_rows,
)

assert event_cli  # imported for its commands: `event update`, `event cancel`


@event_group.command("show")
@click.argument("event_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_ctx
def event_show(ctx: Context, event_id: int, fmt: str) -> None:
    """Capacity and registrations by state."""
    with ctx.db.transaction(write=False) as session:
        item = get_event(session, event_id)
        counts = event_counts(session, item)
        if fmt == "json":
            click.echo(json.dumps(event_json(item, counts.as_dict()), ensure_ascii=False, indent=2))
            return
        starts = item.starts_at.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{item.title}\n{starts} — {item.venue_name}, {item.venue_address}")
        for name, value in counts.as_dict().items():
            click.echo(f"  {name:<11} {value:>6}")
        headcounts = answer_headcounts(session, item)
        if headcounts:
            click.echo("answers of the people holding a seat:")
        for headcount in headcounts:
            answers = ", ".join(f"{answer} {count}" for answer, count in headcount.counts.items())
            click.echo(f"  {headcount.question.key}: {answers}")


@event_group.command("set-capacity")
@click.argument("event_id", type=int)
@click.argument("capacity", type=click.IntRange(min=0))
@pass_ctx
def event_set_capacity(ctx: Context, event_id: int, capacity: int) -> None:
    """Change the capacity: more seats go to the waitlist; fewer never remove anyone."""
    with ctx.db.transaction() as session:
        get_event(session, event_id)
        item = services.set_capacity(session, event_id, capacity)
        done = (
            f"capacity {item.capacity}; seats held {item.seats_held}; waiting {item.waitlist_count}"
        )
    click.echo(done)


@event_group.command("promote")
@click.argument("event_id", type=int)
@pass_ctx
def event_promote(ctx: Context, event_id: int) -> None:
    """Give free seats to the first people waiting (for a manual waitlist)."""
    with ctx.db.transaction() as session:
        get_event(session, event_id)
        promoted = len(services.promote(session, event_id))
    click.echo(f"{promoted} promoted")


@click.command("invite", cls=ConvierCommand)
@click.option("--event", "event_id", required=True, type=int)
@click.option("--email", required=True)
@click.option("--name", default="", help="The full name, split at its first space.")
@click.option("--first-name", default="", help="The first name (instead of --name).")
@click.option("--last-name", default="", help="The family name (instead of --name).")
@click.option("--lang", "language", type=click.Choice(["fr", "en"]), default="fr")
@click.option("--send", is_flag=True, help="Email the invitation too (through the outbox).")
@pass_ctx
def invite_command(
    ctx: Context,
    event_id: int,
    email: str,
    name: str,
    first_name: str,
    last_name: str,
    language: str,
    send: bool,
) -> None:
    """Invite one address and print its personal link; --send emails the invitation too."""
    if name and (first_name or last_name):
        raise click.UsageError("give --name, or --first-name and --last-name, not both")
    person = (first_name, last_name) if first_name or last_name else name
    with ctx.db.transaction() as session:
        invitation = invite_one(
            session, ctx.settings, event_id, email, person, send, "cli", language
        )
        link = invitation_link(ctx.settings, invitation)
    click.echo(link)  # once committed: never a link to an invitation that does not exist
    if send:
        click.echo("the invitation is queued; `convier mail status` follows it", err=True)


@click.command("registrations", cls=ConvierCommand)
@click.option("--event", "event_id", required=True, type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@pass_ctx
def registrations_command(ctx: Context, event_id: int, fmt: str) -> None:
    """Print the registrations of an event."""
    with ctx.db.transaction(write=False) as session:
        get_event(session, event_id)
        rows = registration_rows(session, event_id)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    # Names and answers are typed by invitees: written formula-safe, for Excel.
    flat = [{**row, "answers": json.dumps(row["answers"], ensure_ascii=False)} for row in rows]
    write_csv(flat, REGISTRATION_FIELDS, sys.stdout.buffer)
