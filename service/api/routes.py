"""The JSON API of events, invitations and registrations (campaigns: `campaigns.py`): thin
handlers that parse, call one service, and map domain errors to HTTP."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from pydantic import ValidationError

from service.api import (  # noqa: F401 - they add their routes to `api`
    campaigns,
    checkin,
    imports,
    stats,
    tokens,
)
from service.api.http import (
    JSON,
    Problem,
    api,
    api_actor,
    authenticated,
    flag_arg,
    merge_patch,
    parse_body,
)
from service.api.openapi import openapi_document
from service.api.schemas import CapacityIn, InvitationIn
from service.error_pages import INVALID
from service.events.schemas import EventIn, describe_errors, event_json, event_spec
from service.events.services import create_event, get_event, list_events
from service.extensions import get_db, get_settings
from service.registrations import services
from service.registrations.event_changes import cancel_event, change_event
from service.registrations.invitations import invitation_link, invite
from service.registrations.queries import event_counts, registration_rows


@api.get("/openapi.json")
def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API."""
    return openapi_document(get_settings().base_url)


@api.get("/events")
@authenticated
def events_index() -> Any:
    """Every event."""
    with get_db().transaction(write=False) as session:
        return jsonify([event_json(e) for e in list_events(session)])


@api.post("/events")
@authenticated
def events_create() -> JSON:
    """Create an event from the same description as `convier event create`."""
    spec = parse_body(EventIn)
    with get_db().transaction() as session:
        return event_json(create_event(session, spec, get_settings().tz)), 201


@api.get("/events/<int:event_id>")
@authenticated
def events_show(event_id: int) -> JSON:
    """An event with its counts: capacity, confirmed, offered, waitlisted, declined, cancelled."""
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        return event_json(event, event_counts(session, event).as_dict())


@api.patch("/events/<int:event_id>")
@authenticated
def events_update(event_id: int) -> JSON:
    """Change an event: a JSON Merge Patch of its description (`convier event export`);
    `?notify=true` emails the people registered when its date, times or venue change."""
    patch = request.get_json(silent=True)
    if not isinstance(patch, dict):
        raise Problem(400, "bad_json", "the body must be a JSON object")
    notify = flag_arg("notify")
    settings = get_settings()
    with get_db().transaction() as session:
        current = event_spec(get_event(session, event_id), settings.tz)
        try:
            spec = EventIn.model_validate(merge_patch(current, patch))
        except ValidationError as exc:
            raise Problem(422, "invalid", INVALID, describe_errors(exc)) from None
        change = change_event(session, settings, event_id, spec, api_actor(), notify)
        body = event_json(change.event, event_counts(session, change.event).as_dict())
        return {**body, "changed": sorted(change.changed), "emailed": change.emailed}


@api.post("/events/<int:event_id>/cancel")
@authenticated
def events_cancel(event_id: int) -> JSON:
    """Call the event off; `?notify=true` tells everyone holding or waiting for a seat."""
    notify = flag_arg("notify")
    with get_db().transaction() as session:
        get_event(session, event_id)
        emailed = cancel_event(session, event_id, api_actor(), notify)
        return {"cancelled": True, "emailed": emailed}


@api.put("/events/<int:event_id>/capacity")
@authenticated
def events_capacity(event_id: int) -> JSON:
    """Change the capacity; new seats go to the waitlist first."""
    body = parse_body(CapacityIn)
    with get_db().transaction() as session:
        event = get_event(session, event_id)
        services.set_capacity(session, event_id, body.capacity)
        return event_json(event, event_counts(session, event).as_dict())


@api.post("/events/<int:event_id>/promote")
@authenticated
def events_promote(event_id: int) -> JSON:
    """Give free seats to the first people waiting."""
    with get_db().transaction() as session:
        event = get_event(session, event_id)
        promoted = services.promote(session, event_id)
        return {"promoted": len(promoted), "counts": event_counts(session, event).as_dict()}


@api.post("/events/<int:event_id>/invitations")
@authenticated
def invitations_create(event_id: int) -> JSON:
    """Invite one address; the same address twice gives the same invitation."""
    body = parse_body(InvitationIn)
    with get_db().transaction() as session:
        get_event(session, event_id)
        invitation = invite(session, get_settings(), event_id, body.email, body.name, body.language)
        return {
            "id": invitation.public_id,
            "link": invitation_link(get_settings(), invitation),
        }, 201


@api.get("/events/<int:event_id>/registrations")
@authenticated
def registrations_index(event_id: int) -> Any:
    """Every registration of the event."""
    with get_db().transaction(write=False) as session:
        get_event(session, event_id)
        return jsonify(registration_rows(session, event_id))
