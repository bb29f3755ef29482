"""Forwarded invitations. A personal link forwarded to a colleague does what the event says:
with a bound link the invitee hands their invitation over (they decline, the colleague is
invited in their own name); with an open link the colleague registers as themselves. Either way
the colleague's invitation remembers the one that brought it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from contacts.models import normalise_email
from service.config import Settings
from service.db import utcnow
from service.mail.dispatch import send_after_commit
from service.mail.outbox import NewMessage, queue
from service.registrations import services
from service.registrations.errors import InvalidAnswers, NotAllowed
from service.registrations.invitations import invite
from service.registrations.models import Invitation, Registration


class SameAddress(ValueError):
    """The colleague's address is the invitee's own."""


def _colleague(
    session: Session, settings: Settings, invitation: Invitation, email: str, name: str
) -> Invitation:
    """The colleague's invitation to the same event, attributed to `invitation`; raises
    InvalidEmail, SuppressedAddress or SameAddress."""
    if normalise_email(email) == invitation.contact.email:
        raise SameAddress(email)
    language = invitation.contact.language
    colleague = invite(session, settings, invitation.event_id, email, name, language)
    if colleague.forwarded_from_id is None and colleague.id != invitation.id:
        colleague.forwarded_from_id = invitation.id
    return colleague


def transfer(
    session: Session, settings: Settings, invitation: Invitation, email: str, name: str
) -> Invitation:
    """Bound link: the invitee gives their invitation to a colleague, who gets one in their own
    name by email; the invitee is recorded as not coming. Only before they have a seat."""
    registration = invitation.registration
    if registration is not None and registration.status.is_active:
        raise NotAllowed("cancel your registration before handing your invitation over")
    colleague = _colleague(session, settings, invitation, email, name)
    services.decline(session, invitation)
    ids = queue(
        session,
        [
            NewMessage(
                key=f"forwarded:{colleague.id}:from:{invitation.id}",
                template="invitation",
                event_id=colleague.event_id,
                contact_id=colleague.contact_id,
                language=invitation.contact.language,
                invitation_id=colleague.id,
            )
        ],
    )
    send_after_commit(session, ids)
    return colleague


def register_colleague(
    session: Session,
    settings: Settings,
    invitation: Invitation,
    email: str,
    name: str,
    answers: Mapping[str, Any],
) -> tuple[Invitation, Registration | None]:
    """Open link: a colleague registers as themselves (seat or waitlist, as for anyone); the
    invitee's own invitation is left as it is. When the event's questions need answers, the
    colleague gets their invitation only, and answers on its page (no registration yet)."""
    colleague = _colleague(session, settings, invitation, email, name)
    session.flush()
    try:
        registration = services.register(session, colleague, answers, utcnow())
    except InvalidAnswers:
        # Raised before any seat is counted: the invitation stands, the page asks the questions.
        return colleague, None
    return colleague, registration
