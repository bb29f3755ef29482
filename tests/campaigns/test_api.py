"""Campaigns in the JSON API: create, list, show, launch, pause, resume, cancel, test-send."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from service import create_app
from service.campaigns import services
from service.campaigns.models import Campaign, CampaignKind, CampaignState
from service.mail.models import Message
from tests.campaigns.conftest import LISTS, OUTBOX, UNSUBSCRIBED, email, new_campaign
from tests.standins.smtp import SmtpSink

MOVES = ("launch", "pause", "resume", "cancel")


def campaign_row(db, campaign_id: int) -> Campaign:
    with db.transaction(write=False) as session:
        return services.get(session, campaign_id)


def campaign_count(db) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(Campaign)) or 0


def test_openapi_document_describes_every_campaign_route(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    routes = {
        rule.rule.removeprefix("/api/v1").replace("<int:campaign_id>", "{campaign_id}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/campaigns")
    }
    assert len(routes) == 7
    assert routes <= set(document["paths"])
    assert {"CampaignIn", "TestSendIn", "Campaign"} <= set(document["components"]["schemas"])


def test_every_campaign_route_refuses_a_missing_or_unknown_token(client):
    routes = [("get", "/campaigns"), ("post", "/campaigns"), ("get", "/campaigns/1")]
    routes += [("post", f"/campaigns/1/{move}") for move in (*MOVES, "test-send")]
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer nope"}):
            answer = getattr(client, method)(f"/api/v1{path}", headers=headers)
            assert answer.status_code == 401, path


def test_create_reads_a_naive_send_time_in_the_timezone_then_show_and_list(
    client, auth, db, factory, network
):
    event_id, other_event = factory.event(), factory.event(slug="autre")
    body = {
        "event": event_id, "kind": "invitation", "lists": ["CNCRES", "MES"],
        "subject": "Venez", "sender_name": "L'équipe", "send_at": "2030-06-01T09:00", "rate": 60,
    }  # fmt: skip
    created = client.post("/api/v1/campaigns", json=body, headers=auth)
    assert created.status_code == 201
    campaign = created.get_json()
    assert (campaign["state"], campaign["template"], campaign["lists"]) == (
        "draft", "invitation", ["CNCRES", "MES"],
    )  # fmt: skip
    row = campaign_row(db, campaign["id"])
    assert row.send_at == datetime(2030, 6, 1, 7, 0, tzinfo=UTC)  # 09:00 in Paris, summer time
    assert (row.subject, row.sender_name, row.rate_per_minute) == ("Venez", "L'équipe", 60)
    shown = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=auth).get_json()
    assert shown["progress"]["queued"] == shown["progress"]["sent"] == 0
    assert shown["audience_count"] is None
    listed = client.get(f"/api/v1/campaigns?event={event_id}", headers=auth).get_json()
    assert [c["id"] for c in listed] == [campaign["id"]]
    assert client.get(f"/api/v1/campaigns?event={other_event}", headers=auth).get_json() == []
    assert len(client.get("/api/v1/campaigns", headers=auth).get_json()) == 1


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"kind": "newsletter", "rate": 0}, {"kind", "rate"}),
        ({"send_at": "tomorrow", "colour": "blue"}, {"send_at", "colour"}),
        ({"lists": ["CNCRES", "NOPE"]}, {"lists"}),
        ({"lists": []}, {"lists"}),
        ({"event": 999}, {"event"}),
        ({"template": "nothing"}, {"template"}),
        ({"subject": "one\ntwo"}, {"subject"}),  # the API names the very field
    ],
)
def test_bad_bodies_name_their_fields_and_create_nothing(
    client, auth, db, factory, network, change, fields
):
    body = {"event": factory.event(), "kind": "invitation", "lists": list(LISTS), **change}
    answer = client.post("/api/v1/campaigns", json=body, headers=auth)
    assert answer.status_code == 422
    assert {line.split(":")[0] for line in answer.get_json()["errors"]} == fields
    assert campaign_count(db) == 0


def test_a_body_that_is_not_a_json_object_is_refused(client, auth):
    assert client.post("/api/v1/campaigns", data="{", headers=auth).status_code == 400
    assert client.post("/api/v1/campaigns", json=[1], headers=auth).status_code == 400
    answer = client.get("/api/v1/campaigns?event=first", headers=auth)
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == ["event: an event id"]


def test_an_unknown_campaign_is_not_found(client, auth):
    assert client.get("/api/v1/campaigns/999", headers=auth).status_code == 404
    for move in MOVES:
        answer = client.post(f"/api/v1/campaigns/999/{move}", headers=auth)
        assert answer.status_code == 404, move
        assert answer.get_json()["message"] == "no campaign with id 999"
    test = client.post("/api/v1/campaigns/999/test-send", json={"to": "a@b.org"}, headers=auth)
    assert test.status_code == 404


def test_launch_now_hands_the_build_to_a_worker_once(client, auth, db, factory, network):
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION)
    launched = client.post(f"/api/v1/campaigns/{campaign_id}/launch", headers=auth)
    assert launched.status_code == 200
    assert launched.get_json()["state"] == "sending"
    assert campaign_row(db, campaign_id).launched_at is not None
    again = client.post(f"/api/v1/campaigns/{campaign_id}/launch", headers=auth)
    assert again.status_code == 409
    assert "only a draft launches" in again.get_json()["message"]


def test_launch_before_the_send_time_schedules(client, auth, db, factory, network):
    campaign_id = new_campaign(
        db, factory.event(), CampaignKind.INVITATION, send_at=datetime(2030, 6, 1, tzinfo=UTC)
    )
    launched = client.post(f"/api/v1/campaigns/{campaign_id}/launch", headers=auth)
    assert launched.get_json()["state"] == "scheduled"
    assert launched.get_json()["send_at"] == "2030-06-01T00:00:00+00:00"


def test_pause_resume_and_cancel_move_the_state_and_cancel_stops_queued_emails(
    client, auth, db, settings, factory, network
):
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION)
    url = f"/api/v1/campaigns/{campaign_id}"
    assert client.post(f"{url}/pause", headers=auth).status_code == 409  # a draft is not sending
    client.post(f"{url}/launch", headers=auth)
    services.build(db, settings, campaign_id)  # the worker's part
    shown = client.get(url, headers=auth).get_json()
    assert shown["audience_count"] == 20
    assert (shown["progress"]["queued"], shown["progress"]["suppressed"]) == (19, 1)
    paused = client.post(f"{url}/pause", headers=auth)
    assert (paused.status_code, paused.get_json()["state"]) == (200, "paused")
    assert client.post(f"{url}/pause", headers=auth).status_code == 409
    assert client.post(f"{url}/resume", headers=auth).get_json()["state"] == "sending"
    cancelled = client.post(f"{url}/cancel", headers=auth).get_json()
    assert cancelled["state"] == "cancelled"
    assert cancelled["finished_at"] is not None
    progress = client.get(url, headers=auth).get_json()["progress"]
    assert (progress["queued"], progress["cancelled"]) == (0, 19)
    for move in MOVES:
        answer = client.post(f"{url}/{move}", headers=auth)
        assert answer.status_code == 409, move
        assert answer.get_json()["error"] == "conflict"
    assert campaign_row(db, campaign_id).state is CampaignState.CANCELLED


def test_test_send_writes_one_email_and_no_outbox_row(client, auth, db, factory, network):
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION, subject="Essai")
    url = f"/api/v1/campaigns/{campaign_id}/test-send"
    answer = client.post(url, json={"to": email(3)}, headers=auth)
    assert (answer.status_code, answer.get_json()) == (200, {"sent_to": email(3)})
    [path] = OUTBOX.glob("*.eml")
    sent = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert (sent["To"].addresses[0].addr_spec, sent["Subject"]) == (email(3), "Essai")
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert campaign_row(db, campaign_id).state is CampaignState.DRAFT


def test_test_send_names_a_bad_address_and_reports_a_refusal(
    client, auth, db, settings, factory, network
):
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION)
    url = f"/api/v1/campaigns/{campaign_id}/test-send"
    bad = client.post(url, json={"to": "nobody"}, headers=auth)
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0].startswith("to: address: not a single address")
    missing = client.post(url, json={}, headers=auth)
    assert missing.get_json()["errors"] == ["to: Field required"]

    # The organisation's SMTP server refuses the address.
    with SmtpSink() as sink:
        sink.refuse(email(UNSUBSCRIBED), "550 5.1.1 mailbox unavailable")
        smtp_app = create_app(replace(settings, mail_backend="smtp", smtp_url=sink.url))
        try:
            refused = smtp_app.test_client().post(
                url, json={"to": email(UNSUBSCRIBED)}, headers=auth
            )
        finally:
            smtp_app.extensions["convier.db"].dispose()
    assert refused.status_code == 502
    assert refused.get_json()["message"].startswith("not sent (failed): ")
    assert "mailbox unavailable" in refused.get_json()["message"]
    assert sink.count == 0
