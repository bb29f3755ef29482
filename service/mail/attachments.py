"""Files attached to emails: the event's calendar entry and the ticket's QR code."""

from __future__ import annotations

import io
from typing import Literal

import segno

from service.config import Settings
from service.events.calendar import event_calendar
from service.events.models import Event
from service.mail.envelope import Address, Attachment

# The HTML of the confirmations shows the ticket as <img src="cid:ticket@convier">.
TICKET_CONTENT_ID = "ticket@convier"
TICKET_SCALE = 8  # pixels per module: about 270 px for a short payload, readable from a phone
TICKET_BORDER = 4  # the quiet zone the QR code standard asks for


def event_ics(
    event: Event,
    settings: Settings,
    method: Literal["REQUEST", "CANCEL"] = "REQUEST",
    attendee: Address | None = None,
) -> Attachment:
    """The event as an .ics attachment: a meeting request, or its cancellation."""
    who = (attendee.name, attendee.email) if attendee is not None else None
    return Attachment(
        filename=f"{event.slug}.ics",
        content_type=f"text/calendar; method={method}; charset=utf-8",
        data=event_calendar(event, settings, method=method, attendee=who),
    )


def qr_png(payload: str) -> bytes:
    """`payload` as a QR code in a PNG, black on white."""
    code = segno.make(payload, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=TICKET_SCALE, border=TICKET_BORDER)
    return out.getvalue()


def ticket_qr(payload: str) -> Attachment:
    """The ticket's QR code as an inline image the HTML refers to by TICKET_CONTENT_ID."""
    return Attachment(
        filename="billet.png",
        content_type="image/png",
        data=qr_png(payload),
        content_id=TICKET_CONTENT_ID,
    )
