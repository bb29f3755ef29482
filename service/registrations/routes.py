"""Public pages of the personal link: GET shows, POST acts (CSRF token plus the link's token)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from contacts.services import rename
from service.db import utcnow
from service.errors import DomainError, Invalid
from service.events.calendar import event_calendar
from service.events.colours import darker
from service.events.logos import event_logo
from service.events.services import get_event
from service.extensions import get_db, get_settings
from service.registrations import services
from service.registrations.answers import answer_lines, clean_answers
from service.registrations.errors import (
    InvalidAnswers,
    OfferExpired,
    RegistrationClosed,
    WrongState,
)
from service.registrations.forwarding import ForwardLimitReached
from service.registrations.invitations import find_invitation
from service.registrations.models import (
    STEPS,
    Invitation,
    Registration,
    RegistrationStatus,
    Step,
)
from service.registrations.personal_link import PersonalLink, Standing, open_link
from service.registrations.tickets import spaced, ticket_code, ticket_image
from service.security import LinkRefused
from service.text import one_line

public = Blueprint("public", __name__)

Change = Callable[[Session, Invitation, datetime | None], Registration]
Action = Callable[[str], None]
NAME_FIELDS = ("first_name", "last_name", "organisation")
NAMES_REQUIRED = ("first_name", "last_name")
# What the page says above its buttons when a step is refused (templates/public/invitation.html).
NOTICES = {
    RegistrationClosed: "closed",
    OfferExpired: "offer_expired",
    ForwardLimitReached: "forward_limit",
}


def lang_args() -> dict[str, Any]:
    """The `lang` query argument to keep in the links of the page, when one was asked for."""
    lang = request.args.get("lang")
    return {"lang": lang} if lang in ("fr", "en") else {}


def offer_lapsed(registration: Standing) -> bool:
    """Whether the seat offered to the person is past its deadline (the sweep will pass it on)."""
    return (
        registration.status is RegistrationStatus.OFFERED
        and registration.offer_expires_at is not None
        and registration.offer_expires_at <= utcnow()
    )


def _answers_said(link: PersonalLink, registration: Standing | None) -> list[tuple[str, str]]:
    # Said back to whoever holds a seat or waits for one (or came): what the organiser reads.
    if registration is None or not registration.status.is_active:
        return []
    return answer_lines(link.event, registration.answers, str(get_locale()))


def invitation_page(
    link: PersonalLink,
    token: str,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    notice: str | None = None,
) -> str:
    """The page of a personal link: the event, the person's state and what they can do."""
    event, registration = link.event, link.registration
    now = utcnow()
    lapsed = registration is not None and offer_lapsed(registration)
    ticket = None
    if registration is not None and registration.status is RegistrationStatus.CONFIRMED:
        code = ticket_code(
            get_settings().signing_keys, event.id, registration.id, registration.ticket_serial
        )
        ticket = {"image": ticket_image(code), "text": spaced(code)}
    return render_template(
        "public/invitation.html",
        answers=_answers_said(link, registration),
        ticket=ticket,
        seats=link.seats,
        waitlist_rank=registration.waitlist_rank if registration else None,
        event=event,
        contact=link.invitee,
        registration=registration,
        status=registration.status.value if registration else None,
        is_open=event.is_open(now),
        has_ended=event.ends_at <= now,
        offer_expired=lapsed,
        token=token,
        errors=errors or {},
        form=form or {},
        notice=notice,
        lang_args=lang_args(),
    )


@public.get("/r/<token>")
def show(token: str) -> tuple[str, int] | str:
    """The event, the person's state and the buttons that apply to it; changes nothing."""
    with get_db().transaction(write=False) as session:
        return invitation_page(open_link(session, get_settings(), token), token)


@public.get("/r/<token>/event.ics")
def calendar(token: str) -> tuple[str, int] | Response:
    """The event as an iCalendar file, for the person's calendar."""
    with get_db().transaction(write=False) as session:
        invitation = find_invitation(session, get_settings(), token)
        body = event_calendar(invitation.event, get_settings())
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="invitation.ics"'
    return response


def personal_page(
    token: str, notice: str | None = None, errors: dict[str, str] | None = None
) -> str:
    """The personal page read afresh once a step's transaction has ended: a notice above the
    buttons, or each field at fault beside what was typed."""
    with get_db().transaction(write=False) as session:
        return invitation_page(
            open_link(session, get_settings(), token),
            token,
            errors=errors,
            form=request.form.to_dict() if errors else None,
            notice=notice,
        )


def refused_page(
    token: str, refusal: DomainError, errors: dict[str, str] | None = None
) -> tuple[str, int]:
    """The page after a refused step (rolled back), with the refusal's notice or fields."""
    if errors is None and isinstance(refusal, Invalid):
        errors = refusal.fields
    return personal_page(token, NOTICES.get(type(refusal)), errors), refusal.status


def show_again(token: str) -> BaseResponse:
    """Back to the personal page (303), which shows where the person stands now."""
    return redirect(url_for("public.show", token=token, **lang_args()), code=303)


def _act(token: str, action: Action) -> BaseResponse | tuple[str, int]:
    try:
        action(token)
    except WrongState:
        pass  # a second click, or another tab: the page shows what is true now
    except LinkRefused:
        raise  # its own page (service.error_pages)
    except DomainError as refusal:
        return refused_page(token, refusal)
    return show_again(token)


def _on_invitation(change: Change) -> Action:
    """The action of a button that makes `change` to the invitation of the link."""

    def act(token: str) -> None:
        with get_db().transaction() as session:
            change(session, find_invitation(session, get_settings(), token), None)

    return act


def _missing_names(link: PersonalLink, typed: dict[str, str]) -> dict[str, str]:
    """The names asked for: those neither typed nor known already (greetings and the sign-in
    sheet need them)."""
    return {
        field: "required"
        for field in NAMES_REQUIRED
        if not typed[field] and not getattr(link.invitee, field)
    }


def _answer_errors(link: PersonalLink, answers: dict[str, str]) -> dict[str, str]:
    try:
        clean_answers(link.event, answers)
    except InvalidAnswers as refusal:
        return refusal.fields
    return {}


def typed_form(link: PersonalLink) -> tuple[dict[str, str], dict[str, str]]:
    """The answers and the changed names of the form posted; InvalidAnswers for a missing name
    (with the answers' faults: every fault at once)."""
    form = request.form
    answers = {key.removeprefix("q_"): value for key, value in form.items() if key.startswith("q_")}
    typed = {field: one_line(form.get(field, ""))[:200] for field in NAME_FIELDS}
    if missing := _missing_names(link, typed):
        raise InvalidAnswers(missing | _answer_errors(link, answers))
    changed = {f: v for f, v in typed.items() if v and v != getattr(link.invitee, f)}
    return answers, changed


def _register(token: str) -> None:
    # The link is read first, in a transaction of its own, so that the write transaction (on
    # SQLite, the database's write lock) holds the writes only. What was read may be out of date
    # by then: the registration service's statements are guarded against that.
    with get_db().transaction(write=False) as session:
        link = open_link(session, get_settings(), token)
    answers, changed = typed_form(link)
    with get_db().transaction() as session:
        services.register(session, link, answers)
        if changed:  # after the seat is decided: rows are locked event first everywhere
            rename(session, link.invitee.contact_id, changed)


@public.post("/r/<token>/register")
def register(token: str) -> BaseResponse | tuple[str, int]:
    """Register: a seat when one is free and nobody waits, else the waitlist."""
    return _act(token, _register)


def _changes(step: Step, status: RegistrationStatus | None) -> bool:
    """Whether `step` would change a registration in `status` (models.STEPS)."""
    after = STEPS[step].get(status)
    return after is not None and after != status


def link_page(template: str, link: PersonalLink, token: str, **context: Any) -> str:
    """A page of the personal link other than the link's own: the event, the person, their
    registration, and what `context` adds."""
    return render_template(
        template,
        event=link.event,
        contact=link.invitee,
        registration=link.registration,
        token=token,
        lang_args=lang_args(),
        **context,
    )


def step_page(token: str, step: Step) -> BaseResponse | str:
    """The page asking for one step, its one button the step's POST; changes nothing."""
    with get_db().transaction(write=False) as session:
        link = open_link(session, get_settings(), token)
        registration = link.registration
        status = registration.status if registration else None
        expired = registration is not None and offer_lapsed(registration)
        if not _changes(step, status) or expired or link.event.cancelled_at is not None:
            return show_again(token)  # nothing to ask: their own page says where they stand
    return link_page(
        "public/step.html",
        link,
        token,
        step=step.value,
        status=status.value if status else None,
        waitlist_rank=registration.waitlist_rank if registration else None,
    )


@public.get("/r/<token>/decline")
def decline_page(token: str) -> BaseResponse | str:
    """ "Je ne pourrai pas venir" from the email: a page where declining is the one action."""
    return step_page(token, Step.DECLINE)


@public.get("/r/<token>/cancel")
def cancel_page(token: str) -> BaseResponse | str:
    """What cancelling means (the seat goes on; coming back means waiting), asked first."""
    return step_page(token, Step.CANCEL)


@public.get("/r/<token>/accept")
def accept_page(token: str) -> BaseResponse | str:
    """ "J'accepte la place" from the email: the deadline in one line above the one button."""
    return step_page(token, Step.ACCEPT)


@public.post("/r/<token>/decline")
def decline(token: str) -> BaseResponse | tuple[str, int]:
    """ "Je ne pourrai pas venir"."""
    return _act(token, _on_invitation(services.decline))


@public.post("/r/<token>/cancel")
def cancel(token: str) -> BaseResponse | tuple[str, int]:
    """Cancel a seat or leave the waitlist."""
    return _act(token, _on_invitation(services.cancel))


@public.post("/r/<token>/accept")
def accept(token: str) -> BaseResponse | tuple[str, int]:
    """Take the seat offered."""
    return _act(token, _on_invitation(services.accept_offer))


@public.post("/r/<token>/release")
def release(token: str) -> BaseResponse | tuple[str, int]:
    """Give the offered seat to the next person."""
    return _act(token, _on_invitation(services.release_offer))


@public.get("/brand/<int:event_id>.css")
def brand(event_id: int) -> Response:
    """The organiser's colour for their event's pages (a stylesheet: the CSP refuses inline
    styles); the page asks for it with its content version, so it may be cached for long."""
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        colour = event.organiser_colour
    css = f":root {{ --accent: {colour}; --accent-dark: {darker(colour)}; }}\n" if colour else ""
    response = make_response(css)
    response.mimetype = "text/css"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@public.get("/brand/<int:event_id>/logo")
def brand_logo(event_id: int) -> Response:
    """The organiser's logo for their event's pages (404 when none); asked for with the event's
    content version, which a new logo raises, so it may be cached for long."""
    with get_db().transaction(write=False) as session:
        data, kind = event_logo(session, event_id)
    response = make_response(data)
    response.mimetype = kind
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"  # an image, never read as a page
    return response


@public.get("/")
def home() -> str:
    """A short page saying what this service is."""
    return render_template("public/home.html")
