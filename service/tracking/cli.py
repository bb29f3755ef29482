"""`convier replies` (what people wrote back, automatic replies and bounce reports apart; marking
them handled), `convier stats` (an event's response funnel and attendance) and `convier attendees`
(the lists to take to the door)."""

from __future__ import annotations

import io
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from contacts.exports import write_csv, write_xlsx
from service.cli_context import Context, ConvierCommand, ConvierGroup, pass_ctx
from service.events.services import get_event
from service.tracking import attendance, inbox, stats
from service.tracking.exports import ATTENDEE_FIELDS, attendee_rows, signin_sheet
from service.tracking.inbox import InboxQuery, Order, State
from service.tracking.models import ReplyKind


@click.group("replies", cls=ConvierGroup, invoke_without_command=True)
@click.option("--event", "event_id", type=int, help="only the replies to this event's invitations")
@click.option("--all", "show_all", is_flag=True, help="also handled, automatic and bounce ones")
@click.pass_context
def replies_group(click_ctx: click.Context, event_id: int | None, show_all: bool) -> None:
    """The people's replies not yet handled, oldest first."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Context = click_ctx.ensure_object(Context)
    asked = InboxQuery(
        event_id=event_id,
        kind=None if show_all else ReplyKind.HUMAN,
        state=State.ALL if show_all else State.OPEN,
        order=Order.OLDEST,
    )
    with ctx.db.transaction(write=False) as session:
        for reply in inbox.replies(session, asked, limit=None):
            state = "handled" if reply.handled else "to handle"
            when = reply.received_at.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M")
            click.echo(
                f"{reply.id}\t{when}\t{reply.kind}\t{state}\t{reply.sender}\t{reply.subject}"
            )


@replies_group.command("handle")
@click.argument("reply_id", type=int)
@click.option("--undo", is_flag=True, help="mark it as to handle again")
@pass_ctx
def handle_command(ctx: Context, reply_id: int, undo: bool) -> None:
    """Mark a reply as handled (with --undo: as to handle again)."""
    with ctx.db.transaction() as session:
        changed = inbox.mark_handled(session, reply_id, not undo, "cli")
    state = "to handle" if undo else "handled"
    click.echo(f"reply {reply_id}: {state}" + ("" if changed else " (it already was)"))


@click.command("stats", cls=ConvierCommand, short_help="The funnel of an event's invitations.")
@click.option("--event", "event_id", required=True, type=int)
@click.option(
    "--by",
    "by",
    type=click.Choice(["list", "campaign", "day"]),
    help="one row per list or campaign; day: attendance per day of registration",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "xlsx", "json"]), default="table"
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="for xlsx")
@pass_ctx
def stats_command(ctx: Context, event_id: int, by: str | None, fmt: str, out: Path | None) -> None:
    """The funnel of an event's invitations (sent … registered, declined, replied), the response
    rate, attendance and no-shows, registrations per day and the capacity gauge."""
    with ctx.db.transaction(write=False) as session:
        get_event(session, event_id)
        document = stats.report(session, event_id, by, ctx.settings.timezone)
    if fmt == "json":
        click.echo(json.dumps(document, indent=2))
    elif fmt in ("csv", "xlsx"):
        rows = _side_by_side(document["funnel"], document["attendance"])
        buffer = io.BytesIO()
        (write_xlsx if fmt == "xlsx" else write_csv)(rows, list(rows[0]), buffer)
        _write(buffer.getvalue(), out)
    else:
        _table(document["funnel"], document["gauge"])
        _attendance_table(document["attendance"])
        if (seconds := document["median_seconds_to_respond"]) is not None:
            click.echo(f"median time to respond: {_duration(timedelta(seconds=seconds))}")
        for campaign, gained in document["follow_up_gains"].items():
            click.echo(f"answers after follow-up {campaign}: {gained}")


def _side_by_side(
    funnels: list[dict[str, Any]], shown: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per name (total, list, campaign or day), its funnel then its attendance; blank
    cells where a figure does not apply (a campaign has no attendance, a day no funnel)."""
    blank_funnel = dict.fromkeys(funnels[0])
    blank_attendance = dict.fromkeys(attendance.FIELDS)
    funnel_of = {row["name"]: row for row in funnels}
    attendance_of = {row["name"]: row for row in shown}
    return [
        {**blank_funnel, **funnel_of.get(name, {}), **blank_attendance,
         **attendance_of.get(name, {}), "name": name}
        for name in dict.fromkeys([*funnel_of, *attendance_of])
    ]  # fmt: skip


def _duration(wait: timedelta) -> str:
    hours, seconds = divmod(int(wait.total_seconds()), 3600)
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if days else f"{hours} h {seconds // 60} min"


def _table(funnels: list[dict[str, Any]], gauge: dict[str, int]) -> None:
    header = ["", *stats.FUNNEL, "rate"]
    _columns([header] + [
        [str(f["name"]), *(str(f[step]) for step in stats.FUNNEL), f"{f['response_rate']:.0%}"]
        for f in funnels
    ])  # fmt: skip
    click.echo(
        f"seats: {gauge['confirmed']} confirmed, {gauge['offered']} offered, "
        f"{gauge['waitlisted']} waiting, capacity {gauge['capacity']}"
    )


def _attendance_table(shown: list[dict[str, Any]]) -> None:
    """Who came of the people holding a confirmed seat; "—" for what is not known yet."""

    def cell(value: Any, percent: bool = False) -> str:
        if value is None:
            return "—"
        return f"{value:.0%}" if percent else str(value)

    header = ["", "confirmed", "attended", "no-shows", "attendance", "no-show rate"]
    _columns([header] + [
        [str(a["name"]), cell(a["confirmed"]), cell(a["attended"]), cell(a["no_shows"]),
         cell(a["attendance_rate"], True), cell(a["no_show_rate"], True)]
        for a in shown
    ])  # fmt: skip
    if shown[0]["no_shows"] is None:
        click.echo("no-shows: not known before the event starts")


def _columns(lines: list[list[str]]) -> None:
    """Lines of cells, each column right-aligned to its widest cell."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for line in lines:
        click.echo("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))


@click.command("attendees", cls=ConvierCommand, short_help="The people holding a seat, by name.")
@click.option("--event", "event_id", required=True, type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "signin"]), default="csv",
              help="signin: the printable sign-in sheet (HTML)")  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="default: stdout")
@pass_ctx
def attendees_command(ctx: Context, event_id: int, fmt: str, out: Path | None) -> None:
    """The people holding a seat, by name: CSV or XLSX (cells that a spreadsheet would run as a
    formula are neutralised), or the sign-in sheet to print."""
    with ctx.db.transaction(write=False) as session:
        get_event(session, event_id)
        if fmt == "signin":
            data = signin_sheet(session, event_id, ctx.settings.timezone).encode("utf-8")
        else:
            rows = attendee_rows(session, event_id)
            buffer = io.BytesIO()
            writer = write_xlsx if fmt == "xlsx" else write_csv
            writer(rows, ATTENDEE_FIELDS, buffer)
            data = buffer.getvalue()
    _write(data, out)


def _write(data: bytes, out: Path | None) -> None:
    """To the file given, or to standard output."""
    if out is None:
        sys.stdout.buffer.write(data)
        return
    try:
        out.write_bytes(data)
    except OSError as error:
        raise click.ClickException(f"--out: cannot write {out} ({error.strerror})") from None
    click.echo(f"wrote {out}", err=True)
