"""The forwarded-link actions of the personal page: hand the invitation to a colleague (bound
link), or let a colleague register as themselves (open link). POSTs only, CSRF-protected."""

from __future__ import annotations

from flask import redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from contacts.services import InvalidEmail
from service.events.models import Forwarding
from service.extensions import get_db, get_settings
from service.registrations import forwarding
from service.registrations.errors import NotAllowed, RegistrationClosed
from service.registrations.invitations import SuppressedAddress, find_invitation, invitation_token
from service.registrations.models import Invitation
from service.registrations.routes import invitation_page, lang_args, link_refused, public
from service.security import LinkProblem

# Why a colleague's address was refused, as the page names it.
REFUSALS = {
    InvalidEmail: "invalid",
    SuppressedAddress: "suppressed",
    forwarding.SameAddress: "same",
}


REFUSED = (InvalidEmail, SuppressedAddress, forwarding.SameAddress)


def _address_refused(invitation: Invitation, token: str, error: ValueError) -> tuple[str, int]:
    """The page again, the colleague's address field saying why it was refused."""
    errors = {"colleague_email": REFUSALS[type(error)]}
    page = invitation_page(
        invitation, invitation.registration, token, errors=errors, form=request.form.to_dict()
    )
    return page, 422


def _colleague_form() -> tuple[str, str]:
    form = request.form
    return form.get("colleague_email", "").strip()[:320], form.get("colleague_name", "").strip()[
        :200
    ]


@public.post("/r/<token>/transfer")
def transfer(token: str) -> BaseResponse | tuple[str, int]:
    """Bound link: give my invitation to a colleague, who is invited in their own name."""
    email, name = _colleague_form()
    with get_db().transaction() as session:
        invitation = find_invitation(session, get_settings(), token)
        if isinstance(invitation, LinkProblem):
            return link_refused(invitation)
        try:
            forwarding.transfer(session, get_settings(), invitation, email, name)
        except REFUSED as error:
            session.rollback()
            return _address_refused(invitation, token, error)
        except NotAllowed:
            session.rollback()
            return invitation_page(invitation, invitation.registration, token), 409
        page = invitation_page(invitation, invitation.registration, token, notice="transferred")
        return page, 200


@public.post("/r/<token>/colleague")
def colleague(token: str) -> BaseResponse | tuple[str, int]:
    """Open link: a colleague registers as themselves and lands on their own page."""
    email, name = _colleague_form()
    settings = get_settings()
    with get_db().transaction() as session:
        invitation = find_invitation(session, settings, token)
        if isinstance(invitation, LinkProblem):
            return link_refused(invitation)
        if invitation.event.forwarding is not Forwarding.OPEN:
            return invitation_page(invitation, invitation.registration, token), 409
        try:
            theirs, _ = forwarding.register_colleague(
                session, settings, invitation, email, name, {}
            )
        except REFUSED as error:
            session.rollback()
            return _address_refused(invitation, token, error)
        except RegistrationClosed:
            session.rollback()
            return invitation_page(invitation, invitation.registration, token, notice="closed"), 409
        their_token = invitation_token(settings, theirs)
    return redirect(url_for("public.show", token=their_token, **lang_args()), code=303)
