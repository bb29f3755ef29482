"""The event as an iCalendar entry."""

from __future__ import annotations

from urllib.parse import urlsplit

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as CalendarEvent

from service.config import Settings
from service.events.models import Event


def event_uid(event: Event, settings: Settings) -> str:
    """A UID that stays the same for the life of the event, so calendars update one entry."""
    host = urlsplit(settings.base_url).hostname or "convier"
    return f"convier-event-{event.id}@{host}"


def event_calendar(event: Event, settings: Settings) -> bytes:
    """A VCALENDAR holding the event, its venue and its organiser."""
    calendar = Calendar()
    calendar.add("prodid", "-//Convier//Invitations//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", event_uid(event, settings))
    entry.add("dtstamp", event.created_at)
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.title)
    entry.add("location", f"{event.venue_name}, {event.venue_address}")
    if event.subtitle:
        entry.add("description", event.subtitle)
    if event.organiser_email:
        organiser = vCalAddress(f"mailto:{event.organiser_email}")
        organiser.params["cn"] = vText(event.organiser_name or event.organiser_email)
        entry.add("organizer", organiser)
    calendar.add_component(entry)
    return calendar.to_ical()
