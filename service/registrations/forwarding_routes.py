"""The forwarded-link actions of the personal page: hand the invitation to a colleague (bound
link), or let a colleague ask for an invitation of their own (open link). POSTs only,
CSRF-protected; both answer the same page whatever the address typed."""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response as BaseResponse

from contacts.services import InvalidEmail
from service.db import utcnow
from service.events.models import Forwarding
from service.extensions import get_db, get_settings
from service.registrations import forwarding
from service.registrations.errors import NotAllowed
from service.registrations.invitations import find_invitation
from service.registrations.models import Invitation
from service.registrations.routes import invitation_page, link_refused, public
from service.security import LinkProblem

# Why a colleague's address was refused, as the page names it: only what the typed text itself
# shows, never what is known about the address.
REFUSALS = {InvalidEmail: "invalid", forwarding.SameAddress: "same"}
REFUSED = (InvalidEmail, forwarding.SameAddress)
MAX_ADDRESS = 320


def _forward(token: str, forwarding_mode: Forwarding) -> BaseResponse | tuple[str, int]:
    email = request.form.get("colleague_email", "").strip()[:MAX_ADDRESS]
    with get_db().transaction() as session:
        invitation = find_invitation(session, get_settings(), token)
        if isinstance(invitation, LinkProblem):
            return link_refused(invitation)
        if invitation.event.forwarding is not forwarding_mode:
            return invitation_page(invitation, invitation.registration, token), 409
        if not invitation.event.is_open(utcnow()):
            return _page(invitation, token, "closed"), 409
        try:
            forwarding.forward(
                session, get_settings(), invitation, email, forwarding_mode is Forwarding.BOUND
            )
        except REFUSED as error:
            session.rollback()
            return _address_refused(invitation, token, error)
        except forwarding.ForwardLimitReached:
            session.rollback()
            return _page(invitation, token, "forward_limit"), 429
        except NotAllowed:
            session.rollback()
            return invitation_page(invitation, invitation.registration, token), 409
        return _page(invitation, token, "forwarded"), 200


def _page(invitation: Invitation, token: str, notice: str) -> str:
    return invitation_page(invitation, invitation.registration, token, notice=notice)


def _address_refused(invitation: Invitation, token: str, error: ValueError) -> tuple[str, int]:
    """The page again, the colleague's address field saying why it was refused."""
    errors = {"colleague_email": REFUSALS[type(error)]}
    page = invitation_page(
        invitation, invitation.registration, token, errors=errors, form=request.form.to_dict()
    )
    return page, 422


@public.post("/r/<token>/transfer")
def transfer(token: str) -> BaseResponse | tuple[str, int]:
    """Bound link: give my invitation to a colleague, who is invited in their own name."""
    return _forward(token, Forwarding.BOUND)


@public.post("/r/<token>/colleague")
def colleague(token: str) -> BaseResponse | tuple[str, int]:
    """Open link: a colleague gets an invitation of their own by email."""
    return _forward(token, Forwarding.OPEN)
