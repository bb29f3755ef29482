"""What the organiser takes to the door: the attendee list (CSV or XLSX, formula-safe) and a
printable sign-in sheet (feuille d'émargement), people by last name; and the attendees as
contacts, with a column per question (`convier contacts export --event`)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from contacts.exports import CONTACT_COLUMNS, by_name, contact_fields, iso
from contacts.models import Contact
from service.events.models import Event, Question
from service.events.services import get_event
from service.registrations.models import Invitation, Registration
from service.registrations.models import RegistrationStatus as S
from service.registrations.queries import answer_headcounts

ATTENDEE_EXPORT_COLUMNS: tuple[str, ...] = (
    *CONTACT_COLUMNS, "status", "confirmed_at", "attended_at",
)  # fmt: skip
ATTENDING = (S.CONFIRMED, S.ATTENDED)
ANSWER_PREFIX = "q_"
ATTENDEE_FIELDS = ("last_name", "first_name", "organisation", "role", "email", "status",
                   "confirmed_at", "answers")  # fmt: skip
TEMPLATES = Path(str(files("service") / "templates"))
PRINT_CSS = Path(str(files("service") / "static" / "print.css"))


def _attending(session: Session, event_id: int) -> list[tuple[Contact, Registration]]:
    """The people holding a seat (confirmed or already present) with their registration, by
    last then first name (accents and case ignored), then address."""
    found = session.execute(
        select(Contact, Registration)
        .join(Invitation, Invitation.contact_id == Contact.id)
        .join(Registration, Registration.invitation_id == Invitation.id)
        .where(Registration.event_id == event_id, Registration.status.in_(ATTENDING))
    ).all()
    pairs = [(contact, registration) for contact, registration in found]
    return sorted(pairs, key=lambda pair: by_name(contact_fields(pair[0])))


def attendee_rows(session: Session, event_id: int) -> list[dict[str, Any]]:
    """The people holding a seat, by name: who they are, their state and their answers."""
    return [
        {
            "last_name": contact.last_name,
            "first_name": contact.first_name,
            "organisation": contact.organisation,
            "role": contact.role,
            "email": contact.email,
            "status": str(registration.status),
            "confirmed_at": registration.confirmed_at.isoformat()
            if registration.confirmed_at
            else "",
            "answers": "; ".join(f"{k}: {v}" for k, v in sorted(registration.answers.items())),
        }
        for contact, registration in _attending(session, event_id)
    ]


def signin_sheet(
    session: Session, event_id: int, tz: str, stylesheet_url: str | None = None
) -> str:
    """The sign-in sheet as a print-ready HTML page (A4, a signature column, page breaks that
    keep rows whole), and the answers counted at its foot (how many stay for lunch); its styles
    linked from `stylesheet_url` (a page under the CSP), else inlined (a file)."""
    event = session.get(Event, event_id)
    assert event is not None
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(("html",))
    )
    template = environment.get_template("print/signin_sheet.html")
    from zoneinfo import ZoneInfo

    return template.render(
        event=event,
        starts=event.starts_at.astimezone(ZoneInfo(tz)),
        people=attendee_rows(session, event_id),
        headcounts=answer_headcounts(session, event),
        stylesheet_url=stylesheet_url,
        inline_css=None if stylesheet_url else PRINT_CSS.read_text(encoding="utf-8"),
    )


def _answer_cells(registration: Registration, columns: list[str]) -> dict[str, str]:
    """The "q_<key>" cells of a registration: yes/no as oui/non, unanswered empty."""
    answers = registration.answers or {}
    cells = {}
    for column in columns:
        value = answers.get(column.removeprefix(ANSWER_PREFIX))
        if isinstance(value, bool):
            cells[column] = "oui" if value else "non"
        else:
            cells[column] = "" if value is None else str(value)
    return cells


def attendee_export_columns(session: Session, event_id: int) -> list[str]:
    """ATTENDEE_EXPORT_COLUMNS and one "q_<key>" column per question of the event, in the order
    of the form, then any key answered under a question since removed."""
    keys = list(
        session.scalars(
            select(Question.key).where(Question.event_id == event_id).order_by(Question.position)
        )
    )
    answered: set[str] = set()
    for answers in session.scalars(
        select(Registration.answers).where(
            Registration.event_id == event_id, Registration.status.in_(ATTENDING)
        )
    ):
        answered.update(answers or {})
    keys += sorted(answered - set(keys))
    return [*ATTENDEE_EXPORT_COLUMNS, *(ANSWER_PREFIX + key for key in keys)]


def attendee_export_rows(session: Session, event_id: int) -> list[dict[str, Any]]:
    """The people confirmed or marked present at an event, with their answers as "q_<key>"
    columns (yes/no as oui/non, unanswered empty), by name; UnknownEvent for an unknown event.
    attendee_export_columns gives the columns, in order."""
    get_event(session, event_id)
    columns = attendee_export_columns(session, event_id)
    answer_columns = [c for c in columns if c.startswith(ANSWER_PREFIX)]
    return [
        {
            **contact_fields(contact),
            "status": registration.status.value,
            "confirmed_at": iso(registration.confirmed_at),
            "attended_at": iso(registration.attended_at),
            **_answer_cells(registration, answer_columns),
        }
        for contact, registration in _attending(session, event_id)
    ]
