"""The demo: the 5 July 2017 meeting of Le Labo de l'ESS, a few invitations, and the sample lists
of four partner networks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from importlib.resources import files
from pathlib import Path

import yaml
from sqlalchemy import select

from contacts.imports import import_contacts
from service.config import Settings
from service.db import Database, utcnow
from service.events.models import Event
from service.events.schemas import EventIn
from service.events.services import create_event
from service.registrations.invitations import invitation_link, invite

DEMO_EVENT = Path(str(files("service") / "demo" / "rencontre-ptce-2017.yaml"))
DEMO_INVITEES = (
    ("Claire Martin", "claire.martin@example.org"),
    ("Karim Benali", "karim.benali@example.fr"),
    ("Sophie Lefèvre", "sophie.lefevre@example.net"),
    ("Jean Dupont", "jean.dupont@example.org"),
)


def _next_anniversary(day: date, today: date) -> date:
    moved = day.replace(year=today.year)
    return moved if moved > today else day.replace(year=today.year + 1)


def demo_spec(keep_date: bool, today: date) -> EventIn:
    """The demo event; unless `keep_date`, moved to its next anniversary so that it is open."""
    spec = EventIn.model_validate(yaml.safe_load(DEMO_EVENT.read_text(encoding="utf-8")))
    if not keep_date:
        spec = spec.model_copy(update={"date": _next_anniversary(spec.date, today)})
    return spec


SAMPLE_LISTS = Path(str(files("contacts") / "samples"))
DEMO_LISTS = (
    ("CNCRES", "cncres.csv"),
    ("COORACE", "coorace.xlsx"),
    ("RTES", "rtes.csv"),
    ("MES", "mes.csv"),
)


def load_sample_lists(db: Database, settings: Settings) -> Iterator[str]:
    """Import the four sample network lists; importing them again changes nothing."""
    for name, filename in DEMO_LISTS:
        report = import_contacts(db, settings, SAMPLE_LISTS / filename, name)
        known = report.unchanged + report.updated
        yield (
            f"  list {name:<8} {filename:<13} {report.created} new, {known} known, "
            f"{report.merged_duplicates} duplicates merged, {report.rejected} rows refused"
        )


def load_demo(db: Database, settings: Settings, keep_date: bool = False) -> Iterator[str]:
    """Create the demo event and invitations once; yield lines describing them and their links."""
    today = utcnow().astimezone(settings.tz).date()
    spec = demo_spec(keep_date, today)
    with db.transaction() as session:
        event = session.scalar(select(Event).where(Event.slug == spec.slug))
        if event is None:
            event = create_event(session, spec, settings.tz, allow_past=keep_date)
            yield f"created event {event.id}: {event.title}"
        else:
            yield f"event {event.id} already loaded: {event.title}"
        starts = event.starts_at.astimezone(settings.tz)
        yield f"  {starts:%Y-%m-%d %H:%M}, {event.venue_name}, {event.capacity} seats"
        for name, email in DEMO_INVITEES:
            invitation = invite(session, settings, event.id, email, name)
            yield f"  {name:<16} {invitation_link(settings, invitation)}"
    yield "sample network lists (see contacts/samples/README.md):"
    yield from load_sample_lists(db, settings)
