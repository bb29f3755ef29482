"""Bad input gets a clear 4xx naming what is wrong, never a 500: control characters, ids past what
the database holds, JSON nested without end; organiser text is checked when it is saved."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from contacts.models import Contact
from service.api.services import create_token
from service.cli import main
from service.demo import DEMO_EVENT
from service.events.models import Event
from service.sending.compose import content_for
from service.sending.preview import preview_row

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def event_body(**changes):
    body = yaml.safe_load(DEMO_EVENT.read_text(encoding="utf-8"))
    body.update(date="2030-07-05", **changes)
    return body


def test_a_nul_or_a_line_break_in_a_name_is_refused_by_the_api(client, auth):
    event_id = client.post("/api/v1/events", json=event_body(), headers=auth).get_json()["id"]
    for name in ("Eve\x00", "Eve\nBcc: victim@example.org"):
        answer = client.post(
            f"/api/v1/events/{event_id}/invitations",
            json={"email": "eve@example.org", "name": name},
            headers=auth,
        )
        assert answer.status_code == 422
        assert answer.get_json()["errors"][0].startswith("name: Value error, must be one line")


def test_control_characters_typed_in_the_registration_form_are_removed(db, factory, client):
    person = factory.invitees(factory.event(), 1)[0]
    page = client.get(f"/r/{person.token}").get_data(as_text=True)
    answer = client.post(
        f"/r/{person.token}/register",
        data={
            "csrf_token": CSRF.search(page).group(1),
            "first_name": "Ève\x00",
            "last_name": "Martin\r\nBcc: x@example.org",
            "organisation": "La\tCoopérative",
        },
    )
    assert answer.status_code == 303
    with db.transaction(write=False) as session:
        contact = session.scalar(select(Contact).where(Contact.email == person.email))
        assert (contact.first_name, contact.last_name, contact.organisation) == (
            "Ève",
            "Martin Bcc: x@example.org",
            "La Coopérative",
        )


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_ids_past_what_the_database_holds_are_not_found(client, auth, number):
    for path in (f"/events/{number}", f"/campaigns/{number}", f"/events/{number}/stats"):
        answer = client.get(f"/api/v1{path}", headers=auth)
        assert answer.status_code == 404, path
        assert answer.get_json()["error"] == "not_found"


def test_json_nested_without_end_is_a_400(client, auth):
    deep = "[" * 100_000 + "]" * 100_000
    answer = client.post(
        "/api/v1/events", data=deep, headers={**auth, "Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "bad_json"


def test_event_times_accept_rfc_3339(client, auth):
    created = client.post(
        "/api/v1/events",
        json=event_body(starts="14:30:00+02:00", ends="15:30:00Z", programme=[]),
        headers=auth,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert datetime.fromisoformat(body["starts_at"]) == datetime(2030, 7, 5, 12, 30, tzinfo=UTC)
    assert datetime.fromisoformat(body["ends_at"]) == datetime(2030, 7, 5, 15, 30, tzinfo=UTC)
    mixed = client.post(
        "/api/v1/events",
        json=event_body(slug="autre", starts="14:30", ends="15:30:00Z"),
        headers=auth,
    )
    assert mixed.status_code == 422
    assert mixed.get_json()["errors"][0].startswith("(document): Value error, ends: give")


def test_organiser_text_is_checked_when_the_event_is_saved(client, auth):
    answer = client.post(
        "/api/v1/events",
        json=event_body(organiser={"name": "Le Labo\nBcc: x@example.org"}),
        headers=auth,
    )
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0].startswith("organiser.name: Value error, must be one")


def test_a_description_quoting_a_javascript_link_is_text_and_its_emails_are_built(
    db, client, auth, settings
):
    quoted = 'Ne cliquez jamais sur un lien écrit href="javascript:alert(1)" dans un courriel.'
    answer = client.post("/api/v1/events", json=event_body(description=quoted), headers=auth)
    assert answer.status_code == 201
    with db.transaction(write=False) as session:
        event = session.get(Event, answer.get_json()["id"])
        row = preview_row(session, event, "invitation", None, "fr")
        content = content_for(settings, event, "invitation", row.language, {})
    # Built, not refused: the quoted link is text, shown as such in both parts.
    assert "javascript:alert(1)" in content.text
    assert "javascript:alert(1)" in content.html
    assert not re.search(r"<a [^>]*href=[\"']?javascript", content.html)


def test_api_tokens_are_listed_and_revoked(client, auth, db):
    listed = client.get("/api/v1/tokens", headers=auth).get_json()
    assert [(t["name"], t["revoked_at"]) for t in listed] == [("tests", None)]
    with db.transaction() as session:
        other = create_token(session, "ci")
    other_id = client.get("/api/v1/tokens", headers=auth).get_json()[1]["id"]
    revoked = client.post(f"/api/v1/tokens/{other_id}/revoke", headers=auth)
    assert revoked.status_code == 200
    assert revoked.get_json()["revoked_at"] is not None
    refused = client.get("/api/v1/events", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 401
    assert client.post("/api/v1/tokens/999/revoke", headers=auth).status_code == 404


def test_tokens_are_listed_and_revoked_on_the_command_line(db):
    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "--name", "tableur"])
    assert created.exit_code == 0
    listed = runner.invoke(main, ["token", "list"])
    token_id, name, _, state = listed.output.strip().split("\t")
    assert (name, state) == ("tableur", "live")
    revoked = runner.invoke(main, ["token", "revoke", token_id])
    assert revoked.output.strip() == f"token {token_id} (tableur) revoked"
    assert runner.invoke(main, ["token", "list"]).output.split("\t")[3].startswith("revoked ")
    unknown = runner.invoke(main, ["token", "revoke", "999"])
    assert unknown.exit_code == 1
    assert "no token with id 999" in unknown.output
