"""Creating, changing and cancelling an event from the back office, through the same services
as `convier event create|update|cancel` and the API."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from service.accounts.roles import Can
from service.accounts.web import actor, requires
from service.audit.services import record
from service.errors import Conflict, Invalid
from service.events.errors import DuplicateEvent
from service.events.logos import remove_logo, set_logo
from service.events.models import Event
from service.events.schemas import EventIn, event_spec
from service.events.services import create_event, get_event
from service.extensions import get_db, get_settings
from service.inputs import takes_list_files
from service.manage.event_form import apply_operation, blank_description, read_form, validate
from service.manage.logo_field import LogoChoice, read_logo
from service.manage.routes import manage
from service.registrations.event_changes import (
    cancel_event,
    change_event,
    concerned,
    would_notice,
)

# The names the error summary gives the fields, by the last part of their path.
LABELS = {
    "title": lazy_gettext("Titre"), "date": lazy_gettext("Date"), "starts": lazy_gettext("Début"),
    "ends": lazy_gettext("Fin"), "capacity": lazy_gettext("Nombre de places"),
    "address": lazy_gettext("Adresse"), "name": lazy_gettext("Nom"),
    "label": lazy_gettext("Question"), "slug": lazy_gettext("Identifiant court"),
    "email": lazy_gettext("Adresse email"), "choices": lazy_gettext("Choix proposés"),
    "choices_en": lazy_gettext("Options en anglais"),
    "logo": lazy_gettext("Logo de l'organisateur"),
}  # fmt: skip


def _form_page(
    description: dict[str, Any],
    errors: dict[str, str],
    event: Event | None = None,
    ask_notify: int = 0,
    logo: LogoChoice | None = None,
) -> tuple[str, int]:
    logo = logo or LogoChoice()
    if logo.error:
        errors = {**errors, "logo": logo.error}
    page = render_template(
        "manage/event_form.html", description=description, errors=errors, event=event,
        labels={key: str(label) for key, label in LABELS.items()}, ask_notify=ask_notify,
        logo=logo,
    )  # fmt: skip
    return page, 422 if errors else 200


def _save_logo(session: Session, event_id: int, logo: LogoChoice) -> None:
    """In the transaction that saves the rest of the form: the new logo, or its removal."""
    if logo.remove:
        remove_logo(session, event_id, actor())
    elif logo.data is not None:
        set_logo(session, event_id, logo.data, actor())


def _refusal(refusal: Invalid | Conflict) -> dict[str, str]:
    if isinstance(refusal, DuplicateEvent):
        return {"slug": gettext("Un autre événement porte déjà cet identifiant.")}
    if "date" in refusal.fields:
        return {"date": gettext("Cette date est passée.")}
    return {"form": gettext("L'événement est annulé : il ne peut plus être modifié.")}


# A photo too large for a logo reaches the form, which says so beside the field and keeps what
# was typed, rather than an error page (413) that loses it all: the limit of uploaded files.
@manage.route("/events/new", methods=["GET", "POST"])
@requires(Can.CHANGE_EVENTS)
@takes_list_files
def new_event() -> tuple[str, int] | Response:
    """The form of a new event; saved, it opens the event's page."""
    if request.method == "GET":
        return _form_page(blank_description(), {})
    description, logo = read_form(request.form), read_logo(request.form, request.files)
    if apply_operation(description, request.form.get("op", "")):
        return _form_page(description, {}, logo=logo)
    spec, errors = validate(description)
    if spec is None or logo.error:
        return _form_page(description, errors, logo=logo)
    try:
        with get_db().transaction() as session:
            event = create_event(session, spec, get_settings().tz)
            record(session, actor(), "event.created", event.id, event.title)
            event_id = event.id
            _save_logo(session, event_id, logo)
    except (Invalid, Conflict) as refusal:
        return _form_page(description, _refusal(refusal), logo=logo)
    flash(gettext("L'événement est créé."))
    return redirect(url_for("manage.event", event_id=event_id))


@manage.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@requires(Can.CHANGE_EVENTS)
@takes_list_files
def edit_event(event_id: int) -> tuple[str, int] | Response:
    """The event's form; when the date, times or venue change, asks whether to email the people
    concerned before saving."""
    settings = get_settings()
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        if request.method == "GET":
            return _form_page(event_spec(event, settings.tz), {}, event)
        description, logo = read_form(request.form), read_logo(request.form, request.files)
        if apply_operation(description, request.form.get("op", "")):
            return _form_page(description, {}, event, logo=logo)
        spec, errors = validate(description)
        if spec is None or logo.error:
            return _form_page(description, errors, event, logo=logo)
        people = would_notice(session, settings, event_id, spec)
    answer = request.form.get("notify")
    if people and answer not in ("yes", "no"):
        return _form_page(description, {}, event, ask_notify=people, logo=logo)
    return _save(event, spec, description, answer == "yes", logo)


def _save(
    event: Event, spec: EventIn, description: dict[str, Any], tell: bool, logo: LogoChoice
) -> Any:
    try:
        with get_db().transaction() as session:
            change = change_event(session, get_settings(), event.id, spec, actor(), tell)
            _save_logo(session, event.id, logo)
    except (Invalid, Conflict) as refusal:
        return _form_page(description, _refusal(refusal), event, logo=logo)
    if change.emailed:
        flash(gettext("Modifications enregistrées ; %(n)s personnes prévenues.", n=change.emailed))
    else:
        flash(gettext("Modifications enregistrées."))
    return redirect(url_for("manage.event", event_id=event.id))


@manage.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@requires(Can.CHANGE_EVENTS)
def call_off(event_id: int) -> str | Response:
    """Ask to confirm, and whether to tell the people concerned; then call the event off."""
    if request.method == "POST":
        tell = request.form.get("notify") == "yes"
        with get_db().transaction() as session:
            emailed = cancel_event(session, event_id, actor(), tell)
        flash(gettext("L'événement est annulé ; %(n)s personnes prévenues.", n=emailed))
        return redirect(url_for("manage.event", event_id=event_id))
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        people = len(concerned(session, event_id))
        return render_template("manage/cancel_event.html", event=event, people=people)
