"""JSON shapes of the API's resources."""

from __future__ import annotations

from typing import Any

from service.events.models import Event
from service.events.services import EventCounts


def event_json(event: Event, counts: EventCounts | None = None) -> dict[str, Any]:
    """An event as the API and `convier event show --format json` give it."""
    body: dict[str, Any] = {
        "id": event.id,
        "slug": event.slug,
        "title": event.title,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "venue": {"name": event.venue_name, "address": event.venue_address},
        "capacity": event.capacity,
        "waitlist_policy": event.waitlist_policy.value,
        "claim_window_hours": event.claim_window_hours,
        "registration_opens_at": event.registration_opens_at.isoformat()
        if event.registration_opens_at
        else None,
        "registration_closes_at": event.closes_at.isoformat(),
    }
    if counts is not None:
        body["counts"] = counts.as_dict()
    return body
