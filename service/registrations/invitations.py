"""Invitations and their personal links."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from contacts.services import get_or_create_contact
from contacts.suppression import is_suppressed
from service.config import Settings
from service.errors import Invalid
from service.events.services import get_event
from service.registrations.models import Invitation
from service.security import (
    LinkClaim,
    LinkProblem,
    LinkRefused,
    Purpose,
    make_token,
    new_public_id,
    read_token,
)
from service.text import one_line


class SuppressedAddress(Invalid):
    """The address is on the suppression list (unsubscribed, bounced, erased)."""

    def __init__(self, email: str):
        super().__init__("email", f"{email} is on the suppression list and cannot be invited")


def invite(
    session: Session,
    settings: Settings,
    event_id: int,
    email: str,
    name: str | tuple[str, str] = "",
    language: str = "fr",
) -> Invitation:
    """The invitation of this address to the event, created once whatever the number of calls;
    SuppressedAddress for an address that must not be mailed."""
    get_event(session, event_id)
    if is_suppressed(session, settings, email):
        raise SuppressedAddress(email)
    typed = one_line(name) if isinstance(name, str) else (one_line(name[0]), one_line(name[1]))
    contact = get_or_create_contact(session, email, typed, language)
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.event_id == event_id, Invitation.contact_id == contact.id
        )
    )
    if invitation is None:
        invitation = Invitation(
            event_id=event_id, contact_id=contact.id, public_id=new_public_id(), token_version=1
        )
        session.add(invitation)
        session.flush()
    return invitation


def invitation_token(settings: Settings, invitation: Invitation) -> str:
    """The signed token of the invitation's personal link."""
    return make_token(
        settings.signing_keys, Purpose.INVITATION, invitation.public_id, invitation.token_version
    )


def invitation_link(settings: Settings, invitation: Invitation) -> str:
    """The personal "S'inscrire" link of an invitation."""
    return f"{settings.base_url}/r/{invitation_token(settings, invitation)}"


def link_claim(settings: Settings, token: str) -> LinkClaim:
    """What a personal link's token claims; LinkRefused when it is forged, expired or for
    another purpose."""
    claim = read_token(
        settings.signing_keys, Purpose.INVITATION, token, settings.link_max_age_days * 24 * 3600
    )
    if not isinstance(claim, LinkClaim):
        raise LinkRefused.of(claim)
    return claim


def find_invitation(session: Session, settings: Settings, token: str) -> Invitation:
    """The invitation a link points to, with its contact and event; LinkRefused saying why not
    (forged and unknown alike). The page reads less: `personal_link.open_link`."""
    claim = link_claim(settings, token)
    invitation = session.scalar(
        select(Invitation)
        .where(Invitation.public_id == claim.public_id)
        .options(joinedload(Invitation.contact), joinedload(Invitation.event))
    )
    if invitation is None or invitation.token_version != claim.version:
        raise LinkRefused.of(LinkProblem.INVALID)
    return invitation


def revoke_link(session: Session, invitation: Invitation) -> None:
    """Make every link issued so far for this invitation invalid."""
    invitation.token_version += 1
    session.flush()
