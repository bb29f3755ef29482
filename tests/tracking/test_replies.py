"""Replies through SendGrid's Inbound Parse (raw mode): matched to their invitation by the reply
address, and told apart: a person, an Outlook or Gmail out-of-office, a delivery report."""

from __future__ import annotations

import base64
import os
from dataclasses import replace

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from service import create_app
from service.cli import main
from service.registrations.models import Invitation
from service.tracking.models import Reply, ReplyKind

SECRET = "inbound-secret-0123456789"
DOMAIN = "reply.example.org"

HUMAN = """From: Claire Martin <claire@example.org>
To: Le Labo <r+{pid}@reply.example.org>
Subject: Re: Invitation — Rencontre nationale des PTCE
Content-Type: text/plain; charset=utf-8

Bonjour, je viendrai avec une collègue : est-ce possible ?
"""
OUTLOOK_OOF = """From: Paul Durand <paul@example.org>
To: r+{pid}@reply.example.org
Subject: Réponse automatique : Invitation — Rencontre nationale des PTCE
Auto-Submitted: auto-generated
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset=utf-8

Je suis absent du bureau jusqu'au 10 juillet.
"""
GMAIL_VACATION = """From: Ana Lopez <ana@example.org>
To: r+{pid}@reply.example.org
Subject: Congés
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=utf-8

En congés, je lirai votre message à mon retour.
"""
DSN = """From: Mail Delivery Subsystem <MAILER-DAEMON@example.org>
To: r+{pid}@reply.example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

The mail system could not deliver your message.
--b
Content-Type: message/delivery-status

Final-Recipient: rfc822; gone@example.org
Action: failed
Status: 5.1.1
--b--
"""


@pytest.fixture
def inbound(db, settings):
    """A client of the app with the Inbound Parse secret and the reply domain set."""
    app = create_app(replace(settings, sendgrid_inbound_secret=SECRET, reply_domain=DOMAIN))
    yield app.test_client()
    app.extensions["convier.db"].dispose()


def post(client, raw: str, secret: str = SECRET):
    envelope = '{"to": ["r+x@reply.example.org"], "from": "someone@example.org"}'
    return client.post(f"/webhooks/sendgrid/inbound/{secret}",
                       data={"email": raw, "envelope": envelope, "to": "", "from": ""})  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (HUMAN, ReplyKind.HUMAN),
        (OUTLOOK_OOF, ReplyKind.AUTOMATIC),
        (GMAIL_VACATION, ReplyKind.AUTOMATIC),
        (DSN, ReplyKind.BOUNCE),
    ],
)
def test_each_reply_is_matched_and_classified(inbound, db, factory, raw, kind):
    person = factory.invitees(factory.event(), 1)[0]
    with db.transaction(write=False) as session:
        public_id = session.get(Invitation, person.invitation_id).public_id
    answer = post(inbound, raw.format(pid=public_id).replace("\n", "\r\n"))
    assert answer.status_code == 200
    assert answer.get_json()["matched"] is True
    with db.transaction(write=False) as session:
        reply = session.scalars(select(Reply)).one()
    assert (reply.kind, reply.invitation_id) == (kind, person.invitation_id)


def test_organisers_see_human_replies_and_mark_them_handled(inbound, db, factory):
    event_id = factory.event()
    person = factory.invitees(event_id, 1)[0]
    with db.transaction(write=False) as session:
        public_id = session.get(Invitation, person.invitation_id).public_id
    for raw in (HUMAN, OUTLOOK_OOF):
        post(inbound, raw.format(pid=public_id))
    runner = CliRunner()
    listed = runner.invoke(main, ["replies", "--event", str(event_id)])
    assert listed.exit_code == 0, listed.output
    assert "claire@example.org" in listed.output
    assert "paul@example.org" not in listed.output  # an automatic reply is not an answer
    reply_id = listed.output.split("\t")[0]
    assert runner.invoke(main, ["replies", "handle", reply_id]).exit_code == 0
    assert runner.invoke(main, ["replies", "--event", str(event_id)]).output == ""


def test_a_wrong_secret_or_no_message_is_refused(inbound, db):
    assert post(inbound, HUMAN, secret="guess-guess-guess-guess").status_code == 403
    assert inbound.post(f"/webhooks/sendgrid/inbound/{SECRET}", data={}).status_code == 400
    with db.transaction(write=False) as session:
        assert session.scalars(select(Reply)).all() == []


def with_attachment(raw: str, size: int) -> str:
    """The reply with a PDF of `size` bytes attached, base64 as mail clients send it."""
    data = base64.encodebytes(os.urandom(size)).decode()
    head, _, body = raw.partition("Content-Type: text/plain; charset=utf-8\n\n")
    return (
        f'{head}MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="m"\n\n--m\n'
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n--m\nContent-Type: application/pdf"
        f"\nContent-Transfer-Encoding: base64\n\n{data}--m--\n"
    )


def test_a_reply_with_an_ordinary_attachment_is_kept(inbound, db, factory):
    person = factory.invitees(factory.event(), 1)[0]
    with db.transaction(write=False) as session:
        public_id = session.get(Invitation, person.invitation_id).public_id
    raw = with_attachment(HUMAN.format(pid=public_id), 3 * 1024 * 1024)
    answer = post(inbound, raw)
    assert answer.status_code == 200
    assert answer.get_json()["matched"] is True
    with db.transaction(write=False) as session:
        assert "je viendrai avec une collègue" in session.scalars(select(Reply.text)).one()


def test_more_than_sendgrid_sends_is_refused_with_413(inbound, db):
    answer = post(inbound, "x" * (33 * 1024 * 1024))
    assert answer.status_code == 413
    assert answer.get_json()["error"] == "request_entity_too_large"


def test_a_malformed_sender_or_control_characters_are_kept_as_text(inbound, db):
    raw = "From: a@[\r\nTo: r+x@reply.example.org\r\nSubject: Re\x00: hi\r\n\r\nbonjour\x00\r\n"
    answer = post(inbound, raw)
    assert answer.status_code == 200
    with db.transaction(write=False) as session:
        reply = session.scalars(select(Reply)).one()
    assert (reply.sender, reply.subject, reply.text.strip()) == ("a@[]", "Re : hi", "bonjour")
