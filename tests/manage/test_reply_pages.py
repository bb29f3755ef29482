"""The replies inbox in the back office: an event's people's replies, the automatic ones and the
delivery reports in tabs of their own, filtered by network list; parameters not understood named;
htmx given the replies alone; marking handled and back (organisers and comms, never the door),
answered with the reply again under htmx; the replies as CSV and XLSX."""

from __future__ import annotations

import csv
import io
from html import unescape

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from service.audit.models import AuditEntry
from service.registrations.models import Invitation
from service.tracking.models import Reply
from tests.manage.clients import csrf_token, sign_in
from tests.tracking.test_inbox import CLAIRE, Mailbox, make_mailbox

HTMX = {"HX-Request": "true"}


@pytest.fixture
def mailbox(db, factory) -> Mailbox:
    return make_mailbox(db, factory)


def signed_in(client, factory, role: str, events: tuple[int, ...] = ()):
    email = f"{role}@example.org"
    sign_in(client, email, factory.user(email, role, events))
    return client


def handled(db, reply_id: int) -> bool:
    with db.transaction(write=False) as session:
        return session.get(Reply, reply_id).handled


def test_the_inbox_shows_the_people_s_replies_to_an_event(db, factory, client, mailbox):
    signed_in(client, factory, "comms")
    page = unescape(client.get(f"/manage/replies?event={mailbox.event_id}").text)
    assert 'aria-current="page">Réponses</a>' in page  # the nav's entry
    for sender in ("ana@", "mailer-daemon@", "autre@", "inconnu@"):  # other kinds, events
        assert sender not in page
    assert page.index("paul@example.org") < page.index("claire@example.org")  # oldest first
    assert 'aria-current="page">Réponses des personnes <span class="count">(2)</span>' in page
    assert 'Réponses automatiques <span class="count">(1)</span>' in page
    assert "À traiter\u00a0: 2 — traitées\u00a0: 0" in page
    claire = page.split(f'id="reply-{mailbox.replies["claire"]}"')[1].split("</li>")[0]
    assert "1 juil. 2026, 10h10" in claire  # received at 8h10 UTC, shown in Paris
    with db.transaction(write=False) as session:
        contact_id = session.get(Invitation, mailbox.invitations[0]).contact_id
    assert f'<a href="/manage/contacts/{contact_id}">Personne 0</a>' in claire
    assert f'<a href="/manage/events/{mailbox.event_id}">Rencontre nationale des PTCE</a>' in claire
    assert 'href="mailto:claire@example.org?subject=Re%3A%20Invitation"' in claire
    preview = claire.split('<p class="preview">')[1].split("</p>")[0]
    assert "Elle suit le pôle emploi." in preview
    assert "Bien à vous" not in preview  # the rest, inside <details>
    assert "<summary>Lire tout le message</summary>" in claire
    assert CLAIRE in claire
    paul = page.split(f'id="reply-{mailbox.replies["paul"]}"')[1].split("</li>")[0]
    assert 'subject=Re%3A%20Question%20%26%20acc%C3%A8s"' in paul
    assert "<details" not in paul  # two lines: all of it shows


def test_automatic_replies_and_delivery_reports_have_their_own_tabs(db, factory, client, mailbox):
    signed_in(client, factory, "organiser")
    automatic = unescape(
        client.get(f"/manage/replies?event={mailbox.event_id}&kind=automatic").text
    )
    assert "ana@example.org" in automatic
    assert "claire@example.org" not in automatic
    assert 'aria-current="page">Réponses automatiques' in automatic
    reports = unescape(client.get(f"/manage/replies?event={mailbox.event_id}&kind=bounce").text)
    assert "mailer-daemon@example.org" in reports
    assert "ana@example.org" not in reports
    everyone = unescape(client.get("/manage/replies").text)  # every event, and the unmatched
    assert "inconnu@example.org" in everyone
    assert "invitation non retrouvée" in everyone


def test_the_inbox_is_filtered_by_network_list(db, factory, client, mailbox):
    signed_in(client, factory, "comms")
    page = unescape(client.get(f"/manage/replies?list={mailbox.coorace}").text)
    assert "paul@example.org" in page
    assert "claire@example.org" not in page
    assert f'<option value="{mailbox.coorace}" selected>COORACE</option>' in page
    assert 'Réponses automatiques <span class="count">(1)</span>' in page


def test_parameters_not_understood_are_named_and_ignored(db, factory, client, mailbox):
    signed_in(client, factory, "comms")
    answer = client.get(
        "/manage/replies?event=abc&list=999&kind=spam&state=done&order=up&page=zero"
    )
    assert answer.status_code == 200
    page = unescape(answer.text)
    for problem in (
        "Événement inconnu (paramètre event)\u00a0: abc",
        "Liste inconnue (paramètre list)\u00a0: 999",
        "Sorte de réponse inconnue (paramètre kind)\u00a0: spam",
        "État inconnu (paramètre state)\u00a0: done",
        "Ordre inconnu (paramètre order)\u00a0: up",
        "Page inconnue (paramètre page)\u00a0: zero",
    ):  # fmt: skip
        assert problem in page
    assert "claire@example.org" in page  # the inbox as if they had not been given
    for url in ("/manage/replies?event=99999999999999999999", "/manage/replies?page=" + "9" * 5000,
                "/manage/replies?event=%C2%B2", "/manage/replies?page=7"):  # fmt: skip
        assert client.get(url).status_code == 200, url
    refused = client.get("/manage/replies.csv?state=done")
    assert refused.status_code == 400
    assert "État inconnu (paramètre state)\u00a0: done" in unescape(refused.text)


def test_htmx_gets_the_replies_alone(db, factory, client, mailbox):
    signed_in(client, factory, "comms")
    answer = client.get(f"/manage/replies?event={mailbox.other_event_id}", headers=HTMX)
    assert "<html" not in answer.text
    assert 'id="reply-tabs"' in answer.text
    assert "autre@example.org" in answer.text
    assert "claire@example.org" not in answer.text


def test_an_organiser_marks_a_reply_handled_then_reopens_it(db, factory, client, mailbox):
    signed_in(client, factory, "organiser")
    claire, event_id = mailbox.replies["claire"], mailbox.event_id
    token = csrf_token(client, "/manage/replies")
    url = f"/manage/replies/{claire}/handled"
    answer = client.post(url, data={"csrf_token": token, "handled": "1", "event": event_id})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/manage/replies?event={event_id}#reply-{claire}"
    assert handled(db, claire)
    page = unescape(client.get(f"/manage/replies?event={event_id}").text)
    assert f"La réponse n° {claire} est marquée comme traitée." in page
    assert f'id="reply-{claire}"' not in page  # no longer to handle
    assert "À traiter\u00a0: 1 — traitées\u00a0: 1" in page
    done = unescape(client.get(f"/manage/replies?event={event_id}&state=handled").text)
    assert f'id="reply-{claire}"' in done

    form = {"csrf_token": token, "handled": "0", "event": event_id, "state": "handled"}
    row = client.post(url, data=form, headers=HTMX)
    assert row.status_code == 200
    assert not handled(db, claire)
    text = unescape(row.text)
    assert "<html" not in text
    assert text.lstrip().startswith(f'<li id="reply-{claire}" class="reply">')
    assert "Marquer comme traitée" in text
    assert '<input type="hidden" name="state" value="handled">' in text  # its filters kept
    assert 'id="reply-tabs" class="switch tabs"' in text
    assert 'hx-swap-oob="true"' in text
    assert '<p id="inbox-count" role="status" hx-swap-oob="innerHTML">' in text
    assert 'Réponses des personnes <span class="count">(0)</span>' in text  # handled ones
    assert "À traiter\u00a0: 2 — traitées\u00a0: 0" in text
    with db.transaction(write=False) as session:
        entries = session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.subject)
            .where(AuditEntry.action.startswith("reply."))
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(entry) for entry in entries] == [
        ("organiser@example.org", "reply.handled", f"reply {claire}"),
        ("organiser@example.org", "reply.reopened", f"reply {claire}"),
    ]
    history = unescape(client.get(f"/manage/events/{event_id}").text)
    assert f"réponse marquée comme traitée — reply {claire}" in history
    assert client.post(url, data={"csrf_token": token, "handled": "yes"}).status_code == 422
    missing = client.post("/manage/replies/999999/handled", data={**form, "handled": "1"})
    assert missing.status_code == 404


def test_comms_may_answer_replies_and_the_door_may_not(db, factory, client, app, mailbox):
    claire = mailbox.replies["claire"]
    signed_in(client, factory, "comms")
    token = csrf_token(client, "/manage/replies")
    answer = client.post(f"/manage/replies/{claire}/handled",
                         data={"csrf_token": token, "handled": "1"}, headers=HTMX)  # fmt: skip
    assert answer.status_code == 200
    assert "Rouvrir" in answer.text
    assert handled(db, claire)

    door = app.test_client()
    signed_in(door, factory, "door", (mailbox.event_id,))
    assert ">Réponses</a>" not in door.get("/manage/").text
    assert door.get(f"/manage/replies?event={mailbox.event_id}").status_code == 403
    assert door.get("/manage/replies.csv").status_code == 403
    token = csrf_token(door, "/manage/")
    refused = door.post(f"/manage/replies/{claire}/handled", data={"csrf_token": token,
                                                                   "handled": "0"})  # fmt: skip
    assert refused.status_code == 403
    assert handled(db, claire)


def test_the_exports_hold_the_replies_the_inbox_shows(db, factory, client, mailbox):
    signed_in(client, factory, "comms")
    page = unescape(client.get(f"/manage/replies?event={mailbox.event_id}").text)
    assert f'href="/manage/replies.csv?event={mailbox.event_id}"' in page
    answer = client.get(f"/manage/replies.csv?event={mailbox.event_id}")
    assert answer.mimetype == "text/csv"
    assert 'filename="reponses.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["N°", "Reçue le", "Sorte", "État", "De", "Objet", "Personne invitée",
                       "Organisation", "Événement", "Texte"]  # fmt: skip
    assert [row[4] for row in rows[1:]] == ["paul@example.org", "claire@example.org"]
    assert rows[2] == [
        str(mailbox.replies["claire"]), "2026-07-01 10:10", "réponse d’une personne", "à traiter",
        "claire@example.org", "Re: Invitation", "Personne 0", "", "Rencontre nationale des PTCE",
        CLAIRE,
    ]  # fmt: skip
    workbook = client.get(f"/manage/replies.xlsx?event={mailbox.event_id}&kind=bounce")
    sheet = load_workbook(io.BytesIO(workbook.data), read_only=True).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(cells) == 2
    assert cells[1][2:6] == ["avis de non-remise", "à traiter", "mailer-daemon@example.org",
                             "Undelivered Mail"]  # fmt: skip
