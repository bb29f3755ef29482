"""SendGrid's Event Webhook: the signature checked on the raw bytes, replays and duplicates
refused, events tied to our messages, and suppressions made without anyone acting."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select, update

from contacts.suppression import is_suppressed
from service import create_app
from service.campaigns import services
from service.campaigns.models import CampaignKind
from service.db import utcnow
from service.mail.models import Message
from service.tracking import funnel, stats
from service.tracking.models import ProviderEvent, WebhookBatch
from service.tracking.provider_events import SIGNATURE_HEADER, TIMESTAMP_HEADER, process_batch
from tests.campaigns.conftest import PEOPLE, email, new_campaign
from tests.helpers import published, statements

KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_KEY = base64.b64encode(
    KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()


def signed(body: bytes, at: int | None = None) -> dict[str, str]:
    """The headers SendGrid sends with `body`."""
    timestamp = str(at if at is not None else int(time.time()))
    signature = KEY.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {SIGNATURE_HEADER: base64.b64encode(signature).decode(), TIMESTAMP_HEADER: timestamp}


@pytest.fixture
def webhook(db, settings):
    """A client of the app holding the verification key."""
    app = create_app(replace(settings, sendgrid_webhook_public_key=PUBLIC_KEY))
    yield app.test_client()
    app.extensions["convier.db"].dispose()


@pytest.fixture
def messages(db, settings, factory, network) -> list[int]:
    """An invitation campaign's outbox rows, one per person of the lists."""
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION)
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda *_: None)
    services.build(db, settings, campaign_id)
    with db.transaction(write=False) as session:
        return list(session.scalars(select(Message.id).order_by(Message.contact_id)))


def event(message_id: int, kind: str, number: int, **fields: object) -> dict[str, object]:
    """One event as SendGrid posts it, our message id echoed as a custom arg."""
    return {"email": "x@example.org", "timestamp": 1795600000 + number, "event": kind,
            "sg_event_id": f"ev-{message_id}-{kind}-{number}", "sg_message_id": "sg.1",
            "message_id": str(message_id), **fields}  # fmt: skip


def post(client, events: list[dict[str, object]], **headers: str):
    body = json.dumps(events, indent=1).encode()  # indented: re-serialising would change it
    return client.post(
        "/webhooks/sendgrid/events", data=body, headers={**signed(body), **headers},
        content_type="application/json",
    )  # fmt: skip


def count(db, model) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def read_all(db, settings) -> int:
    with db.transaction(write=False) as session:
        batches = session.scalars(select(WebhookBatch.id)).all()
    return sum(process_batch(db, settings, batch_id) for batch_id in batches)


def test_refused_without_key_with_a_bad_signature_or_a_stale_timestamp(client, webhook, db):
    body = json.dumps([event(1, "delivered", 1)], indent=1).encode()
    url = "/webhooks/sendgrid/events"
    assert client.post(url, data=body, headers=signed(body)).status_code == 403  # no key set
    other = ec.generate_private_key(ec.SECP256R1())
    stamp = str(int(time.time()))
    forged = base64.b64encode(other.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256())))
    bad = {SIGNATURE_HEADER: forged.decode(), TIMESTAMP_HEADER: stamp}
    assert webhook.post(url, data=body, headers=bad).status_code == 403
    stale = webhook.post(url, data=body, headers=signed(body, at=int(time.time()) - 301))
    assert stale.status_code == 403
    assert "300 s" in stale.get_json()["message"]
    # The same events re-serialised (as a framework would) no longer match the signature.
    reserialised = json.dumps(json.loads(body)).encode()
    assert webhook.post(url, data=reserialised, headers=signed(body)).status_code == 403
    assert count(db, WebhookBatch) == 0
    assert webhook.post(url, data=body, headers=signed(body)).status_code == 200
    assert count(db, WebhookBatch) == 1


def test_the_same_event_three_times_is_stored_once(webhook, db, settings, messages):
    delivered = [event(messages[0], "delivered", 1)]
    for _ in range(3):
        assert post(webhook, delivered).status_code == 200
    assert read_all(db, settings) == 1
    assert read_all(db, settings) == 0  # batches already read are not read again
    with db.transaction(write=False) as session:
        stored = session.scalars(select(ProviderEvent)).all()
    assert [(e.message_id, e.event) for e in stored] == [(messages[0], "delivered")]


def test_bounces_spam_reports_and_unsubscribes_suppress_the_address(
    webhook, db, settings, messages
):
    batch = [
        event(messages[1], "bounce", 1, type="bounce", reason="550 5.1.1 no such user"),
        event(messages[2], "bounce", 2, type="blocked", reason="421 try later"),
        event(messages[3], "spamreport", 3),
        event(messages[4], "unsubscribe", 4),
        event(messages[5], "open", 5, sg_machine_open=True),
        event(messages[6], "click", 6, url="https://example.org", useragent="Mimecast/1.0"),
    ]
    assert post(webhook, batch).status_code == 200
    assert read_all(db, settings) == 6
    with db.transaction(write=False) as session:
        suppressed = [is_suppressed(session, settings, email(i)) for i in range(1, 5)]
        machine = dict(session.execute(select(ProviderEvent.event, ProviderEvent.machine)).all())
    assert suppressed == [True, False, True, True]  # a blocked bounce is not permanent
    assert machine["open"] is True
    assert machine["click"] is True
    # The invitations' steps were kept as the batch was read, as a full recount gives them.
    with db.transaction(write=False) as session:
        event_id = session.get(Message, messages[0]).event_id
        live = stats.totals(session, event_id)
    with db.transaction() as session:
        funnel.recompute(session, event_id)
    with db.transaction(write=False) as session:
        assert stats.totals(session, event_id) == live
    assert (live.bounced, live.unsubscribed, live.opened, live.clicked) == (2, 2, 0, 0)


def test_ten_thousand_events_in_batches_of_a_thousand(webhook, db, settings, messages):
    kinds = ("processed", "delivered", "open", "click", "deferred")
    events = [
        event(messages[n % PEOPLE], kinds[n % len(kinds)], n, useragent="Mozilla/5.0")
        for n in range(10_000)
    ]
    for start in range(0, 10_000, 1000):
        assert post(webhook, events[start : start + 1000]).status_code == 200
    assert read_all(db, settings) == 10_000
    assert count(db, ProviderEvent) == 10_000


# Reading a kept batch, whatever its size: load it; the known messages; their send times (the
# scanner clicks' check); the events stored; the suppressions, when a batch has any; the funnel's
# flags (their invitations, then one executemany); the batch marked read. Raised only in a
# commit of its own, with bench/webhooks.py run again.
WEBHOOK_BATCH_BUDGET = 8


def test_reading_a_batch_of_a_thousand_events_stays_within_its_budget(
    webhook, db, settings, messages
):
    kinds = ("processed", "delivered", "open", "click", "bounce")
    events = [event(messages[n % PEOPLE], kinds[n % len(kinds)], n) for n in range(1000)]
    assert post(webhook, events).status_code == 200
    with db.transaction(write=False) as session:
        [batch_id] = session.scalars(select(WebhookBatch.id)).all()

    with published() as tasks, statements(db.engine) as sent:
        assert process_batch(db, settings, batch_id) == 1000

    assert len(sent) <= WEBHOOK_BATCH_BUDGET, sent
    assert tasks == []


@pytest.mark.slow
def test_a_worker_reads_the_batch_the_webhook_kept(webhook, db, messages):
    from tests.servers import celery_worker, wait_for

    with celery_worker(concurrency=1):
        assert (
            post(webhook, [event(m, "delivered", n) for n, m in enumerate(messages)]).status_code
            == 200
        )
        wait_for(lambda: count(db, ProviderEvent) == len(messages), 60, "the worker to read it")
    with db.transaction(write=False) as session:
        batch = session.scalars(select(WebhookBatch)).one()
    assert batch.events == len(messages)
    assert batch.processed_at is not None


def test_events_of_unknown_emails_are_kept_and_the_rest_of_the_batch_is_read(
    webhook, db, settings, messages
):
    # A test send carries no id of ours (or "0" from older versions); others name rows since
    # deleted, or are no number we could hold.
    batch = [
        event(0, "bounce", 1, type="bounce", email="TEST.Send@Example.org"),
        event(999_999, "delivered", 2),
        {**event(1, "open", 3), "message_id": "99999999999999999999"},
        {**event(2, "open", 4), "timestamp": 10**30},  # no time: ignored, the batch goes on
        event(messages[0], "spamreport", 5),
        event(messages[1], "delivered", 6),
    ]
    assert post(webhook, batch).status_code == 200
    assert read_all(db, settings) == 5
    with db.transaction(write=False) as session:
        stored = dict(
            session.execute(select(ProviderEvent.sg_event_id, ProviderEvent.message_id)).all()
        )
        read = session.scalars(select(WebhookBatch.processed_at)).one()
        suppressed = [is_suppressed(session, settings, a) for a in ("test.send@example.org",
                                                                      email(0))]  # fmt: skip
    assert read is not None  # read once, never retried
    assert stored["ev-0-bounce-1"] is None
    assert stored["ev-999999-delivered-2"] is None
    assert stored["ev-1-open-3"] is None
    assert stored[f"ev-{messages[0]}-spamreport-5"] == messages[0]
    assert suppressed == [True, True]  # by the event's own address when no email matches


def test_nul_characters_in_events_are_dropped_not_fatal(webhook, db, settings, messages):
    batch = [event(messages[0], "bounce", 1, type="bounce", reason="550 no\u0000 user")]
    batch[0]["sg_event_id"] = "ev\u0000-1"
    assert post(webhook, batch).status_code == 200
    assert read_all(db, settings) == 1
    with db.transaction(write=False) as session:
        stored = session.scalars(select(ProviderEvent)).one()
    assert (stored.sg_event_id, stored.reason) == ("ev-1", "550 no user")


def test_a_batch_that_fails_for_a_reason_of_its_own_is_not_retried_without_end(
    webhook, db, settings, messages, monkeypatch
):
    from service.tracking import provider_events as webhook_events
    from tasks.tracking import unread_events

    assert post(webhook, [event(messages[0], "delivered", 1)]).status_code == 200
    assert post(webhook, [event(messages[1], "delivered", 2)]).status_code == 200
    with db.transaction() as session:
        first, second = session.scalars(select(WebhookBatch.id).order_by(WebhookBatch.id))
        # Both were received long ago and their tasks were lost.
        session.execute(update(WebhookBatch).values(received_at=utcnow() - timedelta(hours=1)))
    real = webhook_events.process_batch

    def fails_on_the_first(db_, settings_, batch_id):
        if batch_id == first:
            raise KeyError("a fault of ours")
        return real(db_, settings_, batch_id)

    monkeypatch.setattr(webhook_events, "process_batch", fails_on_the_first)
    unread_events()
    unread_events()
    with db.transaction(write=False) as session:
        batches = {b.id: b for b in session.scalars(select(WebhookBatch))}
    assert batches[first].processed_at is not None
    assert "a fault of ours" in batches[first].error
    assert batches[second].events == 1  # the next batch was read all the same
