"""Every page of the back office for every role (invariant 10): strangers are sent to sign in,
a role outside the page gets 403, a door account sees its own events only."""

from __future__ import annotations

import pytest

from tests.manage.clients import sign_in


@pytest.fixture
def two_events(factory) -> tuple[int, int]:
    return factory.event(title="Rencontre de la porte"), factory.event(title="Une autre rencontre")


def _as(client, factory, role: str, events: tuple[int, ...] = ()):
    email = f"{role}@example.org"
    sign_in(client, email, factory.user(email, role, events))
    return client


@pytest.mark.parametrize("role", ["admin", "organiser", "comms"])
def test_staff_see_every_event(db, factory, client, two_events, role):
    _as(client, factory, role)
    listing = client.get("/manage/")
    assert listing.status_code == 200
    assert "Rencontre de la porte" in listing.text
    assert "Une autre rencontre" in listing.text
    for event_id in two_events:
        assert client.get(f"/manage/events/{event_id}").status_code == 200


def test_a_door_account_sees_its_events_only(db, factory, client, two_events):
    mine, other = two_events
    _as(client, factory, "door", (mine,))
    listing = client.get("/manage/")
    assert "Rencontre de la porte" in listing.text
    assert "Une autre rencontre" not in listing.text
    assert client.get(f"/manage/events/{mine}").status_code == 200
    refused = client.get(f"/manage/events/{other}")
    assert refused.status_code == 403
    assert "Une autre rencontre" not in refused.text


@pytest.mark.parametrize("path", ["/manage/", "/manage/events/1"])
def test_strangers_are_sent_to_sign_in(db, client, path):
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/manage/login")


def test_an_unknown_event_is_404_for_staff(db, factory, client):
    _as(client, factory, "organiser")
    assert client.get("/manage/events/999999").status_code == 404


def test_the_sign_out_button_shows_only_to_the_signed_in(db, factory, client):
    assert "Se déconnecter" not in client.get("/manage/login").text
    _as(client, factory, "comms")
    assert "Se déconnecter" in client.get("/manage/").text
