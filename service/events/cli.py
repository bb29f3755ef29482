"""`convier event …`: create events from their description, list them. What concerns their seats
(`show`, `set-capacity`, `promote`) is added by `service.registrations.cli`."""

from __future__ import annotations

from pathlib import Path

import click
import yaml
from pydantic import ValidationError

from service.cli_context import Context, ConvierGroup, pass_ctx
from service.events.logos import MAX_BYTES, remove_logo, set_logo
from service.events.schemas import EventIn, describe_errors, event_spec
from service.events.services import create_event, get_event, list_events
from service.inputs import parse_json


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


@click.group("event", cls=ConvierGroup)
def event_group() -> None:
    """Create, change, cancel and inspect events."""


@event_group.command("create")
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


@event_group.command("list")
@pass_ctx
def event_list(ctx: Context) -> None:
    """List events."""
    tz = ctx.settings.tz
    with ctx.db.transaction(write=False) as session:
        for item in list_events(session):
            starts = item.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            click.echo(f"{item.id:>4}  {starts}  {item.capacity:>5} seats  {item.title}")


@event_group.command("export")
@click.argument("event_id", type=int)
@pass_ctx
def event_export(ctx: Context, event_id: int) -> None:
    """Print an event as YAML, as `create` and `update` read it."""
    with ctx.db.transaction(write=False) as session:
        spec = event_spec(get_event(session, event_id), ctx.settings.tz)
    click.echo(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), nl=False)


@event_group.command("logo")
@click.option("--event", "event_id", required=True, type=int, help="the event's id")
@click.option("--file", "path", type=click.Path(path_type=Path),
              help="a PNG, JPEG or WebP image, 200 KB at most")  # fmt: skip
@click.option("--remove", is_flag=True, help="take the event's logo away")
@pass_ctx
def event_logo(ctx: Context, event_id: int, path: Path | None, remove: bool) -> None:
    """Set the logo shown before the organiser's name on the event's pages, or remove it."""
    if (path is not None) == remove:
        raise click.UsageError("give either --file PATH or --remove")
    if path is None:
        with ctx.db.transaction() as session:
            remove_logo(session, event_id, "cli")
        click.echo(f"event {event_id}: logo removed")
        return
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)  # enough to tell a file too large
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read the file ({exc.strerror})") from exc
    with ctx.db.transaction() as session:
        kind = set_logo(session, event_id, data, "cli").organiser_logo_type
    click.echo(f"event {event_id}: logo set ({kind}, {len(data) // 1024} KB)")
