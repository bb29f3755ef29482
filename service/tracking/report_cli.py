"""`convier report`: partner report links from the server, the same service as the back office's
buttons. A live link's address can be printed again (`report list`): it is derived from the row."""

from __future__ import annotations

import click

from service.cli_context import Context, ConvierGroup, pass_ctx
from service.events.services import get_event
from service.tracking import report_links


@click.group("report", cls=ConvierGroup)
def report_group() -> None:
    """Partner report links: a network's own figures at an event, nothing personal."""


@report_group.command("link")
@click.option("--event", "event_id", required=True, type=int)
@click.option("--list", "list_name", required=True, help="the network list, by name")
@click.option(
    "--days", type=int, default=report_links.DEFAULT_DAYS, show_default=True,
    help=f"how long the link opens the report (at most {report_links.MAX_DAYS})",
)  # fmt: skip
@pass_ctx
def report_link(ctx: Context, event_id: int, list_name: str, days: int) -> None:
    """Create a report link for one list at an event, and print its address and expiry."""
    with ctx.db.transaction() as session:
        get_event(session, event_id)
        mailing_list = report_links.find_list(session, list_name)
        link, url = report_links.create(session, ctx.settings, event_id, mailing_list.id, days)
        link_id, name, expires_at = link.id, mailing_list.name, link.expires_at
    until = expires_at.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M")
    click.echo(f"report link {link_id} for {name} at event {event_id}, valid until {until}")
    click.echo(url)


@report_group.command("list")
@click.option("--event", "event_id", required=True, type=int)
@pass_ctx
def report_list(ctx: Context, event_id: int) -> None:
    """The event's report links, newest first: id, list, created, expires, state, and the
    address of the live ones."""
    with ctx.db.transaction(write=False) as session:
        get_event(session, event_id)
        lines = report_links.of_event(session, ctx.settings, event_id)
    for line in lines:
        created, expires = (
            moment.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M")
            for moment in (line.created_at, line.expires_at)
        )
        cells = [str(line.id), line.list_name, created, expires, line.state.value, line.url or "-"]
        click.echo("\t".join(cells))


@report_group.command("revoke")
@click.argument("link_id", type=click.IntRange(min=1))
@pass_ctx
def report_revoke(ctx: Context, link_id: int) -> None:
    """Refuse a report link from now on."""
    with ctx.db.transaction() as session:
        link = report_links.revoke(session, link_id)
        revoked_at = link.revoked_at
    assert revoked_at is not None
    when = revoked_at.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M")
    click.echo(f"report link {link_id} revoked (since {when})")
