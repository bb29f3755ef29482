"""The event as an iCalendar entry: a file to download (PUBLISH) or an email's meeting request
(REQUEST) and its cancellation (CANCEL)."""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import urlsplit

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as CalendarEvent

from service.config import Settings
from service.db import utcnow
from service.events.models import Event


def event_uid(event: Event, settings: Settings) -> str:
    """A UID that stays the same for the life of the event, so calendars update one entry."""
    host = urlsplit(settings.base_url).hostname or "convier"
    return f"convier-event-{event.id}@{host}"


def organiser_address(event: Event, settings: Settings) -> tuple[str, str]:
    """The organiser's (name, email): the event's own, else the sender of the emails."""
    if event.organiser_email:
        return event.organiser_name or event.organiser_email, event.organiser_email
    name, email = parseaddr(settings.mail_from)
    return name or email, email


def event_calendar(
    event: Event,
    settings: Settings,
    method: str = "PUBLISH",
    attendee: tuple[str, str] | None = None,
) -> bytes:
    """A VCALENDAR holding the event, its venue and its organiser; `method` CANCEL marks it
    cancelled; `attendee` (name, email) is the person a REQUEST or CANCEL is addressed to."""
    calendar = Calendar()
    calendar.add("prodid", "-//Convier//Invitations//FR")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    entry = CalendarEvent()
    entry.add("uid", event_uid(event, settings))
    # Calendars keep the entry with the highest SEQUENCE: it rises with every visible change.
    entry.add("sequence", event.content_version)
    # When this copy was made (RFC 5545 with a METHOD): a calendar sees an update as newer.
    entry.add("dtstamp", utcnow())
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.title)
    entry.add("location", f"{event.venue_name}, {event.venue_address}")
    if event.subtitle:
        entry.add("description", event.subtitle)
    name, email = organiser_address(event, settings)
    organiser = vCalAddress(f"mailto:{email}")
    organiser.params["cn"] = vText(name)
    entry.add("organizer", organiser)
    if attendee is not None:
        person = vCalAddress(f"mailto:{attendee[1]}")
        person.params["cn"] = vText(attendee[0] or attendee[1])
        person.params["role"] = "REQ-PARTICIPANT"
        person.params["rsvp"] = "FALSE"
        if method != "CANCEL":
            person.params["partstat"] = "ACCEPTED"  # the person registered: nothing to answer
        entry.add("attendee", person)
    entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(entry)
    return calendar.to_ical()
