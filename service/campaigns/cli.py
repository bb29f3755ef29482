"""`convier campaign …`: create a campaign, launch it after seeing its audience, follow it live,
pause, resume or cancel it (`test-send` is added by `service.sending.cli`); `convier campaign
rule …`: campaigns that start by themselves at a moment of the event."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import click
from sqlalchemy.orm import Session

from service.campaigns import rules, services
from service.campaigns.audience import audience_size
from service.campaigns.models import Campaign, CampaignKind, CampaignRule, CampaignState, RuleAnchor
from service.cli_context import Context, ConvierGroup, pass_ctx
from service.mail.dispatch import build_after_commit
from service.mail.models import MessageStatus

FINAL_STATES = (CampaignState.DONE, CampaignState.CANCELLED)
BAR_WIDTH = 30


def _send_at(ctx: Context, value: str | None) -> datetime | None:
    if value is None or value == "now":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"expected 'now' or a date and time such as 2026-12-01T09:00, got {value!r}",
            param_hint="--send-at",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ctx.settings.tz)


@click.group("campaign", cls=ConvierGroup)
def campaign_group() -> None:
    """Campaigns: one email to the people of network lists, sent through the outbox."""


@campaign_group.command("create")
@click.option("--event", "event_id", required=True, type=int)
@click.option("--kind", type=click.Choice([k.value for k in CampaignKind]), required=True)
@click.option("--lists", default="", help="NAME[,NAME…]: everyone on any of them, once")
@click.option("--segment", default="", help="a saved segment the audience must also match")
@click.option("--template", default="", help="another email than the kind's own")
@click.option("--subject", default="", help="a subject line instead of the template's")
@click.option("--sender-name", default="", help="the name shown as sender")
@click.option("--send-at", help="'now' (default) or a date and time in TIMEZONE")
@click.option("--rate", type=int, help="at most this many messages per minute")
@pass_ctx
def create_command(ctx: Context, event_id: int, kind: str, lists: str, segment: str,
                   template: str, subject: str, sender_name: str, send_at: str | None,
                   rate: int | None) -> None:  # fmt: skip
    """Create a draft campaign and print its id."""
    spec = services.CampaignSpec(
        event_id=event_id, kind=CampaignKind(kind),
        lists=[name.strip() for name in lists.split(",") if name.strip()], segment=segment,
        template=template, subject=subject, sender_name=sender_name,
        send_at=_send_at(ctx, send_at), rate_per_minute=rate,
    )  # fmt: skip
    with ctx.db.transaction() as session:
        campaign_id = services.create(session, spec).id
    click.echo(campaign_id)


def _audience_size(ctx: Context, campaign_id: int) -> int:
    with ctx.db.transaction(write=False) as session:
        return audience_size(session, services.get(session, campaign_id))


@campaign_group.command("launch")
@click.argument("campaign_id", type=int)
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@pass_ctx
def launch_command(ctx: Context, campaign_id: int, yes: bool) -> None:
    """Show the audience, ask, then start sending (or schedule for the send time)."""
    size = _audience_size(ctx, campaign_id)
    if not yes:
        click.confirm(f"Send campaign {campaign_id} to {size} people?", abort=True)
    with ctx.db.transaction() as session:
        campaign = services.launch(session, campaign_id, build_after_commit)
        state, send_at = campaign.state, campaign.send_at
    when = f" at {send_at.astimezone(ctx.settings.tz):%Y-%m-%d %H:%M}" if send_at else ""
    click.echo(f"campaign {campaign_id}: {state}{when}, {size} people")


def _line(campaign: Campaign, counts: dict[str, int]) -> str:
    total = campaign.audience_count if campaign.audience_count is not None else sum(counts.values())
    final = sum(counts[s] for s in ("sent", "failed", "suppressed", "cancelled"))
    filled = int(BAR_WIDTH * final / total) if total else BAR_WIDTH
    bar = "█" * filled + "·" * (BAR_WIDTH - filled)
    shown = ", ".join(f"{counts[s.value]} {s.value}" for s in MessageStatus if counts[s.value])
    return f"[{bar}] {final}/{total} {campaign.state} — {shown or 'nothing queued yet'}"


@campaign_group.command("show")
@click.argument("campaign_id", type=int)
@click.option("--watch", is_flag=True, help="redraw every second until the campaign ends")
@pass_ctx
def show_command(ctx: Context, campaign_id: int, watch: bool) -> None:
    """The campaign's settings and its progress: queued, sent, failed, suppressed."""
    while True:
        with ctx.db.transaction() as session:
            services.finish_done(session)
            campaign = services.get(session, campaign_id)
            counts = services.progress(session, campaign_id)
        line = _line(campaign, counts)
        if not watch:
            lists = ", ".join(campaign.lists) or "—"
            click.echo(f"campaign {campaign.id}: {campaign.kind} of event {campaign.event_id}, "
                       f"email {campaign.template}, lists {lists}")  # fmt: skip
            click.echo(line)
            return
        click.echo(f"\r{line}\x1b[K", nl=False)
        if campaign.state in FINAL_STATES:
            click.echo()
            return
        time.sleep(1)  # a live view redraws at a human pace


def _state_command(name: str, action: Callable[[Session, int], object], help_text: str) -> None:
    @campaign_group.command(name, help=help_text)
    @click.argument("campaign_id", type=int)
    @pass_ctx
    def command(ctx: Context, campaign_id: int) -> None:
        with ctx.db.transaction() as session:
            action(session, campaign_id)
            state = services.get(session, campaign_id).state
        click.echo(f"campaign {campaign_id}: {state}")


_state_command("pause", services.pause, "Stop sending within seconds; resume goes on.")
_state_command("resume", services.resume, "Go on sending, without sending anyone twice.")
_state_command("cancel", services.cancel, "Stop for good; emails not yet sent never leave.")


# -- rules ------------------------------------------------------------------------------------

DURATION = re.compile(r"^(\d+)\s*([dh])$")


def _duration(value: str, option: str) -> timedelta:
    match = DURATION.match(value.strip())
    if match is None:
        raise click.BadParameter(f"expected days or hours such as 7d or 36h, got {value!r}",
                                 param_hint=option)  # fmt: skip
    number, unit = int(match.group(1)), match.group(2)
    return timedelta(days=number) if unit == "d" else timedelta(hours=number)


def _describe(rule: CampaignRule, ctx: Context) -> str:
    hours = abs(rule.offset_hours)
    amount = f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"
    if rule.anchor is RuleAnchor.EVENT_START:
        moment = f"{amount} before the event"
    else:
        moment = f"{amount} after the invitations"
    due = rule.due_at.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M") if rule.due_at else "—"
    state = f"{rule.state}" + (f" ({rule.reason})" if rule.reason else "")
    campaign = f" campaign {rule.campaign_id}" if rule.campaign_id else ""
    return f"{rule.id}\t{rule.kind}\t{moment}\tdue {due}\t{state}{campaign}"


@click.group("rule", cls=ConvierGroup)
def rule_group() -> None:
    """Campaigns started by the beat tick at their moment, or skipped when it has passed."""


@rule_group.command("add")
@click.option("--event", "event_id", required=True, type=int)
@click.option(
    "--kind",
    required=True,
    type=click.Choice([k.value for k in CampaignKind if k is not CampaignKind.INVITATION]),
)
@click.option("--before", help="before the event starts, e.g. 7d or 36h")
@click.option("--after-invitation", help="after the invitations left, e.g. 7d")
@click.option("--lists", default="", help="NAME[,NAME…] (default: everyone the kind concerns)")
@pass_ctx
def add_command(ctx: Context, event_id: int, kind: str, before: str | None,
                after_invitation: str | None, lists: str) -> None:  # fmt: skip
    """Add a rule to an event."""
    if (before is None) == (after_invitation is None):
        raise click.UsageError("give exactly one of --before and --after-invitation")
    if before is not None:
        anchor, offset = RuleAnchor.EVENT_START, -_duration(before, "--before")
    else:
        anchor = RuleAnchor.INVITATION
        offset = _duration(after_invitation or "", "--after-invitation")
    names = [name.strip() for name in lists.split(",") if name.strip()]
    with ctx.db.transaction() as session:
        rule = rules.add_rule(session, event_id, CampaignKind(kind), anchor, offset, names)
        done = _describe(rule, ctx)
    click.echo(done)


@rule_group.command("defaults")
@click.option("--event", "event_id", required=True, type=int)
@pass_ctx
def defaults_command(ctx: Context, event_id: int) -> None:
    """Add the usual rules: follow-up 7 days after the invitations, last call 10 days before,
    reminder 7 days before, practical information the day before."""
    with ctx.db.transaction() as session:
        added = [_describe(rule, ctx) for rule in rules.add_defaults(session, event_id)]
    for line in added:
        click.echo(line)


@rule_group.command("list")
@click.option("--event", "event_id", required=True, type=int)
@pass_ctx
def list_command(ctx: Context, event_id: int) -> None:
    """The rules of an event: when each is due, and whether it started or was skipped."""
    with ctx.db.transaction(write=False) as session:
        for rule in rules.rules_of(session, event_id):
            click.echo(_describe(rule, ctx))


campaign_group.add_command(rule_group)
