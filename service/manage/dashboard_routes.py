"""An event's figures in the back office: the live tiles and the attention strip of its home,
the charts of its statistics, and its network lists compared."""

from __future__ import annotations

from flask import render_template

from service.accounts.roles import Can
from service.accounts.web import requires
from service.events.services import get_event
from service.extensions import get_db
from service.manage.routes import manage


@manage.get("/events/<int:event_id>/lists/<int:list_id>")
@requires(Can.SEE_STATS)
def event_list(event_id: int, list_id: int) -> str:
    """One network list at an event: its funnel, its figures at past events, its report links."""
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        return render_template("manage/event_list.html", event=event, list_id=list_id)
