"""What the event services refuse."""

from __future__ import annotations

from service.errors import Conflict, NotFound


class UnknownEvent(NotFound):
    """No event has this id."""

    def __init__(self, event_id: int):
        reason = f"no event with id {event_id}"
        super().__init__(reason, fields={"event": reason})


class DuplicateEvent(Conflict):
    """An event with this slug exists already."""

    code = "duplicate"

    def __init__(self, slug: str):
        reason = f"an event called {slug!r} exists already"
        super().__init__(f"slug: {reason}", fields={"slug": reason})
