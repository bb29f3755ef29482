"""An event's figures in the back office: the live tiles and the attention strip of its home,
the charts of its statistics, its network lists compared, and each table as a file."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, render_template, url_for
from flask_babel import gettext

from service.accounts.roles import Can
from service.accounts.web import requires
from service.db import utcnow
from service.events.services import get_event
from service.extensions import get_db, get_settings
from service.manage import dashboard_queries as queries
from service.manage.routes import SPREADSHEETS, manage, spreadsheet
from service.tracking import attendance, dashboard, report_links


def _files(event_id: int, names: Iterable[str]) -> dict[str, dict[str, str]]:
    """The URLs of each table's files, by table then format."""
    return {
        name: {
            fmt: url_for("manage.figures_export", event_id=event_id, name=name, fmt=fmt)
            for fmt in SPREADSHEETS
        }
        for name in names
    }


@manage.get("/events/<int:event_id>/tiles")
@requires(Can.SEE_STATS)
def event_tiles(event_id: int) -> str:
    """The tiles and the attention strip alone (the event's home asks for them every few
    seconds)."""
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        home = dashboard.home(session, event, utcnow(), get_settings().tz)
    return render_template("manage/_tiles.html", event=event, **home)


STATS_TABLES = ("days", "lists", "campaigns", "waits")
ATTENDANCE_TABLES = ("attendance_lists", "attendance_days")  # once the door opens


@manage.get("/events/<int:event_id>/statistics")
@requires(Can.SEE_STATS)
def event_stats(event_id: int) -> str:
    """The charts of an event with their tables: per day, per list, per campaign, waits, and
    once someone was checked in or the event has started, attendance per list and per day of
    registration."""
    tz = get_settings().tz
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        names: tuple[str, ...] = STATS_TABLES
        if attendance.totals(session, event, utcnow()).begun:  # nothing to tell before
            names += ATTENDANCE_TABLES
        tables = {name: queries.TABLES[name](session, event, tz) for name in names}
    return render_template(
        "manage/event_stats.html", event=event, tables=tables, files=_files(event_id, tables)
    )


@manage.get("/events/<int:event_id>/lists")
@requires(Can.SEE_STATS)
def event_lists(event_id: int) -> str:
    """The network lists of an event compared: response, follow-up lift, past events."""
    tz = get_settings().tz
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        table = queries.TABLES["compared"](session, event, tz)
    files = _files(event_id, [table.name])
    return render_template("manage/event_lists.html", event=event, table=table, files=files)


@manage.get("/events/<int:event_id>/lists/<int:list_id>")
@requires(Can.SEE_STATS)
def event_list(event_id: int, list_id: int) -> str:
    """One network list at an event: its funnel, its figures at past events, its report links."""
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        shown = queries.list_figures(session, event, list_id)
        links = report_links.of_list(session, get_settings(), event_id, list_id)
    files = {
        fmt: url_for("manage.list_export", event_id=event_id, list_id=list_id, fmt=fmt)
        for fmt in SPREADSHEETS
    }
    return render_template(
        "manage/event_list.html",
        event=event, shown=shown, files=files, list_id=list_id, links=links,
    )  # fmt: skip


def _file(table: queries.Figures, slug: str, fmt: str) -> Response:
    return spreadsheet(table.file(fmt), f"{slug}-{gettext('chiffres')}-{table.name}", fmt)


TABLE_NAMES = "any(days, lists, campaigns, waits, compared, attendance_lists, attendance_days)"


@manage.get(f"/events/<int:event_id>/figures/<{TABLE_NAMES}:name>.<any(csv, xlsx):fmt>")
@requires(Can.EXPORT)
def figures_export(event_id: int, name: str, fmt: str) -> Response:
    """One table of figures as a file for a spreadsheet."""
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        table = queries.TABLES[name](session, event, get_settings().tz)
    return _file(table, event.slug, fmt)


@manage.get("/events/<int:event_id>/lists/<int:list_id>.<any(csv, xlsx):fmt>")
@requires(Can.EXPORT)
def list_export(event_id: int, list_id: int, fmt: str) -> Response:
    """One list's figures from event to event, as a file."""
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        table = queries.list_figures(session, event, list_id).history
    return _file(table, event.slug, fmt)
