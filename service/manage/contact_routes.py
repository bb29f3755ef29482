"""One contact in the back office: its lists, invitations and the emails written to it with their
fate; edit its fields, take it off a list, suppress its address, download everything held about
it or erase it (GDPR articles 15 and 17, through service.privacy as the CLI does). A step that
cannot be undone opens a page that says what will happen and asks to confirm."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from contacts import queries
from contacts.models import Contact, SuppressionReason
from contacts.services import EDITABLE, edit_contact, remove_from_list
from contacts.suppression import suppress
from service.accounts.roles import Can
from service.accounts.web import actor, requires
from service.audit.services import record
from service.errors import Invalid, NotFound
from service.extensions import get_db, get_settings
from service.manage.contact_queries import contact_file
from service.manage.routes import manage
from service.privacy import erase_person, person_record


def _contact_page(contact_id: int, errors: dict[str, str], form: dict[str, str] | None) -> str:
    with get_db().transaction(write=False) as session:
        found = contact_file(session, get_settings(), contact_id)
        values = form or {name: getattr(found.contact, name) for name in EDITABLE}
        return render_template(
            "manage/contact.html", file=found, contact=found.contact, form=values,
            errors=errors, editable=EDITABLE,
        )  # fmt: skip


@manage.get("/contacts/<int:contact_id>")
@requires(Can.SEE_CONTACTS)
def contact(contact_id: int) -> str:
    """The contact's file."""
    return _contact_page(contact_id, {}, None)


@manage.post("/contacts/<int:contact_id>")
@requires(Can.CHANGE_EVENTS)
def edit(contact_id: int) -> tuple[str, int] | Response:
    """Change the contact's names, organisation, role, region, phone or language."""
    form = {name: request.form.get(name, "") for name in EDITABLE}
    try:
        with get_db().transaction() as session:
            changed = edit_contact(session, contact_id, form)
            if changed:
                record(session, actor(), "contact.edited", None, f"contact {contact_id}",
                       fields=sorted(changed))  # fmt: skip
    except Invalid as refused:
        errors = {name: _field_problem(name) for name in refused.fields}
        return _contact_page(contact_id, errors, form), 422
    flash(gettext("Les modifications sont enregistrées.") if changed else
          gettext("Rien n'a changé."))  # fmt: skip
    return redirect(url_for("manage.contact", contact_id=contact_id))


def _field_problem(name: str) -> str:
    if name == "language":
        return gettext("Choisissez le français ou l'anglais.")
    return gettext("Une ligne, pas trop longue.")


@dataclass(frozen=True)
class Step:
    """A step on a contact that asks to be confirmed."""

    take: Callable[[Session, Contact], object]
    action: str  # in the audit log
    title: str
    consequence: str
    done: str
    danger: bool = True


def _suppress(session: Session, found: Contact) -> None:
    suppress(session, get_settings(), found.email, SuppressionReason.MANUAL)


def _erase(session: Session, found: Contact) -> None:
    erase_person(session, get_settings(), found.email)


STEPS = {
    "suppress": Step(
        _suppress,
        "contact.suppressed",
        lazy_gettext("Bloquer cette adresse"),
        lazy_gettext("Plus aucune campagne ne lui écrira, quelle que soit la liste qui "
                     "l'apporte ; ses inscriptions ne changent pas."),
        lazy_gettext("L'adresse est bloquée : plus aucune campagne ne lui écrira."),
    ),
    "erase": Step(
        _erase,
        "contact.erased",
        lazy_gettext("Effacer ses données personnelles"),
        lazy_gettext("Nom, adresse et coordonnées sont effacés, ses listes quittées, ses "
                     "inscriptions à venir annulées (sa place passe à la liste d'attente). Seul "
                     "reste un code qui empêche un import futur de la réinscrire. C'est "
                     "définitif."),
        lazy_gettext("Ses données personnelles sont effacées."),
    ),
}  # fmt: skip


@manage.route("/contacts/<int:contact_id>/<any(suppress, erase):step>", methods=["GET", "POST"])
@requires(Can.CHANGE_EVENTS)
def contact_step(contact_id: int, step: str) -> str | Response:
    """Ask to confirm (GET), then suppress or erase (POST)."""
    chosen = STEPS[step]
    with get_db().transaction(write=request.method == "POST") as session:
        found = session.get(Contact, contact_id)
        if found is None:
            raise NotFound(f"no contact {contact_id}")
        if request.method == "GET":
            return render_template("manage/contact_confirm.html", contact=found, chosen=chosen)
        chosen.take(session, found)
        record(session, actor(), chosen.action, None, f"contact {contact_id}")
    flash(str(chosen.done))
    return redirect(url_for("manage.contact", contact_id=contact_id))


@manage.route("/contacts/<int:contact_id>/lists/<int:list_id>/remove", methods=["GET", "POST"])
@requires(Can.CHANGE_EVENTS)
def remove_member(contact_id: int, list_id: int) -> str | Response:
    """Ask to confirm (GET), then take the contact off the list (POST)."""
    with get_db().transaction(write=request.method == "POST") as session:
        found = session.get(Contact, contact_id)
        mailing_list = queries.get_list(session, list_id)
        if found is None:
            raise NotFound(f"no contact {contact_id}")
        if request.method == "GET":
            return render_template(
                "manage/contact_remove.html", contact=found, mailing_list=mailing_list
            )
        if remove_from_list(session, contact_id, list_id):
            record(session, actor(), "contact.removed_from_list", None, f"contact {contact_id}",
                   list=mailing_list.name)  # fmt: skip
        name = mailing_list.name
    flash(gettext("Le contact n'est plus sur la liste %(list)s.", list=name))
    return redirect(url_for("manage.contact", contact_id=contact_id))


@manage.get("/contacts/<int:contact_id>/export")
@requires(Can.CHANGE_EVENTS)
def export_contact(contact_id: int) -> Response:
    """Everything held about the person, as JSON (GDPR article 15), downloaded."""
    with get_db().transaction(write=False) as session:
        found = session.get(Contact, contact_id)
        if found is None:
            raise NotFound(f"no contact {contact_id}")
        held = person_record(session, get_settings(), found.email)
    body = json.dumps(held, ensure_ascii=False, indent=2)
    return Response(
        body, mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="contact-{contact_id}.json"'},
    )  # fmt: skip
