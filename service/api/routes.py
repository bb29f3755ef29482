"""The JSON API: thin handlers that parse, call one service, and map domain errors to HTTP."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from contacts.services import InvalidEmail
from service.api.openapi import openapi_document
from service.api.serialise import event_json
from service.api.services import check_token
from service.events.models import Event
from service.events.schemas import EventIn, describe_errors
from service.events.services import DuplicateEvent, create_event, event_counts, list_events
from service.extensions import get_db, get_settings
from service.registrations import services
from service.registrations.invitations import SuppressedAddress, invitation_link, invite
from service.registrations.queries import registration_rows

api = Blueprint("api", __name__, url_prefix="/api/v1")

F = TypeVar("F", bound=Callable[..., Any])
JSON = tuple[dict[str, Any], int] | dict[str, Any]


class CapacityIn(BaseModel):
    """Body of PUT /events/{id}/capacity."""

    capacity: int = Field(ge=0, le=1_000_000)


class InvitationIn(BaseModel):
    """Body of POST /events/{id}/invitations."""

    email: str = Field(min_length=3, max_length=320)
    name: str = Field("", max_length=400)
    language: str = Field("fr", pattern="^(fr|en)$")


def problem(
    status: int, code: str, message: str, errors: list[str] | None = None
) -> tuple[dict[str, Any], int]:
    body: dict[str, Any] = {"error": code, "message": message}
    if errors:
        body["errors"] = errors
    return body, status


def _body(model: type[BaseModel]) -> BaseModel | tuple[dict[str, Any], int]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return problem(400, "bad_json", "the body must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        return problem(422, "invalid", "the body has invalid fields", describe_errors(exc))


def authenticated(view: F) -> F:
    """Require `Authorization: Bearer <token>` made by `convier token create`."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret:
            return problem(401, "unauthorised", "send Authorization: Bearer <token>")
        with get_db().transaction(write=False) as session:
            if check_token(session, secret.strip()) is None:
                return problem(401, "unauthorised", "unknown or revoked token")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _event_or_404(session: Session, event_id: int) -> Event | tuple[dict[str, Any], int]:
    event = session.get(Event, event_id)
    if event is None:
        return problem(404, "not_found", f"no event with id {event_id}")
    return event


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
    spec = _body(EventIn)
    if not isinstance(spec, EventIn):
        return spec  # type: ignore[return-value]
    try:
        with get_db().transaction() as session:
            event = create_event(session, spec, get_settings().tz)
            body = event_json(event)
    except DuplicateEvent as exc:
        return problem(409, "duplicate", str(exc))
    return body, 201


@api.get("/events/<int:event_id>")
@authenticated
def events_show(event_id: int) -> JSON:
    """An event with its counts: capacity, confirmed, offered, waitlisted, declined, cancelled."""
    with get_db().transaction(write=False) as session:
        event = _event_or_404(session, event_id)
        if not isinstance(event, Event):
            return event
        return event_json(event, event_counts(session, event))


@api.put("/events/<int:event_id>/capacity")
@authenticated
def events_capacity(event_id: int) -> JSON:
    """Change the capacity; new seats go to the waitlist first."""
    body = _body(CapacityIn)
    if not isinstance(body, CapacityIn):
        return body  # type: ignore[return-value]
    with get_db().transaction() as session:
        event = _event_or_404(session, event_id)
        if not isinstance(event, Event):
            return event
        services.set_capacity(session, event_id, body.capacity)
        return event_json(event, event_counts(session, event))


@api.post("/events/<int:event_id>/promote")
@authenticated
def events_promote(event_id: int) -> JSON:
    """Give free seats to the first people waiting."""
    with get_db().transaction() as session:
        event = _event_or_404(session, event_id)
        if not isinstance(event, Event):
            return event
        promoted = services.promote(session, event_id)
        return {"promoted": len(promoted), "counts": event_counts(session, event).as_dict()}


@api.post("/events/<int:event_id>/invitations")
@authenticated
def invitations_create(event_id: int) -> JSON:
    """Invite one address; the same address twice gives the same invitation."""
    body = _body(InvitationIn)
    if not isinstance(body, InvitationIn):
        return body  # type: ignore[return-value]
    with get_db().transaction() as session:
        event = _event_or_404(session, event_id)
        if not isinstance(event, Event):
            return event
        try:
            invitation = invite(
                session, get_settings(), event_id, body.email, body.name, body.language
            )
        except (InvalidEmail, SuppressedAddress) as exc:
            session.rollback()
            return problem(422, "invalid", "the body has invalid fields", [f"email: {exc}"])
        return {
            "id": invitation.public_id,
            "link": invitation_link(get_settings(), invitation),
        }, 201


@api.get("/events/<int:event_id>/registrations")
@authenticated
def registrations_index(event_id: int) -> Any:
    """Every registration of the event."""
    with get_db().transaction(write=False) as session:
        event = _event_or_404(session, event_id)
        if not isinstance(event, Event):
            return event
        return jsonify(registration_rows(session, event_id))


@api.after_request
def _headers(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    return response
