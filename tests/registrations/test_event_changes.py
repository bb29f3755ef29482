"""An organiser changes or cancels an event: the event is rewritten, a new capacity serves the
waitlist, and the people holding or waiting for a seat are emailed when asked and when it
matters to them; every door (CLI, API) goes through the same service."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from click.testing import CliRunner
from icalendar import Calendar
from sqlalchemy import select

from service.audit.models import AuditEntry
from service.cli import main
from service.db import utcnow
from service.events.errors import DuplicateEvent
from service.events.models import Event
from service.events.schemas import EventIn, event_spec
from service.mail.attachments import event_ics
from service.mail.models import Message
from service.registrations import services
from service.registrations.errors import RegistrationClosed
from service.registrations.event_changes import cancel_event, change_event
from service.registrations.models import Invitation, RegistrationStatus
from tests.helpers import act, statuses

S = RegistrationStatus


@pytest.fixture
def event_id(db, factory) -> int:
    """One seat: a confirmed person, one waiting, one who declined."""
    event_id = factory.event(capacity=1)
    confirmed, waiting, declined = factory.invitees(event_id, 3)
    act(db, confirmed.invitation_id, services.register, {})
    act(db, waiting.invitation_id, services.register, {})
    act(db, declined.invitation_id, services.decline)
    return event_id


def edited(db, settings, event_id: int, **changes) -> EventIn:
    with db.transaction(write=False) as session:
        spec = event_spec(session.get(Event, event_id), settings.tz)
    return EventIn.model_validate({**spec, **changes})


def emails(db, template: str) -> list[str]:
    with db.transaction(write=False) as session:
        return list(
            session.scalars(
                select(Invitation.contact_id)
                .join(Message, Message.invitation_id == Invitation.id)
                .where(Message.template == template)
                .order_by(Invitation.contact_id)
            )
        )


def test_a_new_venue_is_told_to_everyone_holding_or_waiting(db, settings, event_id):
    with db.transaction(write=False) as session:
        before = session.get(Event, event_id).content_version
    spec = edited(db, settings, event_id, venue={"name": "Salle B", "address": "1 rue de Paris"})
    with db.transaction() as session:
        change = change_event(session, settings, event_id, spec, "orga@example.org", tell=True)
        assert change.changed == {"venue_name", "venue_address"}
        assert change.emailed == 2
    assert len(emails(db, "event_changed")) == 2  # not the person who declined
    with db.transaction(write=False) as session:
        event = session.get(Event, event_id)
        entry = session.scalars(select(AuditEntry)).one()
        (vevent,) = Calendar.from_ical(event_ics(event, settings).data).walk("VEVENT")
    assert (entry.actor, entry.action) == ("orga@example.org", "event.updated")
    assert entry.details["changed"] == ["venue_address", "venue_name"]
    assert event.content_version > before
    assert vevent["SEQUENCE"] == event.content_version
    assert "Salle B" in str(vevent["LOCATION"])
    assert abs(vevent["DTSTAMP"].dt - utcnow()) < timedelta(minutes=1)


def test_nobody_is_emailed_unless_asked_or_unless_it_matters(db, settings, event_id):
    spec = edited(db, settings, event_id, starts="10:00")
    with db.transaction() as session:
        assert change_event(session, settings, event_id, spec, "cli", tell=False).emailed == 0
    spec = edited(db, settings, event_id, title="Un autre titre")
    with db.transaction() as session:
        change = change_event(session, settings, event_id, spec, "cli", tell=True)
    assert (change.changed, change.emailed) == ({"title"}, 0)
    assert emails(db, "event_changed") == []


def test_more_seats_serve_the_waitlist_and_the_programme_is_replaced(db, settings, event_id):
    programme = [{"starts": "14:30", "title": "Ouverture"}, {"starts": "15:00", "title": "Débat"}]
    spec = edited(db, settings, event_id, capacity=2, programme=programme)
    with db.transaction() as session:
        change = change_event(session, settings, event_id, spec, "cli", tell=False)
    assert change.changed == {"capacity", "programme"}
    assert sorted(statuses(db, event_id).values()) == [S.CONFIRMED, S.DECLINED, S.OFFERED]
    with db.transaction(write=False) as session:
        titles = [item.title for item in session.get(Event, event_id).sessions]
    assert titles == ["Ouverture", "Débat"]


def test_a_slug_taken_by_another_event_is_refused(db, settings, factory, event_id):
    factory.event(slug="prise")
    with pytest.raises(DuplicateEvent), db.transaction() as session:
        change_event(session, settings, event_id, edited(db, settings, event_id, slug="prise"),
                     "cli", tell=False)  # fmt: skip


def test_a_cancelled_event_tells_its_people_and_takes_no_registration(db, factory, event_id):
    late = factory.invitees(event_id, 1, prefix="late")[0]
    with db.transaction() as session:
        assert cancel_event(session, event_id, "cli", tell=True) == 2
    with db.transaction() as session:
        assert cancel_event(session, event_id, "cli", tell=True) == 0  # once
    assert len(emails(db, "event_cancelled")) == 2
    with pytest.raises(RegistrationClosed):
        act(db, late.invitation_id, services.register, {})


def run(*args: str, answer: str | None = None, code: int = 0) -> str:
    result = CliRunner().invoke(main, ["event", *args], input=answer, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_the_cli_exports_updates_asking_first_and_cancels(db, settings, event_id, tmp_path):
    exported = tmp_path / "event.yaml"
    exported.write_text(run("export", str(event_id)).replace("Auditorium", "Salle B"))
    output = run("update", str(event_id), "--file", str(exported), answer="y\n")
    assert "email the 2 people registered?" in output
    assert output.endswith("changed: venue_name; emailed: 2\n")
    output = run("cancel", str(event_id), answer="y\nn\n")
    assert output.endswith("cancelled; emailed: 0\n")
    assert len(emails(db, "event_cancelled")) == 0


def test_the_api_patches_and_cancels(db, client, auth, event_id):
    patch = {"venue": {"name": "Salle B"}, "capacity": 2}
    answer = client.patch(f"/api/v1/events/{event_id}?notify=true", json=patch, headers=auth)
    assert answer.status_code == 200, answer.json
    assert answer.json["changed"] == ["capacity", "venue_name"]
    assert answer.json["emailed"] == 2
    assert answer.json["venue"] == {
        "name": "Salle B",
        "address": "17-21 place Étienne Pernet, 75015 Paris",
    }
    refused = client.patch(f"/api/v1/events/{event_id}", json={"capacity": -1}, headers=auth)
    assert refused.status_code == 422
    assert refused.json["errors"][0].startswith("capacity:")
    cancelled = client.post(f"/api/v1/events/{event_id}/cancel", headers=auth)
    assert cancelled.json == {"cancelled": True, "emailed": 0}
    late = client.patch(f"/api/v1/events/{event_id}", json={"title": "Trop tard"}, headers=auth)
    assert late.status_code == 409
    with db.transaction(write=False) as session:
        actors = set(session.scalars(select(AuditEntry.actor)))
    assert actors == {"api:tests"}


def test_an_event_in_the_past_is_refused_at_creation(db, client, auth):
    spec = event_spec_in_the_past()
    refused = client.post("/api/v1/events", json=spec, headers=auth)
    assert refused.status_code == 422
    assert "date" in refused.json["errors"][0]


def event_spec_in_the_past() -> dict:
    from tests.factories import event_spec as factory_spec

    spec = factory_spec(date=(utcnow() - timedelta(days=1)).date().isoformat())
    return spec.model_dump(mode="json")


def test_the_page_of_a_cancelled_event_says_so_and_offers_nothing(db, factory, client):
    event_id = factory.event()
    person = factory.invitees(event_id, 1)[0]
    act(db, person.invitation_id, services.register, {})
    with db.transaction() as session:
        cancel_event(session, event_id, "cli", tell=False)
    page = unescape(client.get(f"/r/{person.token}").text)
    assert "Cette rencontre est annulée" in page
    assert "Annuler mon inscription" not in page
    assert "votre inscription est confirmée" not in page


def test_the_invitees_page_bears_the_organisers_name(db, factory, client):
    event_id = factory.event(organiser={"name": "Le Labo de l'ESS"})
    person = factory.invitees(event_id, 1)[0]
    page = unescape(client.get(f"/r/{person.token}").text)
    assert '<span class="brand"><span lang="fr">Le Labo de l\'ESS</span></span>' in page
    assert "— Le Labo de l'ESS</title>" in page
