"""The door's routes through HTTP: who may use them, what the page's script sends and reads, and
refusals as problem details naming the field, never a page of HTML or a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.registrations import services
from service.registrations.models import Registration
from service.registrations.models import RegistrationStatus as S
from service.registrations.tickets import registration_ticket
from tests.helpers import act
from tests.manage.clients import csrf_token, sign_in


@pytest.fixture
def door(db, factory, settings, client):
    """An event of 2 seats with one person registered, a door account of this event signed in."""
    event_id = factory.event(capacity=2)
    (invitee,) = factory.invitees(event_id, 1)
    act(db, invitee.invitation_id, services.register, {})
    with db.transaction(write=False) as session:
        registration = session.scalar(select(Registration))
        ticket = registration_ticket(settings, registration)
    sign_in(client, "porte@example.org", factory.user("porte@example.org", "door", (event_id,)))
    token = csrf_token(client, f"/manage/events/{event_id}/checkin")
    return {
        "event": event_id,
        "ticket": ticket,
        "registration": registration.id,
        "url": f"/manage/events/{event_id}/checkin",
        "headers": {"X-CSRFToken": token},
    }


def _post(client, door, path: str, body: object):
    return client.post(f"{door['url']}/{path}", json=body, headers=door["headers"])


def test_a_scan_answers_with_the_person_and_the_counters(client, door):
    answer = _post(client, door, "scan", {"code": door["ticket"], "device": "Porte 1"})
    assert answer.status_code == 200
    assert answer.json["verdict"] == "welcome"
    assert answer.json["name"] == "Personne 0"
    assert answer.json["counts"] == {"inside": 1, "expected": 1}
    again = _post(client, door, "scan", {"code": door["ticket"], "device": "Porte 2"})
    assert (again.json["verdict"], again.json["attended_by"]) == ("already_in", "Porte 1")
    assert client.get(f"{door['url']}/counts").json == {"inside": 1, "expected": 1}


def test_the_page_holds_its_csrf_token_and_allows_webassembly_only_here(client, door):
    page = client.get(door["url"])
    assert page.status_code == 200
    assert "'wasm-unsafe-eval'" in page.headers["Content-Security-Policy"]
    elsewhere = client.get(f"{door['url']}/counts")
    assert "wasm" not in elsewhere.headers["Content-Security-Policy"]


def test_a_scan_without_the_csrf_token_changes_nothing(client, door, db):
    answer = client.post(f"{door['url']}/scan", json={"code": door["ticket"], "device": "P"})
    assert answer.status_code == 400
    with db.transaction(write=False) as session:
        assert session.get(Registration, door["registration"]).status is S.CONFIRMED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"device": "Porte 1"}, "code"),
        ({"code": "X", "device": " "}, "device"),
        ([1, 2], "body"),
    ],
)
def test_a_bad_scan_is_refused_naming_the_field(client, door, body, field):
    answer = _post(client, door, "scan", body)
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert any(line.startswith(field) for line in answer.json["errors"]), answer.json


def test_offline_scans_are_synced_in_one_request(client, door, db):
    answer = _post(
        client,
        door,
        "sync",
        {
            "device": "Porte 2",
            "scans": [
                {"code": door["ticket"], "scanned_at": "2026-07-05T14:20:00+02:00"},
                {"code": "pas un billet", "scanned_at": "2026-07-05T14:21:00+02:00"},
            ],
        },
    )
    assert answer.status_code == 200
    verdicts = [(r["verdict"], r["refusal"]) for r in answer.json["results"]]
    assert verdicts == [("welcome", ""), ("refused", "not_a_ticket")]
    assert answer.json["results"][0]["attended_at"] == "2026-07-05T12:20:00+00:00"
    bad = _post(client, door, "sync", {"device": "P", "scans": [{"code": "A", "scanned_at": "x"}]})
    assert bad.status_code == 422
    assert bad.json["errors"] == ["scans[0].scanned_at: not an ISO 8601 moment"]


def test_undo_then_walk_in_until_the_seats_are_gone(client, door):
    _post(client, door, "scan", {"code": door["ticket"], "device": "Porte 1"})
    undone = _post(client, door, "undo", {"registration_id": door["registration"]})
    assert (undone.json["verdict"], undone.json["counts"]["inside"]) == ("undone", 0)
    assert _post(client, door, "undo", {"registration_id": door["registration"]}).status_code == 409
    person = {"email": "sur.place@example.org", "name": "Zoé Sur-Place", "device": "Porte 1"}
    walked_in = _post(client, door, "walk-in", person)
    assert (walked_in.json["verdict"], walked_in.json["counts"]) == (
        "welcome",
        {"inside": 1, "expected": 2},
    )
    full = _post(client, door, "walk-in", {**person, "email": "trop@example.org"})
    assert full.status_code == 409
    assert full.json["errors"] == ["capacity: full"]
    bad = _post(client, door, "walk-in", {**person, "email": "pas une adresse"})
    assert bad.status_code == 422
    assert any(line.startswith("email") for line in bad.json["errors"])


def test_the_ticket_list_and_the_door_list(client, door):
    listed = client.get(f"{door['url']}/tickets")
    assert listed.headers["Cache-Control"] == "no-store"
    (ticket,) = listed.json["tickets"]
    assert (ticket["code"], ticket["status"]) == (door["ticket"], "confirmed")
    printed = client.get(f"{door['url']}/door-list")
    assert printed.status_code == 200
    assert "<td>0</td><td>Personne</td>" in printed.text  # last name, first name, to sign


def test_a_door_account_of_another_event_and_comms_are_refused(client, door, factory, db):
    other = factory.event(slug="une-autre")
    assert client.get(f"/manage/events/{other}/checkin").status_code == 403
    assert client.get(f"/manage/events/{other}/checkin/tickets").status_code == 403
    client.post("/manage/logout", data={"csrf_token": door["headers"]["X-CSRFToken"]})
    sign_in(client, "comms@example.org", factory.user("comms@example.org", "comms"))
    assert client.get(door["url"]).status_code == 403
    token = {"X-CSRFToken": csrf_token(client, f"/manage/events/{door['event']}")}
    answer = client.post(
        f"{door['url']}/scan", json={"code": door["ticket"], "device": "P"}, headers=token
    )
    assert answer.status_code == 403
    with db.transaction(write=False) as session:
        assert session.get(Registration, door["registration"]).status is S.CONFIRMED
