"""`convier checkin`: the door from a terminal, over the same services as the door page: a ticket
typed or read by a handheld scanner, or a name looked up in the event's ticket list; a walk-in
registered; a check-in taken back. What it says and its exit code are the page's green, orange
and red."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.orm import Session

from contacts.exports import fold
from service.checkin import services as door
from service.checkin.services import Refusal, Scan, Verdict
from service.cli_context import Context, ConvierCommand, pass_ctx
from service.config import Settings
from service.events.services import get_event

# Exit codes a script at the door branches on; 1 (a refusal) and 2 (a usage error) are click's.
ALREADY_IN, REFUSED, SEVERAL, NO_ONE = 3, 4, 5, 6
ACTOR = "cli"  # the audit log's name of this door, as every command records it

REFUSALS = {
    Refusal.NOT_A_TICKET: "this code is not a ticket",
    Refusal.PERSONAL_LINK: "this is a personal link (an older confirmation), not a ticket: "
    "look the person up with --name",
    Refusal.FORGED: "forged ticket (its signature is wrong)",
    Refusal.OTHER_EVENT: "a ticket for another event",
    Refusal.REPLACED: "an earlier ticket, replaced since the seat was taken again",
    Refusal.UNKNOWN: "no such registration at this event",
    Refusal.CANCELLED: "registration cancelled",
    Refusal.DECLINED: "invitation declined",
    Refusal.WAITLISTED: "on the waitlist, no seat",
    Refusal.OFFERED: "a seat offered, not confirmed yet",
}
STATES = {
    "confirmed": "expected",
    "attended": "inside",
    "offered": "seat offered",
    "waitlisted": "waitlisted",
    "cancelled": "cancelled",
}

HELP = f"""Let people in at the door: the holder of TICKET (the code under the QR), or the one
person whose name matches --name (accents and case ignored); --walk-in registers a person at the
door while seats remain; --undo takes a check-in back.

\b
Exit codes:
  0  welcome (or check-in taken back)
  1  a value refused (the message names it: --event, --email, --device…)
  2  options that do not go together, or one missing
  {ALREADY_IN}  already inside: scanned before
  {REFUSED}  refused: not a valid ticket, or no confirmed seat
  {SEVERAL}  --name matches several people: they are listed, be more precise
  {NO_ONE}  --name matches no one"""


def matching(tickets: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The people of the list whose name holds every word of `name` (the start of one of its
    words); a person named exactly `name` is the one meant, even among longer names."""
    wanted = fold(name).split()
    exact = [t for t in tickets if fold(t["name"]).split() == wanted]
    if exact:
        return exact
    return [
        ticket
        for ticket in tickets
        if all(any(word.startswith(part) for word in fold(ticket["name"]).split())
               for part in wanted)
    ]  # fmt: skip


def _person(ticket: dict[str, Any]) -> str:
    organisation = f" ({ticket['organisation']})" if ticket["organisation"] else ""
    return f"{ticket['name']}{organisation}"


def _verdict(scan: Scan, ctx: Context) -> tuple[str, int]:
    """The line the door shows, and the command's exit code."""
    who = _person({"name": scan.name, "organisation": scan.organisation})
    if scan.verdict is Verdict.WELCOME:
        return f"Welcome, {who}", 0
    if scan.verdict is Verdict.UNDONE:
        return f"Check-in taken back: {who} is expected again", 0
    if scan.verdict is Verdict.ALREADY_IN:
        assert scan.attended_at is not None  # an attended registration has its moment
        since = scan.attended_at.astimezone(ctx.settings.tz).strftime("%H:%M")
        by = f", by {scan.attended_by}" if scan.attended_by else ""
        return f"Already in since {since} ({ctx.settings.timezone}){by}: {who}", ALREADY_IN
    reason = REFUSALS.get(scan.refusal, scan.refusal.value)
    return f"Refused: {reason}" + (f" — {who}" if scan.name else ""), REFUSED


def _choice_lines(people: list[dict[str, Any]], name: str) -> list[str]:
    lines = [f"{len(people)} people match --name {name!r}; give a more precise name:"]
    lines += [f"  {_person(p)}\t{STATES.get(p['status'], p['status'])}" for p in people]
    return lines


def _check_inputs(
    ticket: str | None, name: str | None, email: str | None, walk_in: bool, undo: bool
) -> None:
    """Which combinations of TICKET and options make sense, each refusal naming its parameter."""
    if walk_in:
        if ticket or undo:
            raise click.UsageError("--walk-in takes --name and --email, no TICKET nor --undo")
        if not name or not name.strip():
            raise click.BadParameter("the walk-in's name is required", param_hint="--name")
        if not email or not email.strip():
            raise click.BadParameter("the walk-in's address is required", param_hint="--email")
        return
    if email:
        raise click.BadParameter("only with --walk-in", param_hint="--email")
    if ticket and name:
        raise click.UsageError("give TICKET or --name, not both")
    if not ticket and not name:
        raise click.UsageError("give a TICKET code or --name")
    if name is not None and not name.strip():
        raise click.BadParameter("empty", param_hint="--name")
    if ticket is not None and not ticket.strip():
        raise click.BadParameter("empty", param_hint="TICKET")


def _act(
    session: Session,
    settings: Settings,
    event_id: int,
    ticket: str | None,
    name: str | None,
    email: str | None,
    walk_in: bool,
    undo: bool,
    device: str,
) -> Scan | list[dict[str, Any]]:
    """The scan of what was asked, or the people a name matches when it is not one person."""
    if walk_in:
        assert name is not None  # _check_inputs
        assert email is not None
        return door.walk_in(session, settings, event_id, email, name, device, ACTOR)
    if name is not None:
        found = matching(door.ticket_list(session, settings, event_id), name)
        if len(found) != 1:
            return found
        registration_id = found[0]["id"]
    else:
        assert ticket is not None  # _check_inputs
        if not undo:
            return door.check_in(session, settings, event_id, ticket, device, ACTOR)
        claim = door.claim_of(settings, event_id, ticket)
        if isinstance(claim, Refusal):
            return Scan(Verdict.REFUSED, claim)
        registration_id = claim.registration_id
    if undo:
        return door.undo(session, event_id, registration_id, ACTOR)
    return door.admit(session, event_id, registration_id, device, ACTOR)


@click.command(
    "checkin",
    cls=ConvierCommand,
    help=HELP,
    short_help="Let people in at the door: a ticket, a name, a walk-in; --undo takes it back.",
)
@click.option("--event", "event_id", required=True, type=int)
@click.argument("ticket", required=False)
@click.option("--name", help="the person's name, or part of it (accents and case ignored)")
@click.option("--walk-in", is_flag=True, help="register --name, --email at the door and let in")
@click.option("--email", help="the walk-in's address")
@click.option("--undo", is_flag=True, help="take back the check-in of TICKET or --name")
@click.option("--device", default="cli", show_default=True, help="recorded as who let them in")
@pass_ctx
def checkin_command(
    ctx: Context,
    event_id: int,
    ticket: str | None,
    name: str | None,
    walk_in: bool,
    email: str | None,
    undo: bool,
    device: str,
) -> None:
    """Let people in at the door (the help is HELP, which names the exit codes)."""
    _check_inputs(ticket, name, email, walk_in, undo)
    with ctx.db.transaction() as session:
        get_event(session, event_id)
        outcome = _act(session, ctx.settings, event_id, ticket, name, email, walk_in, undo, device)
    # Said once committed: never "welcome" for a check-in that was not kept.
    if isinstance(outcome, list):
        if not outcome:
            click.echo(f"No one at this event matches --name {name!r}")
            raise click.exceptions.Exit(NO_ONE)
        click.echo("\n".join(_choice_lines(outcome, name or "")))
        raise click.exceptions.Exit(SEVERAL)
    line, code = _verdict(outcome, ctx)
    click.echo(line)
    if code:
        raise click.exceptions.Exit(code)
