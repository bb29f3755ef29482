"""The `convier` command: the database, API tokens, the demo and the processes; each package
adds its own commands (`service/<package>/cli.py`), registered at the end."""

from __future__ import annotations

import click

from service.campaigns.cli import campaign_group
from service.cli_context import Context, ConvierGroup, pass_ctx
from service.contacts_cli import contacts_group
from service.events.cli import event_group
from service.registrations.cli import invite_command, registrations_command
from service.sending.cli import mail_group
from service.tracking.cli import attendees_command, replies_group, stats_command


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


@main.command("run")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
def run(bind: str) -> None:
    """Run web, worker and beat together (the embedded default); Ctrl-C stops all three."""
    from service.runner import run_all

    run_all(bind)


for command in (
    event_group,
    invite_command,
    registrations_command,
    contacts_group,
    campaign_group,
    mail_group,
    replies_group,
    stats_command,
    attendees_command,
):
    main.add_command(command)
