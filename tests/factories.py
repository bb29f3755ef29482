"""Factories for test data: events with traits, and invitations with their tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from service.accounts.models import Role
from service.accounts.services import create_user, set_password
from service.config import Settings
from service.db import Base, Database, utcnow
from service.events.schemas import EventIn
from service.events.services import create_event
from service.registrations.invitations import invitation_token, invite


@dataclass(frozen=True)
class Invitee:
    """An invitation made for a test, with the token of its link."""

    invitation_id: int
    email: str
    token: str


def event_spec(**overrides: Any) -> EventIn:
    """An event next month; keyword arguments override any top-level field."""
    day: date = (utcnow() + timedelta(days=30)).date()
    fields: dict[str, Any] = {
        "slug": "rencontre-test",
        "title": "Rencontre de test",
        "date": day.isoformat(),
        "starts": "14:30",
        "ends": "17:30",
        "venue": {"name": "Auditorium", "address": "17-21 place Étienne Pernet, 75015 Paris"},
        "capacity": 10,
        "programme": [
            {
                "starts": "14:30",
                "ends": "15:00",
                "title": "Introduction",
                "speakers": [{"name": "Odile Kirchner", "role": "grand_temoin"}],
            }
        ],
    }
    fields.update(overrides)
    return EventIn.model_validate(fields)


class Factory:
    """Writes test data through the services, as the application would."""

    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings
        self._count = 0

    def event(self, **overrides: Any) -> int:
        """A new event; `capacity=`, `registration={"waitlist_policy": …}`, `questions=[…]`…"""
        self._count += 1
        overrides.setdefault("slug", f"rencontre-test-{self._count}")
        with self.db.transaction() as session:
            spec = event_spec(**overrides)
            # Tests set up events of any date; the doors refuse past ones (tested there).
            return create_event(session, spec, self.settings.tz, allow_past=True).id

    def invitees(self, event_id: int, count: int, prefix: str = "invite") -> list[Invitee]:
        """`count` invitations to the event, in one transaction."""
        result = []
        with self.db.transaction() as session:
            for i in range(count):
                email = f"{prefix}{i:05d}@example.org"
                invitation = invite(session, self.settings, event_id, email, f"Personne {i}")
                result.append(
                    Invitee(invitation.id, email, invitation_token(self.settings, invitation))
                )
        return result

    def user(self, email: str, role: str, events: tuple[int, ...] = ()) -> str:
        """An account with a password set; returns the password."""
        password = f"mot de passe de {email}"
        with self.db.transaction() as session:
            set_password(session, create_user(session, email, Role(role), events), password)
        return password


def empty_database(db: Database) -> None:
    """Delete every row of every table."""
    with db.engine.begin() as connection:
        if db.is_sqlite:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
        else:
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
