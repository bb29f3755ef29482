"""The personal page shows the ticket of a confirmed seat, and no ticket otherwise."""

from __future__ import annotations

from sqlalchemy import select

from service.registrations import services
from service.registrations.models import Registration
from service.registrations.tickets import registration_ticket, spaced
from tests.helpers import act


def test_a_confirmed_person_sees_their_ticket_and_a_waiting_one_none(db, factory, settings, client):
    event_id = factory.event(capacity=1)
    seated, waiting = factory.invitees(event_id, 2)
    for invitee in (seated, waiting):
        act(db, invitee.invitation_id, services.register, {})
    with db.transaction(write=False) as session:
        registration = session.scalar(
            select(Registration).where(Registration.invitation_id == seated.invitation_id)
        )
        code = registration_ticket(settings, registration)
    page = client.get(f"/r/{seated.token}").text
    assert spaced(code) in page
    assert 'src="data:image/svg+xml' in page
    other = client.get(f"/r/{waiting.token}").text
    assert "data:image/svg+xml" not in other
    assert spaced(code)[:9] not in other
