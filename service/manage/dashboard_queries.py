"""The figures of an event's communication pages, each table built by name, so that a page and
its export read the same numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import get_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from contacts.models import MailingList
from service.campaigns.models import Campaign
from service.db import utcnow
from service.errors import NotFound
from service.events.models import Event
from service.manage import figures
from service.manage.figures import Column, Figures
from service.tracking import attendance, list_stats, snapshots, stats, timeline
from service.tracking.attendance import Attendance
from service.tracking.list_stats import Lift
from service.tracking.stats import Funnel


def _campaigns(session: Session, event_id: int) -> dict[int, Campaign]:
    found = session.scalars(select(Campaign).where(Campaign.event_id == event_id))
    return {campaign.id: campaign for campaign in found}


def lists_table(session: Session, event: Event, tz: ZoneInfo) -> Figures:
    """The funnel of each list and the total."""
    return figures.by_list(stats.lists_of(session, event.id), stats.totals(session, event.id))


def campaigns_table(session: Session, event: Event, tz: ZoneInfo) -> Figures:
    """The funnel of each campaign."""
    campaigns = _campaigns(session, event.id)
    funnels = stats.campaigns_of(session, event.id)
    return figures.by_campaign([(campaigns[c], funnel) for c, funnel in funnels])


def days_table(session: Session, event: Event, tz: ZoneInfo) -> Figures:
    """Registrations per day with the launches."""
    names = {c.id: figures.campaign_name(c) for c in _campaigns(session, event.id).values()}
    return figures.per_day(timeline.days(session, event.id, tz), names)


def waits_table(session: Session, event: Event, tz: ZoneInfo) -> Figures:
    """The response-time distribution."""
    return figures.waits(timeline.response_times(session, event.id))


def compared_table(session: Session, event: Event, tz: ZoneInfo) -> Figures:
    """Each list's response, follow-up lift and past rates."""
    funnels = stats.lists_of(session, event.id)
    past = list_stats.history(session, event, [list_id for list_id, _ in funnels])
    return figures.lists_compared(funnels, list_stats.lifts(session, event.id), past)


def _attendance_figures(
    name: str, caption: str, first: str, shown: list[Attendance], keys: list[Any]
) -> Figures:
    """Who came of the people holding a confirmed seat, one row each; the counts drawn."""
    columns = [
        Column(first, "label"),
        Column(gettext("Confirmés"), drawn=True),
        Column(gettext("Présents"), drawn=True),
        Column(gettext("Absents")),
        Column(gettext("Taux de présence"), "percent"),
        Column(gettext("Taux d'absence"), "percent"),
    ]
    rows = [[a.name, a.confirmed, a.attended, a.no_shows, a.rate, a.no_show_rate] for a in shown]
    return Figures(name, caption, columns, rows, keys)


def attendance_lists_table(session: Session, event: Event, tz: ZoneInfo) -> Figures:
    """Attendance per list, then each person once."""
    now = utcnow()  # kept a few seconds at most: the start is seen that late
    per_list = attendance.by_list(session, event, now)
    shown = [found for _, found in per_list]
    keys: list[Any] = [list_id for list_id, _ in per_list]
    total = attendance.totals(session, event, now)
    if total.confirmed:
        shown.append(replace(total, name=gettext("Total (chaque personne une fois)")))
        keys.append(None)
    caption = gettext("Présence par liste")
    return _attendance_figures("attendance_lists", caption, gettext("Liste"), shown, keys)


def attendance_days_table(session: Session, event: Event, tz: ZoneInfo) -> Figures:
    """Attendance per day of registration."""
    shown = attendance.by_day(session, event, utcnow(), tz)
    caption = gettext("Présence selon le jour d'inscription")
    return _attendance_figures("attendance_days", caption, gettext("Jour d'inscription"), shown, [])


def _kept(build: Callable[[Session, Event, ZoneInfo], Figures]) -> Callable[..., Figures]:
    """`build`, its table kept a few seconds while the event's figures stand still (snapshots:
    the people watching an event share one count)."""

    def shared(session: Session, event: Event, tz: ZoneInfo) -> Figures:
        name = f"{build.__name__}:{get_locale()}:{tz.key}"  # headers in the page's language
        return snapshots.kept(session, name, event.id, lambda: build(session, event, tz))

    return shared


TABLES: dict[str, Callable[[Session, Event, ZoneInfo], Figures]] = {
    "lists": _kept(lists_table),
    "campaigns": _kept(campaigns_table),
    "days": _kept(days_table),
    "waits": _kept(waits_table),
    "compared": _kept(compared_table),
    "attendance_lists": _kept(attendance_lists_table),
    "attendance_days": _kept(attendance_days_table),
}


@dataclass(frozen=True)
class ListFigures:
    """One list at an event: its funnel, its history, what each follow-up brought."""

    list_id: int
    name: str
    funnel: Funnel
    history: Figures
    lifts: list[tuple[str, Lift]]


def list_figures(session: Session, event: Event, list_id: int) -> ListFigures:
    """One list's figures at the event; NotFound when none of its people was invited to it."""
    name = f"list:{list_id}:{get_locale()}"
    return snapshots.kept(session, name, event.id, lambda: _list_figures(session, event, list_id))


def _list_figures(session: Session, event: Event, list_id: int) -> ListFigures:
    funnel = stats.for_list(session, event.id, list_id)
    if funnel is None:
        raise NotFound(f"no list with id {list_id} at event {event.id}")
    name = session.scalar(select(MailingList.name).where(MailingList.id == list_id)) or ""
    past = list_stats.history(session, event, [list_id]).get(list_id, [])
    campaigns = _campaigns(session, event.id)
    lifts = [
        (figures.campaign_name(campaigns[lift.campaign_id]), lift)
        for lift in list_stats.lifts(session, event.id).get(list_id, [])
    ]
    history = figures.list_history(name, past, (event.title, funnel))
    return ListFigures(list_id, name, funnel, history, lifts)
