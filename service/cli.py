"""The `convier` command: database, web, worker, events, invitations, tokens and the demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import yaml
from pydantic import ValidationError

from contacts.exports import write_csv
from service.api.serialise import event_json
from service.campaigns.cli import campaign_group
from service.campaigns.rules_cli import rule_group
from service.cli_context import Context, ConvierGroup, pass_ctx
from service.contacts_cli import contacts_group
from service.events.schemas import EventIn, describe_errors
from service.events.services import create_event, get_event, list_events
from service.inputs import parse_json
from service.mail.cli import mail_group
from service.registrations import services
from service.registrations.invitations import (
    invitation_link,
    invite,
)
from service.registrations.queries import REGISTRATION_FIELDS, event_counts, registration_rows
from service.tracking.cli import attendees_command, replies_group, stats_command


def load_event_file(path: Path) -> EventIn:
    """Read an event description from YAML or JSON; errors name the file and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text (save it as UTF-8): {exc}") from exc
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read the file ({exc.strerror})") from exc
    try:
        data = parse_json(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        raise click.ClickException(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from exc
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: expected a mapping of fields (slug, title, date…)")
    try:
        return EventIn.model_validate(data)
    except ValidationError as exc:
        lines = "\n".join(f"  {line}" for line in describe_errors(exc))
        raise click.ClickException(f"{path}: the event is not valid:\n{lines}") from exc


@click.group(cls=ConvierGroup)
def main() -> None:
    """Convier: invitations and registrations for professional events."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Create or migrate the schema to the latest version."""
    from service.migrate import upgrade

    upgrade(ctx.settings.database_url)
    click.echo("database is up to date")


@main.group()
def event() -> None:
    """Create and inspect events."""


@event.command("create")
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(path_type=Path),
    help="event.yaml or event.json",
)
@pass_ctx
def event_create(ctx: Context, path: Path) -> None:
    """Create an event from a YAML or JSON description."""
    spec = load_event_file(path)
    with ctx.db.transaction() as session:
        created = create_event(session, spec, ctx.settings.tz)
        done = f"created event {created.id}: {created.title}"
    click.echo(done)


@event.command("list")
@pass_ctx
def event_list(ctx: Context) -> None:
    """List events."""
    tz = ctx.settings.tz
    with ctx.db.transaction(write=False) as session:
        for item in list_events(session):
            starts = item.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            click.echo(f"{item.id:>4}  {starts}  {item.capacity:>5} seats  {item.title}")


@event.command("show")
@click.argument("event_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_ctx
def event_show(ctx: Context, event_id: int, fmt: str) -> None:
    """Capacity and registrations by state."""
    with ctx.db.transaction(write=False) as session:
        item = get_event(session, event_id)
        counts = event_counts(session, item)
        if fmt == "json":
            click.echo(json.dumps(event_json(item, counts), ensure_ascii=False, indent=2))
            return
        starts = item.starts_at.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{item.title}\n{starts} — {item.venue_name}, {item.venue_address}")
        for name, value in counts.as_dict().items():
            click.echo(f"  {name:<11} {value:>6}")


@event.command("set-capacity")
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


@event.command("promote")
@click.argument("event_id", type=int)
@pass_ctx
def event_promote(ctx: Context, event_id: int) -> None:
    """Give free seats to the first people waiting (for a manual waitlist)."""
    with ctx.db.transaction() as session:
        get_event(session, event_id)
        promoted = len(services.promote(session, event_id))
    click.echo(f"{promoted} promoted")


@main.command("invite")
@click.option("--event", "event_id", required=True, type=int)
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--lang", "language", type=click.Choice(["fr", "en"]), default="fr")
@pass_ctx
def invite_command(ctx: Context, event_id: int, email: str, name: str, language: str) -> None:
    """Invite one address and print its personal link."""
    with ctx.db.transaction() as session:
        invitation = invite(session, ctx.settings, event_id, email, name, language)
        link = invitation_link(ctx.settings, invitation)
    click.echo(link)  # once committed: never a link to an invitation that does not exist


@main.command("registrations")
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


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--name", required=True, help="who or what uses the token")
@pass_ctx
def token_create(ctx: Context, name: str) -> None:
    """Create an API bearer token and print it once."""
    from service.api.services import create_token

    with ctx.db.transaction() as session:
        secret = create_token(session, name)
    click.echo(secret)  # once committed: never a token that does not exist


@token.command("list")
@pass_ctx
def token_list(ctx: Context) -> None:
    """The tokens: id, name, created, revoked (their secrets are not kept)."""
    from service.api.services import list_tokens

    with ctx.db.transaction(write=False) as session:
        for item in list_tokens(session):
            revoked = f"revoked {item.revoked_at:%Y-%m-%d %H:%M}" if item.revoked_at else "live"
            click.echo(f"{item.id}\t{item.name}\t{item.created_at:%Y-%m-%d %H:%M}\t{revoked}")


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(min=1))
@pass_ctx
def token_revoke(ctx: Context, token_id: int) -> None:
    """Refuse a token from now on."""
    from service.api.services import revoke_token

    with ctx.db.transaction() as session:
        name = revoke_token(session, token_id).name
    click.echo(f"token {token_id} ({name}) revoked")


@main.command("demo")
@click.option(
    "--keep-date", is_flag=True, help="keep the historical date (registration then closed)"
)
@pass_ctx
def demo_command(ctx: Context, keep_date: bool) -> None:
    """Load the demo event and a few invitations, and print their links (idempotent)."""
    from service.demo import load_demo

    for line in load_demo(ctx.db, ctx.settings, keep_date=keep_date):
        click.echo(line)


@main.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option("--threads", default=8, show_default=True)
def serve(bind: str, workers: int, threads: int) -> None:
    """Run the web application under gunicorn."""
    from service.runner import run_gunicorn

    run_gunicorn(bind, workers, threads)


@main.command("worker")
@click.option("--concurrency", default=2, show_default=True)
@click.option("--no-beat", is_flag=True, help="leave beat to a separate `celery -A tasks beat`")
def worker(concurrency: int, no_beat: bool) -> None:
    """Run a Celery worker, with the beat scheduler unless --no-beat."""
    from service.runner import run_worker

    run_worker(concurrency, beat=not no_beat)


main.add_command(contacts_group)
main.add_command(mail_group)
campaign_group.add_command(rule_group)
main.add_command(campaign_group)
main.add_command(replies_group)
main.add_command(stats_command)
main.add_command(attendees_command)


@main.command("run")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
def run(bind: str) -> None:
    """Run web, worker and beat together (the embedded default); Ctrl-C stops all three."""
    from service.runner import run_all

    run_all(bind)
