"""`convier user`: back-office accounts from the server (the first admin is made here)."""

from __future__ import annotations

import click

from service.accounts import services
from service.accounts.models import Role
from service.cli_context import Context, ConvierGroup, pass_ctx


@click.group("user", cls=ConvierGroup)
def user_group() -> None:
    """Back-office accounts: create, list, disable."""


@user_group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option(
    "--event", "event_ids", multiple=True, type=int, help="An event a door account works for."
)
@pass_ctx
def user_create(ctx: Context, email: str, role: str, event_ids: tuple[int, ...]) -> None:
    """Create an account and print its one-time sign-in link (the person sets a password)."""
    with ctx.db.transaction() as session:
        user = services.create_user(session, email, Role(role), event_ids)
        link = services.sign_in_link(ctx.settings, user)
        address = user.email
    click.echo(f"{address} ({role}): sign in once at\n{link}")


@user_group.command("link")
@click.argument("email")
@pass_ctx
def user_link(ctx: Context, email: str) -> None:
    """Print a new one-time sign-in link for an account (a forgotten password)."""
    with ctx.db.transaction(write=False) as session:
        user = services.find_user(session, email)
        if user.disabled_at is not None:
            raise click.ClickException(f"{user.email} is disabled")
        link = services.sign_in_link(ctx.settings, user)
    click.echo(link)


@user_group.command("list")
@pass_ctx
def user_list(ctx: Context) -> None:
    """Every account: address, role, events, state."""
    with ctx.db.transaction(write=False) as session:
        for user in services.list_users(session):
            events = ",".join(map(str, sorted(user.event_ids))) or "-"
            state = "disabled" if user.disabled_at else "active"
            if user.disabled_at is None and user.password_hash is None:
                state = "no password yet"
            click.echo(f"{user.email}\t{user.role.value}\t{events}\t{state}")


@user_group.command("disable")
@click.argument("email")
@pass_ctx
def user_disable(ctx: Context, email: str) -> None:
    """Refuse an account from now on; its sessions end at once."""
    with ctx.db.transaction() as session:
        user = services.disable_user(session, services.find_user(session, email))
        address = user.email
    click.echo(f"{address} disabled")
