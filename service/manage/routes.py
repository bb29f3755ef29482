"""The back office's event pages: the list of events with their gauges, and an event's
registrations, waitlist and offers. The table answers htmx's requests with its rows alone."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy.orm import Session

from service.accounts.models import Role
from service.accounts.roles import Can, may_for_event
from service.accounts.web import current_user, requires
from service.audit.services import event_history
from service.db import utcnow
from service.events.services import get_event
from service.extensions import get_db, get_settings
from service.manage import queries
from service.manage.exports import registrations_file
from service.manage.queries import Sort, TableQuery
from service.registrations.models import RegistrationStatus
from service.registrations.queries import answer_headcounts, event_counts
from service.tracking import dashboard, snapshots
from service.tracking.exports import signin_sheet

manage = Blueprint("manage", __name__, url_prefix="/manage")


@manage.get("/")
@requires(Can.SEE_EVENTS)
def events() -> str:
    """Upcoming and past events, each with its seats held and people waiting."""
    user = current_user()
    assert user is not None  # requires() let the request in
    only = user.event_ids if user.role is Role.DOOR else None
    with get_db().transaction(write=False) as session:
        upcoming, past = queries.event_lines(session, utcnow(), only)
    return render_template("manage/events.html", upcoming=upcoming, past=past)


def _table_query() -> tuple[TableQuery, list[str]]:
    """The table's query from the URL, and a message for each parameter that was not understood
    (that parameter is then ignored)."""
    problems: list[str] = []
    args = request.args
    status = list_id = None
    if value := args.get("status", ""):
        try:
            status = RegistrationStatus(value)
        except ValueError:
            problems.append(gettext("État inconnu (paramètre status) : %(value)s", value=value))
    if value := args.get("list", ""):
        if value.isdecimal():
            list_id = int(value)
        else:
            problems.append(gettext("Liste inconnue (paramètre list) : %(value)s", value=value))
    sort = Sort.NAME
    if value := args.get("sort", ""):
        try:
            sort = Sort(value)
        except ValueError:
            problems.append(gettext("Tri inconnu (paramètre sort) : %(value)s", value=value))
    return TableQuery(args.get("q", "")[:200], status, list_id, sort), problems


@manage.get("/events/<int:event_id>/seats")
@requires(Can.SEE_EVENTS)
def seats(event_id: int) -> str:
    """The event's live counters alone (the event's page asks for them every few seconds)."""
    with get_db().transaction(write=False) as session:
        item = get_event(session, event_id)
        counts = event_counts(session, item)
    return render_template(
        "manage/_seats.html", event=item, counts=counts, statuses=list(RegistrationStatus)
    )


@manage.get("/events/<int:event_id>")
@requires(Can.SEE_EVENTS)
def event(event_id: int) -> str:
    """An event: its gauge, counts by state, offers, waitlist and registrations table."""
    asked, problems = _table_query()
    with get_db().transaction(write=False) as session:
        item = get_event(session, event_id)
        lines, total = queries.registration_table(session, event_id, asked)
        context = {
            "table": lines,
            "total": total,
            "asked": asked,
            "problems": problems,
            "limit": queries.TABLE_LIMIT,
            "event": item,
        }
        if request.headers.get("HX-Request") == "true":
            return render_template("manage/_registration_rows.html", **context)
        user = current_user()
        if user is not None and may_for_event(user, Can.SEE_STATS, event_id):
            context.update(dashboard.home(session, item, utcnow(), get_settings().tz))
        return render_template(
            "manage/event.html",
            counts=event_counts(session, item),
            waitlist=queries.waitlist(session, event_id, limit=queries.WAITLIST_SHOWN),
            offers=queries.offers(session, event_id),
            lists=_event_lists(session, event_id),
            history=event_history(session, event_id),
            headcounts=answer_headcounts(session, item),
            statuses=list(RegistrationStatus),
            sorts=list(Sort),
            **context,
        )


def _event_lists(session: Session, event_id: int) -> list[tuple[int, str]]:
    """The event's lists for the filter, read again only once an invitation was attributed."""
    since = snapshots.attributions(session)
    return snapshots.kept(
        session, "event_lists", event_id, lambda: queries.event_lists(session, event_id), since
    )


SPREADSHEETS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def spreadsheet(data: bytes, name: str, fmt: str) -> Response:
    """A CSV or XLSX file, downloaded under `name` (without its extension)."""
    return Response(
        data,
        mimetype=SPREADSHEETS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@manage.get("/events/<int:event_id>/registrations.<any(csv, xlsx):fmt>")
@requires(Can.EXPORT)
def export(event_id: int, fmt: str) -> Response:
    """The registrations the table shows (same search, filters and order), as a file."""
    asked, _ = _table_query()
    settings = get_settings()
    with get_db().transaction(write=False) as session:
        item = get_event(session, event_id)
        data = registrations_file(session, item, asked, settings.tz, fmt)
    return spreadsheet(data, f"{item.slug}-{gettext('inscriptions')}", fmt)


@manage.get("/events/<int:event_id>/sign-in-sheet")
@requires(Can.EXPORT)
def sign_in_sheet(event_id: int) -> str:
    """The sign-in sheet (feuille d'émargement) to print: the people holding a seat, by name."""
    with get_db().transaction(write=False) as session:
        get_event(session, event_id)
        stylesheet = url_for("static", filename="print.css")
        return signin_sheet(session, event_id, get_settings().timezone, stylesheet)
