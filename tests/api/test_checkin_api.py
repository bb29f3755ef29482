"""The door in the JSON API: the same check-in as the page, once per person."""

from __future__ import annotations

from sqlalchemy import select

from service.registrations import services
from service.registrations.models import Registration
from service.registrations.tickets import registration_ticket
from tests.helpers import act


def test_a_ticket_checked_in_through_the_api_twice_lets_one_in(client, auth, db, factory, settings):
    event_id = factory.event(capacity=2)
    (invitee,) = factory.invitees(event_id, 1)
    act(db, invitee.invitation_id, services.register, {})
    with db.transaction(write=False) as session:
        code = registration_ticket(settings, session.scalar(select(Registration)))
    url = f"/api/v1/events/{event_id}/checkins"
    first = client.post(url, json={"code": code, "device": "appli"}, headers=auth)
    assert (first.status_code, first.json["verdict"]) == (200, "welcome")
    again = client.post(url, json={"code": code, "device": "appli 2"}, headers=auth)
    assert (again.json["verdict"], again.json["attended_by"]) == ("already_in", "appli")
    assert again.json["counts"] == {"inside": 1, "expected": 1}
    bad = client.post(url, json={"code": code}, headers=auth)
    assert bad.status_code == 422
    assert any("device" in line for line in bad.json["errors"])
    listed = client.get(f"/api/v1/events/{event_id}/tickets", headers=auth).json["tickets"]
    assert [(t["code"], t["status"]) for t in listed] == [(code, "attended")]
    assert client.post(url, json={"code": code, "device": "x"}).status_code == 401
