"""Events: date, venue, capacity, programme and registration questions."""

# Registers the flush listener that raises an event's content version whatever door edits it.
from service.events import shown as _shown  # noqa: F401
