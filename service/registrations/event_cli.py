"""`convier event update` and `convier event cancel`: an organiser changes or calls off an event
from the server, and says whether the people registered are emailed."""

from __future__ import annotations

from pathlib import Path

import click

from service.cli_context import Context, pass_ctx
from service.events.cli import event_group, load_event_file
from service.events.services import get_event
from service.registrations.event_changes import (
    cancel_event,
    change_event,
    concerned,
    would_notice,
)

NOTIFY = click.option(
    "--notify/--no-notify",
    default=None,
    help="Email the people holding or waiting for a seat (asked when not given).",
)


@event_group.command("update")
@click.argument("event_id", type=int)
@click.option("--file", "path", required=True, type=click.Path(path_type=Path),
              help="the whole event, as for create (`convier event export` gives it)")  # fmt: skip
@NOTIFY
@pass_ctx
def event_update(ctx: Context, event_id: int, path: Path, notify: bool | None) -> None:
    """Change an event from a YAML or JSON description; asks whether to email the people
    registered when the date, times or venue change."""
    spec = load_event_file(path)
    if notify is None:
        with ctx.db.transaction(write=False) as session:
            get_event(session, event_id)
            people = would_notice(session, ctx.settings, event_id, spec)
        notify = people > 0 and click.confirm(
            f"The date, times or venue change: email the {people} people registered?",
            default=True,
        )
    with ctx.db.transaction() as session:
        get_event(session, event_id)
        change = change_event(session, ctx.settings, event_id, spec, "cli", bool(notify))
        done = ", ".join(sorted(change.changed)) or "nothing"
    click.echo(f"changed: {done}; emailed: {change.emailed}")


@event_group.command("cancel")
@click.argument("event_id", type=int)
@NOTIFY
@pass_ctx
def event_cancel(ctx: Context, event_id: int, notify: bool | None) -> None:
    """Call an event off: registration closes, and the people registered are told (asked)."""
    with ctx.db.transaction(write=False) as session:
        title = get_event(session, event_id).title
        people = len(concerned(session, event_id))
    if notify is None:
        click.confirm(f"Cancel « {title} »?", abort=True)
        notify = people > 0 and click.confirm(
            f"Email the {people} people holding or waiting for a seat?", default=True
        )
    with ctx.db.transaction() as session:
        emailed = cancel_event(session, event_id, "cli", bool(notify))
    click.echo(f"cancelled; emailed: {emailed}")
