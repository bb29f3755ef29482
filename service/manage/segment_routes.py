"""Segments in the back office: a filter over lists, tags, regions, organisations and where people
stand with an event, built on a form that counts the contacts it keeps as it is filled (htmx),
then saved under a name for campaigns, through contacts.segments as the CLI does."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from contacts.models import MailingList, Segment
from contacts.segments import EventState, SegmentRules, count, save_segment
from service.accounts.roles import Can
from service.accounts.web import actor, requires
from service.audit.services import record
from service.events.models import Event
from service.extensions import get_db
from service.manage.routes import manage
from service.registrations.queries import contact_event_state
from service.text import CONTROLS

TEXT_CRITERIA = ("tags", "regions", "organisations")  # typed, separated by commas


def _rules(form: MultiDict[str, str]) -> SegmentRules:
    """The rules the form describes; ValidationError naming the criterion when they are wrong."""
    criteria: dict[str, Any] = {"lists": form.getlist("lists")}
    for name in TEXT_CRITERIA:
        criteria[name] = [v.strip() for v in form.get(name, "").split(",") if v.strip()]
    criteria["event"] = form.get("event") or None
    criteria["state"] = form.get("state") or None
    return SegmentRules.model_validate(criteria)


def _problems(error: ValidationError) -> dict[str, str]:
    """Each criterion at fault, with what to do, in the page's language."""
    problems = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "state"
        if "needs an event" in item["msg"]:
            problems["event"] = gettext("Choisissez l'événement de cet état.")
        else:
            problems[field] = gettext("Cette valeur n'est pas comprise.")
    return problems


def _page(session: Session, form: MultiDict[str, str], errors: dict[str, str]) -> str:
    segments = session.scalars(select(Segment).order_by(Segment.name)).all()
    try:
        kept: int | None = count(session, _rules(form), contact_event_state)
    except ValidationError:
        kept = None
    return render_template(
        "manage/segments.html", form=form, errors=errors, states=list(EventState), kept=kept,
        lists=session.scalars(select(MailingList.name).order_by(MailingList.name)).all(),
        events=session.execute(select(Event.id, Event.title).order_by(Event.starts_at)).all(),
        segments=[(s, count(session, SegmentRules.model_validate(s.rules), contact_event_state))
                  for s in segments],
    )  # fmt: skip


def _saved_form(segment: Segment) -> MultiDict[str, str]:
    """The form filled with a saved segment's rules."""
    rules = segment.rules
    form = MultiDict([("name", segment.name), *(("lists", n) for n in rules.get("lists", []))])
    for name in TEXT_CRITERIA:
        form[name] = ", ".join(rules.get(name, []))
    form["event"], form["state"] = str(rules.get("event") or ""), rules.get("state", "")
    return form


@manage.get("/segments")
@requires(Can.SEE_CONTACTS)
def segments() -> str:
    """The saved segments with their sizes now, and the form of a new one (or of `?name=`)."""
    with get_db().transaction(write=False) as session:
        saved = session.scalar(select(Segment).where(Segment.name == request.args.get("name")))
        form = _saved_form(saved) if saved is not None else MultiDict()
        return _page(session, form, {})


@manage.get("/segments/count")
@requires(Can.SEE_CONTACTS)
def segment_count() -> str:
    """How many contacts the criteria typed so far keep (the form asks as it is filled)."""
    try:
        rules = _rules(request.args)
    except ValidationError as error:
        return render_template("manage/_segment_count.html", kept=None, errors=_problems(error))
    with get_db().transaction(write=False) as session:
        kept = count(session, rules, contact_event_state)
    return render_template("manage/_segment_count.html", kept=kept, errors={})


@manage.post("/segments")
@requires(Can.CHANGE_EVENTS)
def save_segment_page() -> tuple[str, int] | Response:
    """Save the segment under its name (replacing the one of that name)."""
    name = " ".join(request.form.get("name", "").split())
    errors: dict[str, str] = {}
    if not name or len(name) > 200 or CONTROLS.search(name):
        errors["name"] = gettext("Donnez-lui un nom (une ligne, 200 caractères au plus).")
    try:
        rules = _rules(request.form)
    except ValidationError as error:
        errors.update(_problems(error))
    if errors:
        with get_db().transaction(write=False) as session:
            return _page(session, request.form, errors), 422
    with get_db().transaction() as session:
        save_segment(session, name, rules)
        kept = count(session, rules, contact_event_state)
        record(session, actor(), "segment.saved", rules.event, name, contacts=kept)
    flash(gettext("Le segment « %(name)s » est enregistré : %(count)s contacts.", name=name,
                  count=kept))  # fmt: skip
    return redirect(url_for("manage.segments"))
