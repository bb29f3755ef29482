"""The `convier` command: the database, API tokens, the demo and the processes; each package
adds its own commands (`service/<package>/cli.py`), imported only when one of them runs."""

from __future__ import annotations

import click

from service.cli_context import Context, LazyGroup, pass_ctx
from service.config import LOG_LEVELS
from service.queue import QUEUES

# name: (where the command is, its one-line help as `convier --help` lists it). A module that
# adds commands to another's group is named here (registrations adds `event show`…, sending
# adds `campaign test-send`); tests/service/test_cli.py checks each help against the command.
PACKAGE_COMMANDS = {
    "event": (
        "service.registrations.cli:event_group",
        "Create, change, cancel and inspect events.",
    ),
    "invite": (
        "service.registrations.cli:invite_command",
        "Invite one address and print its personal link; --send emails the invitation too.",
    ),
    "registrations": (
        "service.registrations.cli:registrations_command",
        "Print the registrations of an event.",
    ),
    "contacts": ("service.contacts_cli:contacts_group", "Contacts and network mailing lists."),
    "campaign": (
        "service.sending.cli:campaign_group",
        "Campaigns: one email to the people of network lists, sent through the outbox.",
    ),
    "mail": ("service.sending.cli:mail_group", "Emails: see what a template sends."),
    "replies": (
        "service.tracking.cli:replies_group",
        "The people's replies not yet handled, oldest first.",
    ),
    "stats": ("service.tracking.cli:stats_command", "The funnel of an event's invitations."),
    "attendees": ("service.tracking.cli:attendees_command", "The people holding a seat, by name."),
    "report": (
        "service.tracking.report_cli:report_group",
        "Partner report links: a network's own figures at an event, nothing personal.",
    ),
    "checkin": (
        "service.checkin.cli:checkin_command",
        "Let people in at the door: a ticket, a name, a walk-in; --undo takes it back.",
    ),
    "user": ("service.accounts.cli:user_group", "Back-office accounts: create, list, disable."),
}


@click.group(cls=LazyGroup, lazy=PACKAGE_COMMANDS)
@click.version_option(package_name="convier", message="convier %(version)s")
def main() -> None:
    """Convier: invitations and registrations for professional events."""
    from service.config import ConfigError, load_settings
    from service.logs import configure_logging

    try:
        settings = load_settings()
    except ConfigError:
        return  # the command says what is wrong when it reads the settings
    # A command speaks to a person on its standard output; its log shows what went wrong only.
    configure_logging(settings.log_format, max(settings.log_level, "WARNING", key=LOG_LEVELS.index))


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
@click.option(
    "--queues",
    default=",".join(QUEUES),
    show_default=True,
    help="interactive (emails people wait for, webhooks, the tick), bulk (campaigns), or both",
)
def worker(concurrency: int, no_beat: bool, queues: str) -> None:
    """Run a Celery worker, with the beat scheduler unless --no-beat."""
    from service.runner import run_worker

    chosen = [name.strip() for name in queues.split(",") if name.strip()]
    if not chosen or set(chosen) - set(QUEUES):
        raise click.BadParameter(f"one or more of {', '.join(QUEUES)}", param_hint="--queues")
    run_worker(concurrency, beat=not no_beat, queues=chosen)


@main.command("run")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
def run(bind: str) -> None:
    """Run web, worker and beat together (the embedded default); Ctrl-C stops all three."""
    from service.runner import run_all

    run_all(bind)
