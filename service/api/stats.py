"""The response statistics of an event in the JSON API."""

from __future__ import annotations

from flask import request

from service.api.http import Problem, api, authenticated
from service.events.services import get_event
from service.extensions import get_db, get_settings
from service.tracking import stats


@api.get("/events/<int:event_id>/stats")
@authenticated
def event_stats(event_id: int) -> dict[str, object]:
    """The funnel in total and `?by=list|campaign|day`, per day, the gauge, time to respond,
    attendance."""
    by = request.args.get("by") or None
    if by not in (None, "list", "campaign", "day"):
        reason = ["by: list, campaign or day"]
        raise Problem(422, "invalid", "the query has invalid parameters", reason)
    with get_db().transaction(write=False) as session:
        get_event(session, event_id)
        return stats.report(session, event_id, by, get_settings().timezone)
