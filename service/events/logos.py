"""An organiser's logo, as their event's pages show it: a PNG, JPEG or WebP image told by its
first bytes (a file's name and the browser's word for its type prove nothing), 200 KB at most.
No SVG: it may carry scripts, and the logo is served from our own origin."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.services import record
from service.errors import Conflict, Invalid, NotFound
from service.events.models import Event
from service.events.services import get_event

MAX_BYTES = 200 * 1024
# The signature each accepted format begins with; WebP's is a RIFF file whose form is WEBP.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def media_type(data: bytes) -> str | None:
    """The media type of a PNG, JPEG or WebP image by its first bytes; None for anything else."""
    for signature, kind in SIGNATURES:
        if data.startswith(signature):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def checked_logo(data: bytes) -> str:
    """The media type of `data` when it may be a logo; Invalid naming the field `logo` otherwise."""
    if len(data) > MAX_BYTES:
        raise Invalid("logo", f"larger than {MAX_BYTES // 1024} KB")
    kind = media_type(data)
    if kind is None:
        raise Invalid("logo", "not a PNG, JPEG or WebP image")
    return kind


def _changeable(session: Session, event_id: int) -> Event:
    event = get_event(session, event_id)
    if event.cancelled_at is not None:  # as for every other change of a cancelled event
        raise Conflict("the event is cancelled", fields={"event": "cancelled"})
    return event


def set_logo(session: Session, event_id: int, data: bytes, actor: str) -> Event:
    """Give the event `data` as its logo, once checked; its pages ask for the new one (the flush
    raises their content version)."""
    kind = checked_logo(data)
    event = _changeable(session, event_id)
    event.organiser_logo, event.organiser_logo_type = data, kind
    session.flush()
    record(session, actor, "event.updated", event_id, event.title, changed=["logo"])
    return event


def remove_logo(session: Session, event_id: int, actor: str) -> Event:
    """Take the event's logo away (nothing to do when it has none)."""
    event = _changeable(session, event_id)
    if event.organiser_logo_type:
        event.organiser_logo, event.organiser_logo_type = None, ""
        session.flush()
        record(session, actor, "event.updated", event_id, event.title, changed=["logo"])
    return event


def event_logo(session: Session, event_id: int) -> tuple[bytes, str]:
    """The event's logo and its media type; NotFound when the event or its logo does not exist."""
    row = session.execute(
        select(Event.organiser_logo, Event.organiser_logo_type).where(Event.id == event_id)
    ).one_or_none()
    if row is None or row.organiser_logo is None or not row.organiser_logo_type:
        raise NotFound(f"event {event_id} has no logo", fields={"logo": "none"})
    return row.organiser_logo, row.organiser_logo_type
