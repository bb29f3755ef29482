"""The forwarded-link actions of the personal page: hand the invitation to a colleague (bound
link), or let a colleague ask for an invitation of their own (open link). POSTs only,
CSRF-protected; both answer the same page whatever the address typed."""

from __future__ import annotations

from flask import Blueprint, request

from contacts.services import InvalidEmail
from service.db import utcnow
from service.errors import Conflict, DomainError
from service.events.models import Forwarding
from service.extensions import get_db, get_settings
from service.registrations import forwarding
from service.registrations.errors import RegistrationClosed
from service.registrations.invitations import find_invitation
from service.registrations.routes import personal_page, refused_page
from service.security import LinkRefused

# Why a colleague's address was refused, as the page names it: only what the typed text itself
# shows, never what is known about the address.
REFUSALS = {InvalidEmail: "invalid", forwarding.SameAddress: "same"}

forwarded = Blueprint("forwarded", __name__)
MAX_ADDRESS = 320


def _forward(token: str, forwarding_mode: Forwarding) -> tuple[str, int]:
    email = request.form.get("colleague_email", "").strip()[:MAX_ADDRESS]
    try:
        with get_db().transaction() as session:
            invitation = find_invitation(session, get_settings(), token)
            if invitation.event.forwarding is not forwarding_mode:
                raise Conflict("this event's invitations are not forwarded this way")
            if not invitation.event.is_open(utcnow()):
                raise RegistrationClosed(invitation.event.title)
            hand_over = forwarding_mode is Forwarding.BOUND
            forwarding.forward(session, get_settings(), invitation, email, hand_over)
    except LinkRefused:
        raise  # its own page (service.error_pages)
    except DomainError as refusal:
        reason = REFUSALS.get(type(refusal))
        return refused_page(token, refusal, {"colleague_email": reason} if reason else None)
    return personal_page(token, notice="forwarded"), 200


@forwarded.post("/r/<token>/transfer")
def transfer(token: str) -> tuple[str, int]:
    """Bound link: give my invitation to a colleague, who is invited in their own name."""
    return _forward(token, Forwarding.BOUND)


@forwarded.post("/r/<token>/colleague")
def colleague(token: str) -> tuple[str, int]:
    """Open link: a colleague gets an invitation of their own by email."""
    return _forward(token, Forwarding.OPEN)
