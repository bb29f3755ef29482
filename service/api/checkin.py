"""The door in the JSON API, for a scanning app of one's own: check a ticket in, read the ticket
list; the same service as the door page and `convier checkin`."""

from __future__ import annotations

from typing import Any

from service.api.http import api, api_actor, authenticated, parse_body
from service.api.schemas import CheckinIn
from service.checkin import services as door
from service.events.services import get_event
from service.extensions import get_db, get_settings


@api.post("/events/<int:event_id>/checkins")
@authenticated
def checkin_create(event_id: int) -> dict[str, Any]:
    """Check in the holder of a scanned ticket: welcome, already_in or refused (with why)."""
    body = parse_body(CheckinIn)
    with get_db().transaction() as session:
        get_event(session, event_id)
        scan = door.check_in(session, get_settings(), event_id, body.code, body.device, api_actor())
        counts = door.door_counts(session, event_id)
        return {**scan.as_json(), "counts": {"inside": counts.inside, "expected": counts.expected}}


@api.get("/events/<int:event_id>/tickets")
@authenticated
def tickets_index(event_id: int) -> dict[str, Any]:
    """Every ticket of the event with its holder's name and state (to check offline)."""
    with get_db().transaction(write=False) as session:
        get_event(session, event_id)
        return {"tickets": door.ticket_list(session, get_settings(), event_id)}
