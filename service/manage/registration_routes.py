"""The organiser's steps on one person, from an event's page: each opens a page that says what
will happen and asks to confirm (GET changes nothing), then the POST takes the step through the
same services as the CLI. Adding someone (invited, or registered by hand) is a form of its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from service.accounts.roles import Can
from service.accounts.web import actor, requires
from service.errors import Conflict, Invalid, NotFound
from service.events.services import get_event
from service.extensions import get_db, get_settings
from service.manage.queries import person
from service.manage.routes import manage
from service.registrations import organiser
from service.registrations.errors import RegistrationClosed, WrongState
from service.registrations.invitations import SuppressedAddress, invitation_link

Step = Callable[[Session, int, int, str], object]


@dataclass(frozen=True)
class Action:
    """A step on one registration, as the confirmation page asks about it."""

    step: Step
    title: str  # the page's heading and the button
    consequence: str  # what the step does, said before it is taken
    done: str  # said after, with %(name)s
    danger: bool = False


ACTIONS = {
    "cancel": Action(
        organiser.cancel_for,
        lazy_gettext("Annuler l'inscription"),
        lazy_gettext("La personne est prévenue par email ; une place libérée passe à la liste "
                     "d'attente."),
        lazy_gettext("L'inscription de %(name)s est annulée."),
        danger=True,
    ),
    "give-seat": Action(
        organiser.give_seat,
        lazy_gettext("Donner une place maintenant"),
        lazy_gettext("La personne passe devant celles qui attendent avant elle et reçoit un email "
                     "(la place lui est proposée ou confirmée, selon la règle de l'événement)."),
        lazy_gettext("%(name)s a une place."),
    ),
    "move-up": Action(
        organiser.move_up,
        lazy_gettext("Faire passer en tête de la liste d'attente"),
        lazy_gettext("La prochaine place libérée lui reviendra ; l'ordre des autres ne change "
                     "pas."),
        lazy_gettext("%(name)s est en tête de la liste d'attente."),
    ),
    "resend": Action(
        organiser.resend_confirmation,
        lazy_gettext("Renvoyer la confirmation"),
        lazy_gettext("La personne reçoit de nouveau l'email de confirmation, avec l'entrée "
                     "d'agenda."),
        lazy_gettext("La confirmation de %(name)s est renvoyée."),
    ),
}  # fmt: skip


def _refusal_text(refusal: Conflict) -> str:
    if isinstance(refusal, WrongState):
        return gettext("Cette action ne s'applique plus : l'inscription a changé entre-temps.")
    if "capacity" in refusal.fields:
        return gettext("Aucune place n'est libre : augmentez d'abord la capacité de l'événement.")
    return gettext("Cette action n'est pas possible maintenant.")


@manage.route(
    "/events/<int:event_id>/registrations/<int:registration_id>/<action>", methods=["GET", "POST"]
)
@requires(Can.CHANGE_EVENTS)
def registration_action(event_id: int, registration_id: int, action: str) -> str | Response:
    """Ask to confirm the step (GET), then take it (POST) and go back to the event's page."""
    chosen = ACTIONS.get(action)
    if chosen is None:
        abort(404)
    problem = None
    if request.method == "POST":
        try:
            with get_db().transaction() as session:
                chosen.step(session, event_id, registration_id, actor())
                name = person(session, registration_id).name
        except Conflict as refusal:
            problem = _refusal_text(refusal)
        else:
            flash(str(chosen.done) % {"name": name})
            return redirect(url_for("manage.event", event_id=event_id) + "#registrations")
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        line = person(session, registration_id)
        if line.event_id != event_id:
            raise NotFound(f"no registration {registration_id} for event {event_id}")
        page = render_template(
            "manage/confirm.html", event=event, line=line, action=action, chosen=chosen,
            problem=problem,
        )  # fmt: skip
    return page if problem is None else (page, 409)  # type: ignore[return-value]


ADD_CHOICES = ("register", "invite", "invite_send")


def _add_problem(refusal: Invalid | Conflict) -> tuple[str, str]:
    """The field at fault and what to tell the organiser, in the page's language."""
    if isinstance(refusal, RegistrationClosed):
        return "", gettext("Les inscriptions sont fermées pour cet événement.")
    if isinstance(refusal, SuppressedAddress):
        return "email", gettext("Cette adresse s'est désinscrite ou est en erreur : elle ne peut "
                                "plus recevoir d'invitation.")  # fmt: skip
    if "email" in refusal.fields:
        return "email", gettext("Cette adresse email n'est pas valide.")
    return "", gettext("Cette action n'est pas possible maintenant.")


@manage.route("/events/<int:event_id>/people/new", methods=["GET", "POST"])
@requires(Can.CHANGE_EVENTS)
def add_person(event_id: int) -> str | tuple[str, int] | Response:
    """Invite someone (their link shown, emailed if asked) or register them by hand."""
    form = {"email": "", "name": "", "what": "register"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {key: request.form.get(key, default).strip() for key, default in form.items()}
        if form["what"] not in ADD_CHOICES:
            errors["what"] = gettext("Choisissez ce qu'il faut faire.")
        else:
            try:
                return _add(event_id, form)
            except (Invalid, Conflict) as refusal:
                field, message = _add_problem(refusal)
                errors[field or "form"] = message
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        page = render_template("manage/add_person.html", event=event, form=form, errors=errors)
    return (page, 422) if errors else page


def _add(event_id: int, form: dict[str, str]) -> str | Response:
    settings = get_settings()
    with get_db().transaction() as session:
        event = get_event(session, event_id)
        if form["what"] == "register":
            registration = organiser.register_by_hand(
                session, settings, event_id, form["email"], form["name"], actor()
            )
            name = person(session, registration.id).name
        else:
            sent = form["what"] == "invite_send"
            invitation = organiser.invite_one(
                session, settings, event_id, form["email"], form["name"], sent, actor()
            )
            link, address = invitation_link(settings, invitation), invitation.contact.email
    if form["what"] == "register":
        flash(gettext("%(name)s est inscrit·e.", name=name))
        return redirect(url_for("manage.event", event_id=event_id) + "#registrations")
    return render_template(
        "manage/invited.html", event=event, link=link, address=address, sent=sent
    )
