"""The JSON API of events, invitations and registrations (campaigns: `campaigns.py`): thin
handlers that parse, call one service, and map domain errors to HTTP."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from service.api import (  # noqa: F401 - they add their routes to `api`
    campaigns,
    imports,
    stats,
    tokens,
)
from service.api.http import JSON, api, authenticated, parse_body
from service.api.openapi import openapi_document
from service.api.schemas import CapacityIn, InvitationIn
from service.events.schemas import EventIn, event_json
from service.events.services import create_event, get_event, list_events
from service.extensions import get_db, get_settings
from service.registrations import services
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
