"""Campaigns in the JSON API, as `convier campaign …` has them: create, list, show, launch, pause,
resume, cancel and test-send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify, request
from sqlalchemy.orm import Session

from service.api.http import JSON, Problem, api, authenticated, parse_body
from service.api.schemas import CampaignIn, TestSendIn
from service.api.serialise import campaign_json
from service.campaigns import services
from service.extensions import get_db, get_settings
from service.mail.dispatch import build_after_commit
from service.sending.testsend import send_test_email


def _event_filter() -> int | None:
    event = request.args.get("event", "")
    if event and not event.isdecimal():
        raise Problem(422, "invalid", "the query has invalid parameters", ["event: an event id"])
    return int(event) if event else None


@api.get("/campaigns")
@authenticated
def campaigns_index() -> Any:
    """The campaigns of `?event=<id>`, or of every event."""
    event_id = _event_filter()
    with get_db().transaction(write=False) as session:
        return jsonify([campaign_json(c) for c in services.campaigns_of(session, event_id)])


@api.post("/campaigns")
@authenticated
def campaigns_create() -> JSON:
    """Create a draft campaign."""
    spec = parse_body(CampaignIn).spec(get_settings().tz)
    with get_db().transaction() as session:
        return campaign_json(services.create(session, spec)), 201


@api.get("/campaigns/<int:campaign_id>")
@authenticated
def campaigns_show(campaign_id: int) -> JSON:
    """The campaign with its outbox rows by status."""
    with get_db().transaction(write=False) as session:
        campaign = services.get(session, campaign_id)
        return campaign_json(campaign, services.progress(session, campaign_id))


@api.post("/campaigns/<int:campaign_id>/launch")
@authenticated
def campaigns_launch(campaign_id: int) -> JSON:
    """Start sending now, or schedule for the send time; a worker writes the outbox rows."""
    with get_db().transaction() as session:
        return campaign_json(services.launch(session, campaign_id, build_after_commit))


def _move(action: Callable[[Session, int], None], campaign_id: int) -> JSON:
    with get_db().transaction() as session:
        action(session, campaign_id)
        return campaign_json(services.get(session, campaign_id))


@api.post("/campaigns/<int:campaign_id>/pause")
@authenticated
def campaigns_pause(campaign_id: int) -> JSON:
    """Stop new sends; resume goes on."""
    return _move(services.pause, campaign_id)


@api.post("/campaigns/<int:campaign_id>/resume")
@authenticated
def campaigns_resume(campaign_id: int) -> JSON:
    """Go on sending, without sending anyone twice."""
    return _move(services.resume, campaign_id)


@api.post("/campaigns/<int:campaign_id>/cancel")
@authenticated
def campaigns_cancel(campaign_id: int) -> JSON:
    """Stop for good; emails not yet sent never leave."""
    return _move(services.cancel, campaign_id)


@api.post("/campaigns/<int:campaign_id>/test-send")
@authenticated
def campaigns_test_send(campaign_id: int) -> JSON:
    """Send the campaign's email once to an address, now, outside its counts."""
    to = parse_body(TestSendIn).to
    send_test_email(get_db(), get_settings(), campaign_id, to)
    return {"sent_to": to}
