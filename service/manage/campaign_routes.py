"""The back office's campaign pages: the campaigns, an event's campaigns and rules, a campaign's
live progress (its counters asked again every few seconds), and its launch, pause, resume and
cancel, through the same services as `convier campaign …` and the API."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from service.accounts.roles import Can
from service.accounts.web import actor, requires
from service.audit.services import record
from service.campaigns import rules, services
from service.campaigns.audience import audience_size, suppressed_count
from service.campaigns.models import Campaign, CampaignState
from service.db import utcnow
from service.errors import Conflict
from service.events.services import get_event
from service.extensions import get_db
from service.mail.dispatch import build_after_commit
from service.manage import campaign_queries as queries
from service.manage.campaign_form import MOMENTS, RULE_KINDS
from service.manage.routes import manage

MOVES = {
    "pause": (services.pause, "campaign.paused", lazy_gettext("La campagne est en pause.")),
    "resume": (services.resume, "campaign.resumed", lazy_gettext("La campagne reprend.")),
    "cancel": (services.cancel, "campaign.cancelled", lazy_gettext("La campagne est annulée.")),
}


def subject_of(campaign: Campaign) -> str:
    """What the audit log names a campaign by."""
    return f"{campaign.kind.value} #{campaign.id}"


@manage.get("/campaigns")
@requires(Can.SEE_CONTACTS)
def campaigns() -> str:
    """Every campaign, newest first."""
    with get_db().transaction(write=False) as session:
        lines = queries.campaign_lines(session)
    return render_template("manage/campaigns.html", lines=lines, event=None)


@manage.get("/events/<int:event_id>/campaigns")
@requires(Can.SEE_CONTACTS)
def campaigns_of_event(event_id: int) -> str:
    """An event's campaigns, and the rules that start its campaigns by themselves."""
    return event_campaigns_page(event_id, {})[0]


def event_campaigns_page(event_id: int, errors: dict[str, str]) -> tuple[str, int]:
    """The page of the event's campaigns and rules; `errors`: the rule form's refusals."""
    with get_db().transaction(write=False) as session:
        page = render_template(
            "manage/campaigns.html", event=get_event(session, event_id), errors=errors,
            lines=queries.campaign_lines(session, event_id),
            rules=rules.rules_of(session, event_id), now=utcnow(), rule_kinds=RULE_KINDS,
            moments=MOMENTS, form=request.form if errors else {},
        )  # fmt: skip
    return page, 422 if errors else 200


def _campaign_page(campaign_id: int, problem: str = "") -> tuple[str, int]:
    with get_db().transaction(write=False) as session:
        campaign = services.get(session, campaign_id)
        context: dict[str, Any] = {}
        if campaign.state is CampaignState.DRAFT:
            context = _reach(session, campaign)
        page = render_template(
            "manage/campaign.html", campaign=campaign, event=get_event(session, campaign.event_id),
            progress=queries.campaign_progress(session, campaign, utcnow()),
            failed=queries.failed_emails(session, campaign_id), problem=problem, **context,
        )  # fmt: skip
    return page, 409 if problem else 200


@manage.get("/campaigns/<int:campaign_id>")
@requires(Can.SEE_CONTACTS)
def campaign(campaign_id: int) -> tuple[str, int]:
    """A campaign: its settings, its audience before launch, its live progress after."""
    return _campaign_page(campaign_id)


@manage.get("/campaigns/<int:campaign_id>/progress")
@requires(Can.SEE_CONTACTS)
def campaign_progress(campaign_id: int) -> str:
    """The campaign's live counters and failed emails alone (its page asks every few seconds)."""
    with get_db().transaction(write=False) as session:
        campaign = services.get(session, campaign_id)
        return render_template(
            "manage/_campaign_progress.html", campaign=campaign,
            progress=queries.campaign_progress(session, campaign, utcnow()),
            failed=queries.failed_emails(session, campaign_id),
        )  # fmt: skip


def _reach(session: Session, campaign: Campaign) -> dict[str, int]:
    people = audience_size(session, campaign)
    suppressed = suppressed_count(session, campaign)
    return {"people": people, "suppressed": suppressed, "mailed": people - suppressed}


@manage.route("/campaigns/<int:campaign_id>/launch", methods=["GET", "POST"])
@requires(Can.CHANGE_EVENTS)
def launch_campaign(campaign_id: int) -> tuple[str, int] | Response:
    """Name the audience and ask to confirm (GET); then send now, or at the time set (POST)."""
    problem = ""
    if request.method == "POST":
        try:
            with get_db().transaction() as session:
                launched = services.launch(session, campaign_id, build_after_commit)
                scheduled = launched.state is CampaignState.SCHEDULED
                action = "campaign.scheduled" if scheduled else "campaign.launched"
                record(session, actor(), action, launched.event_id, subject_of(launched))
        except Conflict:
            problem = gettext("Seul un brouillon se lance : cette campagne est déjà partie.")
        else:
            flash(gettext("L'envoi est programmé.") if scheduled else gettext("L'envoi commence."))
            return redirect(url_for("manage.campaign", campaign_id=campaign_id))
    with get_db().transaction(write=False) as session:
        campaign = services.get(session, campaign_id)
        page = render_template(
            "manage/launch_campaign.html", campaign=campaign, problem=problem,
            event=get_event(session, campaign.event_id), now=utcnow(),
            **_reach(session, campaign),
        )  # fmt: skip
    return page, 409 if problem else 200


@manage.post("/campaigns/<int:campaign_id>/<any(pause, resume, cancel):move>")
@requires(Can.CHANGE_EVENTS)
def move_campaign(campaign_id: int, move: str) -> tuple[str, int] | Response:
    """Pause, resume or cancel the campaign, then show it again."""
    step, action, done = MOVES[move]
    try:
        with get_db().transaction() as session:
            step(session, campaign_id)
            campaign = services.get(session, campaign_id)
            record(session, actor(), action, campaign.event_id, subject_of(campaign))
    except Conflict:
        return _campaign_page(campaign_id, gettext("Cette action ne s'applique plus : la "
                                                   "campagne a changé entre-temps."))  # fmt: skip
    flash(str(done))
    return redirect(url_for("manage.campaign", campaign_id=campaign_id))
