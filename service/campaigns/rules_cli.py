"""`convier campaign rule …`: campaigns that start by themselves at a moment of the event."""

from __future__ import annotations

import re
from datetime import timedelta

import click

from service.campaigns import rules
from service.campaigns.models import CampaignKind, CampaignRule, RuleAnchor
from service.cli_context import Context, ConvierGroup, pass_ctx

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
