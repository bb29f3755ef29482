"""The door: the check-in page of an event (for phones held in portrait and laptops with a
handheld scanner), and what its script asks for. Each answer is JSON for static/checkin.js; the
page holds the event's ticket list so that it goes on checking people in when the network drops,
and sends what it did offline with the moment of each scan (`sync`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, render_template, request, url_for

from service.accounts.roles import Can
from service.accounts.web import current_user, requires
from service.checkin import services as door
from service.db import utcnow
from service.errors import Invalid
from service.events.services import get_event
from service.extensions import get_db, get_settings
from service.headers import WASM_POLICY
from service.manage.routes import manage
from service.tracking.exports import signin_sheet

SYNC_LIMIT = 500  # scans in one sync: a device offline for the whole half hour of the rush


def _actor() -> str:
    user = current_user()
    assert user is not None  # `requires` let the request in
    return user.email


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid("body", "a JSON object is expected")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(name, "missing")
    return value


def _counts(session: Any, event_id: int) -> dict[str, int]:
    counts = door.door_counts(session, event_id)
    return {"inside": counts.inside, "expected": counts.expected}


def _moment(value: object, index: int) -> datetime:
    """A scan's moment as the device wrote it (ISO 8601, with its offset)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"scans[{index}].scanned_at", "not an ISO 8601 moment") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@manage.get("/events/<int:event_id>/checkin")
@requires(Can.CHECK_IN)
def checkin(event_id: int) -> Response:
    """The door page: camera, scanner field, name search, counters, undo, walk-ins."""
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        counts = door.door_counts(session, event_id)
    page = render_template("manage/checkin.html", event=event, counts=counts)
    response = Response(page)
    response.headers["Content-Security-Policy"] = WASM_POLICY
    return response


@manage.get("/events/<int:event_id>/checkin/tickets")
@requires(Can.CHECK_IN)
def checkin_tickets(event_id: int) -> Response:
    """Every ticket of the event with its holder's name and state, for the device to keep."""
    settings = get_settings()
    with get_db().transaction(write=False) as session:
        get_event(session, event_id)
        tickets = door.ticket_list(session, settings, event_id)
        counts = _counts(session, event_id)
    response = jsonify({"generated_at": utcnow().isoformat(), "tickets": tickets, "counts": counts})
    response.headers["Cache-Control"] = "no-store"
    return response


@manage.get("/events/<int:event_id>/checkin/counts")
@requires(Can.CHECK_IN)
def checkin_counts(event_id: int) -> Response:
    """People inside and expected, shared by every device at the door."""
    with get_db().transaction(write=False) as session:
        return jsonify(_counts(session, event_id))


@manage.post("/events/<int:event_id>/checkin/scan")
@requires(Can.CHECK_IN)
def checkin_scan(event_id: int) -> Response:
    """Check in the holder of a scanned ticket: green, orange (already in) or red."""
    body = _body()
    code, device = _text(body, "code"), _text(body, "device")
    with get_db().transaction() as session:
        get_event(session, event_id)
        scan = door.check_in(session, get_settings(), event_id, code, device, _actor())
        return jsonify({**scan.as_json(), "counts": _counts(session, event_id)})


@manage.post("/events/<int:event_id>/checkin/sync")
@requires(Can.CHECK_IN)
def checkin_sync(event_id: int) -> Response:
    """The scans a device made offline, in order, each with its moment; the earliest scan of a
    person is kept, and each answer says whether this device's scan was the first."""
    body = _body()
    device, scans = _text(body, "device"), body.get("scans")
    if not isinstance(scans, list) or len(scans) > SYNC_LIMIT:
        raise Invalid("scans", f"a list of at most {SYNC_LIMIT} scans is expected")
    items = [
        (_text(scan, "code"), _moment(scan.get("scanned_at"), i)) for i, scan in enumerate(scans)
    ]
    settings, actor = get_settings(), _actor()
    with get_db().transaction() as session:
        get_event(session, event_id)
        results = [
            door.check_in(session, settings, event_id, code, device, actor, moment).as_json()
            for code, moment in items
        ]
        return jsonify({"results": results, "counts": _counts(session, event_id)})


@manage.post("/events/<int:event_id>/checkin/undo")
@requires(Can.CHECK_IN)
def checkin_undo(event_id: int) -> Response:
    """Take back a check-in made by mistake."""
    registration_id = _body().get("registration_id")
    if not isinstance(registration_id, int):
        raise Invalid("registration_id", "a registration number is expected")
    with get_db().transaction() as session:
        get_event(session, event_id)
        scan = door.undo(session, event_id, registration_id, _actor())
        return jsonify({**scan.as_json(), "counts": _counts(session, event_id)})


@manage.post("/events/<int:event_id>/checkin/walk-in")
@requires(Can.CHECK_IN)
def checkin_walk_in(event_id: int) -> Response:
    """Register a person at the door while seats remain, and let them in."""
    body = _body()
    email, name, device = _text(body, "email"), body.get("name") or "", _text(body, "device")
    with get_db().transaction() as session:
        get_event(session, event_id)
        scan = door.walk_in(session, get_settings(), event_id, email, str(name), device, _actor())
        return jsonify({**scan.as_json(), "counts": _counts(session, event_id)})


@manage.get("/events/<int:event_id>/checkin/door-list")
@requires(Can.CHECK_IN)
def checkin_door_list(event_id: int) -> str:
    """The door list to print, the fallback of last resort: everyone holding a seat, by name,
    with a column to sign."""
    with get_db().transaction(write=False) as session:
        get_event(session, event_id)
        stylesheet = url_for("static", filename="print.css")
        return signin_sheet(session, event_id, get_settings().timezone, stylesheet)
