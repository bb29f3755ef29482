"""Changing one's answers after registering: the names and the answers to the event's
questions, while the seat (or the place in line) stays the person's."""

from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response as BaseResponse

from contacts.services import rename
from service.db import utcnow
from service.extensions import get_db, get_settings
from service.registrations.answers import CHANGEABLE, change_answers
from service.registrations.errors import InvalidAnswers, WrongState
from service.registrations.personal_link import PersonalLink, open_link
from service.registrations.routes import (
    link_page,
    offer_lapsed,
    personal_page,
    show_again,
    typed_form,
)

answers = Blueprint("answers", __name__)


def _answers_form(link: PersonalLink, token: str, errors: dict[str, str] | None = None) -> str:
    return link_page(
        "public/answers.html",
        link,
        token,
        errors=errors or {},
        form=request.form.to_dict() if errors else {},
    )


def _changeable(link: PersonalLink) -> bool:
    registration = link.registration
    return (
        registration is not None
        and registration.status in CHANGEABLE
        and not offer_lapsed(registration)
        and link.event.cancelled_at is None
        and link.event.ends_at > utcnow()
    )


@answers.get("/r/<token>/answers")
def answers_page(token: str) -> BaseResponse | str:
    """The person's names and answers, to change while keeping their seat or place in line."""
    with get_db().transaction(write=False) as session:
        link = open_link(session, get_settings(), token)
        if not _changeable(link):
            return show_again(token)
        return _answers_form(link, token)


@answers.post("/r/<token>/answers")
def change_my_answers(token: str) -> BaseResponse | tuple[str, int]:
    """Save the answers changed; the seat, or the place in line, stays the person's."""
    with get_db().transaction(write=False) as session:
        link = open_link(session, get_settings(), token)
    if not _changeable(link):
        return show_again(token)
    try:
        answers, changed = typed_form(link)
        with get_db().transaction() as session:
            change_answers(session, link.event, link.invitee.invitation_id, answers)
            if changed:
                rename(session, link.invitee.contact_id, changed)
    except WrongState:
        return show_again(token)  # cancelled in another tab meanwhile: the page says so
    except InvalidAnswers as refusal:
        return _answers_form(link, token, refusal.fields), refusal.status
    return personal_page(token, notice="answers_saved"), 200
