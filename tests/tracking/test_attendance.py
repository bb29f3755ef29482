"""Attendance on a small event whose every figure is known: five people invited through two
lists (person 2 on both), four confirmed over two days in Paris, one declined; three checked in
at the door before the start."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from contacts.models import MailingList
from service.campaigns.models import InvitationList
from service.cli import main
from service.db import utcnow
from service.events.models import Event
from service.registrations import services as registrations
from service.tracking import attendance, dashboard, snapshots
from tests.helpers import act
from tests.manage.clients import sign_in
from tests.manage.test_dashboard_pages import table_rows, tile

PARIS = ZoneInfo("Europe/Paris")
LISTS = {"CNCRES": (0, 1, 2), "RTES": (2, 3, 4)}
CAME = (0, 1, 2)


@dataclass(frozen=True)
class World:
    """The event, its people's invitation ids, its start and the first Paris day of answers."""

    event_id: int
    people: list[int]
    starts_at: datetime
    first_day: date


@pytest.fixture
def world(db, factory) -> World:
    """The event two days ago; nobody checked in yet. Persons 0 and 1 confirmed on the first
    day, person 2 late that evening in UTC (already the next day in Paris), person 3 the next
    day; person 4 declined."""
    event_id = factory.event(date=(utcnow() - timedelta(days=2)).date().isoformat())
    people = [invitee.invitation_id for invitee in factory.invitees(event_id, 5)]
    with db.transaction() as session:
        event = session.get(Event, event_id)
        assert event is not None
        starts_at = event.starts_at
        for name, numbers in LISTS.items():
            mailing_list = MailingList(name=name, network=name)
            session.add(mailing_list)
            session.flush()
            session.add_all(
                InvitationList(invitation_id=people[i], list_id=mailing_list.id) for i in numbers
            )
    day = (starts_at - timedelta(days=5)).date()

    def at(on: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(on, time(hour, minute), UTC)

    act(db, people[0], registrations.register, {}, now=at(day, 10))
    act(db, people[1], registrations.register, {}, now=at(day, 11))
    act(db, people[2], registrations.register, {}, now=at(day, 23, 30))  # 00:30 or 01:30 in Paris
    act(db, people[3], registrations.register, {}, now=at(day + timedelta(days=1), 12))
    act(db, people[4], registrations.decline, now=at(day, 12))
    return World(event_id, people, starts_at, day)


def check_in(db, world: World) -> None:
    """Persons 0, 1 and 2 come, half an hour before the start."""
    for number in CAME:
        act(db, world.people[number], registrations.mark_attended,
            now=world.starts_at - timedelta(minutes=30))  # fmt: skip


def figures(found: attendance.Attendance) -> tuple[object, ...]:
    return (found.name, found.confirmed, found.attended, found.no_shows, found.rate,
            found.no_show_rate)  # fmt: skip


def test_attendance_is_known_once_someone_came_and_no_shows_once_the_event_started(db, world):
    before = world.starts_at - timedelta(hours=1)
    after = world.starts_at + timedelta(minutes=1)
    with db.transaction(write=False) as session:
        event = session.get(Event, world.event_id)
        nobody_yet = attendance.totals(session, event, before)
        nobody_came = attendance.totals(session, event, after)
    assert figures(nobody_yet) == ("total", 4, 0, None, None, None)  # the door is not open
    assert figures(nobody_came) == ("total", 4, 0, 4, 0.0, 1.0)
    check_in(db, world)
    with db.transaction(write=False) as session:
        event = session.get(Event, world.event_id)
        inside = attendance.totals(session, event, before)
        started = attendance.totals(session, event, after)
    assert figures(inside) == ("total", 4, 3, None, 0.75, None)  # the late may still come
    assert figures(started) == ("total", 4, 3, 1, 0.75, 0.25)


def test_attendance_per_list_counts_a_person_on_two_lists_in_each(db, world):
    check_in(db, world)
    with db.transaction(write=False) as session:
        event = session.get(Event, world.event_id)
        per_list = attendance.by_list(session, event, world.starts_at + timedelta(hours=1))
    # RTES: person 2 came, person 3 did not; person 4 declined and held no seat.
    assert [figures(found) for _, found in per_list] == [
        ("CNCRES", 3, 3, 0, 1.0, 0.0),
        ("RTES", 2, 1, 1, 0.5, 0.5),
    ]


def test_attendance_per_registration_day_counts_days_in_paris(db, world):
    check_in(db, world)
    later = world.starts_at + timedelta(hours=1)
    with db.transaction(write=False) as session:
        event = session.get(Event, world.event_id)
        in_paris = attendance.by_day(session, event, later, PARIS)
        in_utc = attendance.by_day(session, event, later, ZoneInfo("UTC"))
    first, second = world.first_day.isoformat(), (world.first_day + timedelta(1)).isoformat()
    assert [figures(found) for found in in_paris] == [
        (first, 2, 2, 0, 1.0, 0.0),
        (second, 2, 1, 1, 0.5, 0.5),  # person 2 (late evening in UTC) and person 3
    ]
    assert [(f.name, f.confirmed) for f in in_utc] == [(first, 3), (second, 1)]


def test_a_check_in_changes_the_version_the_kept_figures_depend_on(db, world):
    with db.transaction(write=False) as session:
        before = snapshots.version(session, world.event_id)
    act(db, world.people[0], registrations.mark_attended)
    with db.transaction(write=False) as session:
        assert snapshots.version(session, world.event_id) != before


def test_the_home_tile_shows_who_is_inside_once_the_door_opens_or_the_event_starts(db, world):
    def shown(now: datetime) -> tuple[int, int] | None:
        with db.transaction(write=False) as session:
            event = session.get(Event, world.event_id)
            found = dashboard.tiles(session, event, now, PARIS).attendance
        return None if found is None else (found.attended, found.confirmed)

    before, after = world.starts_at - timedelta(hours=1), world.starts_at + timedelta(hours=1)
    assert shown(before) is None
    assert shown(after) == (0, 4)
    act(db, world.people[0], registrations.mark_attended, now=before)
    assert shown(before) == (1, 4)


def attendance_total(output: str) -> list[str]:
    """The cells of the attendance table's total (it follows the funnel's)."""
    return [line.split() for line in output.splitlines() if line.strip().startswith("total")][-1]


def test_the_stats_command_shows_attendance_in_total_per_list_and_per_day(db, world):
    check_in(db, world)
    runner = CliRunner()
    event = str(world.event_id)
    table = runner.invoke(main, ["stats", "--event", event])
    assert table.exit_code == 0, table.output
    assert attendance_total(table.output) == ["total", "4", "3", "1", "75%", "25%"]

    as_json = json.loads(runner.invoke(main, ["stats", "--event", event, "--by", "list",
                                              "--format", "json"]).output)  # fmt: skip
    shown = [(row["name"], row["attended"], row["no_show_rate"]) for row in as_json["attendance"]]
    assert shown == [("total", 3, 0.25), ("CNCRES", 3, 0.0), ("RTES", 1, 0.5)]

    as_csv = runner.invoke(main, ["stats", "--event", event, "--by", "day", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.output.removeprefix("\ufeff"))))
    assert [(r["name"], r["invited"], r["confirmed"], r["attended"], r["no_shows"])
            for r in rows] == [
        ("total", "5", "4", "3", "1"),
        (world.first_day.isoformat(), "", "2", "2", "0"),  # a day has no funnel
        ((world.first_day + timedelta(1)).isoformat(), "", "2", "1", "1"),
    ]  # fmt: skip


def test_before_the_event_the_command_says_no_shows_are_not_known(db, factory):
    event_id = factory.event()
    act(db, factory.invitees(event_id, 1)[0].invitation_id, registrations.register, {})
    table = CliRunner().invoke(main, ["stats", "--event", str(event_id)])
    assert "no-shows: not known before the event starts" in table.output
    assert attendance_total(table.output) == ["total", "1", "0", "—", "—", "—"]


@pytest.fixture
def organiser(client, factory):
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    return client


def test_the_statistics_page_and_its_files_show_attendance_once_the_door_opens(
    db, factory, world, organiser
):
    coming = factory.event()
    act(db, factory.invitees(coming, 1, "later")[0].invitation_id, registrations.register, {})
    assert "attendance_lists-table" not in organiser.get(f"/manage/events/{coming}/statistics").text
    check_in(db, world)
    page = organiser.get(f"/manage/events/{world.event_id}/statistics").text
    assert table_rows(page, "attendance_lists") == {
        "CNCRES": ["3", "3", "0", "100 %", "0 %"],
        "RTES": ["2", "1", "1", "50 %", "50 %"],
        "Total (chaque personne une fois)": ["4", "3", "1", "75 %", "25 %"],
    }
    days = table_rows(page, "attendance_days")
    assert days[world.first_day.isoformat()] == ["2", "2", "0", "100 %", "0 %"]
    exported = organiser.get(
        f"/manage/events/{world.event_id}/figures/attendance_days.csv"
    ).data.decode("utf-8-sig")
    assert exported.splitlines()[0] == (
        "Jour d’inscription;Confirmés;Présents;Absents;Taux de présence (%);Taux d’absence (%)"
    )
    assert exported.splitlines()[2].endswith(";2;1;1;50;50")
    home = organiser.get(f"/manage/events/{world.event_id}").text
    assert tile(home, "attendance") == "3 / 4"
