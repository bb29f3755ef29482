"""What each role may do in the back office: one table, read by the pages (a control shows only
to those who may use it) and by every handler (a request outside one's role is 403)."""

from __future__ import annotations

import enum

from service.accounts.models import Role, User


class Can(enum.StrEnum):
    """A kind of step in the back office."""

    SEE_EVENTS = "see_events"  # events, registrations, waitlists, statistics
    SEE_CONTACTS = "see_contacts"  # mailing lists, contacts, suppressions, campaigns
    CHANGE_EVENTS = "change_events"  # events, registrations, lists, campaigns
    EXPORT = "export"  # attendee lists and sign-in sheets
    SEE_STATS = "see_stats"  # response figures, replies, deliverability, partner reports
    ANSWER_REPLIES = "answer_replies"  # mark what people wrote back as handled
    MANAGE_USERS = "manage_users"
    CHECK_IN = "check_in"  # at the door, for the events named on the account


ALLOWED: dict[Role, frozenset[Can]] = {
    Role.ADMIN: frozenset(Can),
    Role.ORGANISER: frozenset(
        {
            Can.SEE_EVENTS,
            Can.SEE_CONTACTS,
            Can.CHANGE_EVENTS,
            Can.EXPORT,
            Can.CHECK_IN,
            Can.SEE_STATS,
            Can.ANSWER_REPLIES,
        }
    ),
    Role.COMMS: frozenset(
        {Can.SEE_EVENTS, Can.SEE_CONTACTS, Can.EXPORT, Can.SEE_STATS, Can.ANSWER_REPLIES}
    ),
    # A door account sees the events named on it, and nothing else (may_for_event).
    Role.DOOR: frozenset({Can.SEE_EVENTS, Can.CHECK_IN}),
}


def may(user: User, step: Can) -> bool:
    """Whether `user` may take `step` at all."""
    return user.disabled_at is None and step in ALLOWED[user.role]


def may_for_event(user: User, step: Can, event_id: int) -> bool:
    """Whether `user` may take `step` for this event: a door account only for its own events."""
    return may(user, step) and (user.role is not Role.DOOR or event_id in user.event_ids)
