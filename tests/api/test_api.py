"""The JSON API: bearer tokens, events, capacity, invitations, registrations, OpenAPI."""

from __future__ import annotations

import yaml
from openapi_spec_validator import validate
from sqlalchemy import select

from service.demo import DEMO_EVENT
from service.events.models import Question


def event_body(**changes):
    body = yaml.safe_load(DEMO_EVENT.read_text(encoding="utf-8"))
    body.update(date="2030-07-05", **changes)
    return body


def test_openapi_document_is_valid_and_lists_the_routes(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert "/events/{event_id}/invitations" in document["paths"]
    assert "EventIn" in document["components"]["schemas"]


def test_every_route_refuses_a_missing_or_unknown_token(client):
    for method, path in [
        ("get", "/events"),
        ("post", "/events"),
        ("get", "/events/1/registrations"),
    ]:
        assert getattr(client, method)(f"/api/v1{path}").status_code == 401
        assert (
            getattr(client, method)(
                f"/api/v1{path}", headers={"Authorization": "Bearer nope"}
            ).status_code
            == 401
        )


def test_create_invite_register_and_read_counts(client, auth):
    created = client.post("/api/v1/events", json=event_body(capacity=1), headers=auth)
    assert created.status_code == 201
    event_id = created.get_json()["id"]
    assert client.post("/api/v1/events", json=event_body(), headers=auth).status_code == 409
    links = []
    for email in ("a@example.org", "b@example.org"):
        answer = client.post(
            f"/api/v1/events/{event_id}/invitations", json={"email": email}, headers=auth
        )
        assert answer.status_code == 201
        links.append(answer.get_json()["link"].removeprefix("http://127.0.0.1:5000"))
    for link in links:
        page = client.get(link)
        token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
        # Invited by address alone: the page asks for the names (greetings, the sign-in sheet).
        form = {"csrf_token": token, "first_name": "Ada", "last_name": "Lovelace"}
        assert client.post(f"{link}/register", data=form).status_code == 303
    counts = client.get(f"/api/v1/events/{event_id}", headers=auth).get_json()["counts"]
    assert (counts["confirmed"], counts["waitlisted"], counts["seats_free"]) == (1, 1, 0)
    raised = client.put(f"/api/v1/events/{event_id}/capacity", json={"capacity": 2}, headers=auth)
    assert raised.get_json()["counts"]["offered"] == 1
    rows = client.get(f"/api/v1/events/{event_id}/registrations", headers=auth).get_json()
    assert [(r["email"], r["status"]) for r in rows] == [
        ("a@example.org", "confirmed"),
        ("b@example.org", "offered"),
    ]


def test_bad_bodies_name_their_fields(client, auth):
    bad = client.post(
        "/api/v1/events", json=event_body(capacity="many", slug="Bad Slug"), headers=auth
    )
    assert bad.status_code == 422
    assert {e.split(":")[0] for e in bad.get_json()["errors"]} == {"capacity", "slug"}
    assert client.post("/api/v1/events", data="{", headers=auth).status_code == 400
    event_id = client.post("/api/v1/events", json=event_body(), headers=auth).get_json()["id"]
    invalid = client.post(
        f"/api/v1/events/{event_id}/invitations", json={"email": "nobody"}, headers=auth
    )
    assert invalid.status_code == 422
    assert invalid.get_json()["errors"][0].startswith("email:")
    negative = client.put(
        f"/api/v1/events/{event_id}/capacity", json={"capacity": -3}, headers=auth
    )
    assert negative.status_code == 422
    assert client.get("/api/v1/events/999", headers=auth).status_code == 404
    assert client.get("/api/v1/nowhere", headers=auth).get_json()["error"] == "not_found"


def test_refusals_are_rfc_9457_problem_details(client, auth):
    assert client.post("/api/v1/events", json=event_body(), headers=auth).status_code == 201
    duplicate = client.post("/api/v1/events", json=event_body(), headers=auth)
    assert duplicate.status_code == 409
    assert duplicate.mimetype == "application/problem+json"
    assert duplicate.get_json() | {"detail": ""} == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "",
        "error": "duplicate",
        "message": duplicate.get_json()["detail"],
        "errors": [duplicate.get_json()["errors"][0]],
    }
    assert duplicate.get_json()["errors"][0].startswith("slug: an event called")
    missing = client.get("/api/v1/events/999", headers=auth)
    assert (missing.mimetype, missing.get_json()["status"]) == ("application/problem+json", 404)
    assert missing.get_json()["errors"] == ["event: no event with id 999"]


def english_options(db) -> list[str]:
    """The English options stored for the demo's 'choice' question."""
    query = select(Question.choices_en).where(Question.key == "structure_type")
    with db.transaction(write=False) as session:
        return session.scalars(query).one()


def test_english_options_are_accepted_kept_and_checked(db, client, auth):
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schema["QuestionIn"]["properties"]["choices_en"]["type"] == "array"
    event_id = client.post("/api/v1/events", json=event_body(), headers=auth).get_json()["id"]
    demo = ["PTCE", "Local authority", "Network", "Researcher", "Other"]
    assert english_options(db) == demo
    retitled = client.patch(f"/api/v1/events/{event_id}", json={"title": "R"}, headers=auth)
    assert retitled.get_json()["changed"] == ["title"]
    assert english_options(db) == demo
    questions = event_body()["questions"]
    questions[1]["choices_en"] = demo[:3]
    refused = client.patch(
        f"/api/v1/events/{event_id}", json={"questions": questions}, headers=auth
    )
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [
        "questions.1.choices_en: give one English option per French option (5 expected, 3 given)"
    ]
    assert english_options(db) == demo
