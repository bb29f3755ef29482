"""Every email of the workflow, declared once: its name (the folder of its templates under
`service/templates/email/`), whether it goes to a campaign's audience, the calendar entry and
the ticket it carries, and what it says about one person only."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal


class Email(enum.StrEnum):
    """The emails there are templates for."""

    INVITATION = "invitation"
    FOLLOW_UP = "follow_up"
    CONFIRMATION = "confirmation"
    WAITLISTED = "waitlisted"
    SEAT_OFFERED = "seat_offered"
    OFFER_EXPIRED = "offer_expired"
    CONFIRMED_FROM_WAITLIST = "confirmed_from_waitlist"
    REMINDER = "reminder"
    CANCELLATION = "cancellation"
    EVENT_CHANGED = "event_changed"
    EVENT_CANCELLED = "event_cancelled"
    THANK_YOU = "thank_you"


@dataclass(frozen=True)
class EmailKind:
    """What an email is, beyond its words."""

    # Sent to a campaign's audience: it carries the unsubscribe link and List-Unsubscribe;
    # the others answer something the person did.
    campaign: bool = False
    # Its calendar entry: REQUEST adds or updates it (same UID, higher SEQUENCE), CANCEL removes.
    calendar: Literal["REQUEST", "CANCEL"] | None = None
    # It shows the ticket's QR code (and then names the attendee in its calendar entry).
    ticket: bool = False
    # What its outbox row's `extra` says of one person only: a tag, not the shared content.
    personal: frozenset[str] = frozenset()


ANSWERS = frozenset({"answers"})  # said back in the confirmations
EMAILS: dict[Email, EmailKind] = {
    Email.INVITATION: EmailKind(campaign=True),
    Email.FOLLOW_UP: EmailKind(campaign=True),
    Email.CONFIRMATION: EmailKind(calendar="REQUEST", ticket=True, personal=ANSWERS),
    Email.WAITLISTED: EmailKind(personal=frozenset({"waitlist_position"})),
    Email.SEAT_OFFERED: EmailKind(personal=frozenset({"offer_expires_at"})),
    Email.OFFER_EXPIRED: EmailKind(),
    Email.CONFIRMED_FROM_WAITLIST: EmailKind(calendar="REQUEST", ticket=True, personal=ANSWERS),
    Email.REMINDER: EmailKind(campaign=True),
    Email.CANCELLATION: EmailKind(calendar="CANCEL"),
    Email.EVENT_CHANGED: EmailKind(campaign=True, calendar="REQUEST"),
    Email.EVENT_CANCELLED: EmailKind(calendar="CANCEL"),
    Email.THANK_YOU: EmailKind(campaign=True),
}
# Every value that is one person's, whatever the email: left out of what a batch shares.
PERSONAL_EXTRA = frozenset().union(*(kind.personal for kind in EMAILS.values()))


def kind_of(name: str) -> EmailKind:
    """The declaration of the email `name` (a plain one for a name not declared)."""
    try:
        return EMAILS[Email(name)]
    except ValueError:
        return EmailKind()
