"""Forwarded invitations. A personal link forwarded to a colleague does what the event says:
with a bound link the invitee hands their invitation over (they decline, the colleague is
invited in their own name); with an open link the colleague asks for an invitation of their own.

Either way the colleague gets their own personal link by email, and nothing else: the page that
sent it says the same thing whatever the address (invited before or not, unsubscribed or not),
no seat is taken and no one's page is shown until the owner of the address opens their link,
and no text typed by the link holder goes into the email. One link may invite at most the
event's `forward_limit` colleagues; a new colleague's invitation remembers the one that
brought it.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from contacts.models import Contact
from contacts.services import clean_email
from contacts.suppression import is_suppressed
from service.config import Settings
from service.errors import Invalid, NotAllowed
from service.mail.dispatch import send_after_commit
from service.mail.kinds import Email
from service.mail.outbox import NewMessage, queue
from service.registrations import services
from service.registrations.errors import WrongState
from service.registrations.invitations import invite
from service.registrations.models import Invitation


class SameAddress(Invalid):
    """The colleague's address is the invitee's own."""

    def __init__(self) -> None:
        super().__init__("email", "the colleague's address is the invitee's own")


class ForwardLimitReached(NotAllowed):
    """This link has already invited as many colleagues as the event allows."""

    status = 429
    code = "forward_limit"


def forward(
    session: Session, settings: Settings, invitation: Invitation, email: str, hand_over: bool
) -> None:
    """Email the colleague at `email` their own invitation to the event. `hand_over` (a bound
    link): the invitee gives theirs up, only while they hold no seat. Raises InvalidEmail,
    SameAddress, WrongState or ForwardLimitReached; an address that must not be mailed is
    silently skipped, so that the answer never tells what is known about an address."""
    address = clean_email(email)
    if address == invitation.contact.email:
        raise SameAddress()
    registration = invitation.registration
    if hand_over and registration is not None and registration.status.is_active:
        raise WrongState("cancel your registration before handing your invitation over")
    _count_forward(session, invitation)
    if hand_over:
        services.decline(session, invitation)
    if is_suppressed(session, settings, address):
        return
    known = _invitation_of(session, invitation.event_id, address)
    colleague = known or invite(
        session, settings, invitation.event_id, address, language=invitation.contact.language
    )
    if known is None:
        colleague.forwarded_from_id = invitation.id
    ids = queue(
        session,
        [
            NewMessage(
                key=f"forwarded:{colleague.id}:from:{invitation.id}",
                template=Email.INVITATION,
                event_id=colleague.event_id,
                contact_id=colleague.contact_id,
                language=colleague.contact.language,
                invitation_id=colleague.id,
            )
        ],
    )
    send_after_commit(session, ids)


def _count_forward(session: Session, invitation: Invitation) -> None:
    """Count one more forward of this link, atomically under its cap; ForwardLimitReached."""
    counted = session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.forwards < invitation.event.forward_limit,
        )
        .values(forwards=Invitation.forwards + 1)
        .returning(Invitation.forwards)
        .execution_options(synchronize_session=False)
    ).scalar()
    if counted is None:
        raise ForwardLimitReached(f"at most {invitation.event.forward_limit} colleagues")


def _invitation_of(session: Session, event_id: int, address: str) -> Invitation | None:
    return session.scalar(
        select(Invitation)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.event_id == event_id, Contact.email == address)
    )
