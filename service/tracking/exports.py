"""What the organiser takes to the door: the attendee list (CSV or XLSX, formula-safe) and a
printable sign-in sheet (feuille d'émargement), people by last name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contacts.models import Contact
from service.events.models import Event
from service.registrations.models import Invitation, Registration
from service.registrations.models import RegistrationStatus as S

ATTENDEE_FIELDS = ("last_name", "first_name", "organisation", "role", "email", "status",
                   "confirmed_at", "answers")  # fmt: skip
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def attendee_rows(session: Session, event_id: int) -> list[dict[str, Any]]:
    """The people holding a seat (confirmed or already present), by last then first name."""
    rows = session.execute(
        select(Contact, Registration)
        .join(Invitation, Invitation.contact_id == Contact.id)
        .join(Registration, Registration.invitation_id == Invitation.id)
        .where(
            Registration.event_id == event_id, Registration.status.in_((S.CONFIRMED, S.ATTENDED))
        )
        .order_by(func.lower(Contact.last_name), func.lower(Contact.first_name), Contact.email)
    ).all()
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
        for contact, registration in rows
    ]


def signin_sheet(session: Session, event_id: int, tz: str) -> str:
    """The sign-in sheet as a print-ready HTML page (A4, a signature column, page breaks that
    keep rows whole)."""
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
    )
