"""Invariant 10 over every page of the back office, found in the app's URL map so that a page
added later is covered too: strangers are sent to sign in, a comms account changes nothing
(403 on every POST), a door account reaches nothing of another event."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import service.models  # noqa: F401 - every table on Base.metadata
from contacts import uploads
from contacts.models import Contact, MailingList, Membership
from service.accounts.models import User
from service.campaigns import rules
from service.campaigns import services as campaigns
from service.campaigns.models import CampaignKind
from service.campaigns.services import CampaignSpec
from service.db import Base
from service.registrations import services
from service.registrations.models import Registration
from service.tracking import report_links
from service.tracking.models import Reply, ReplyKind
from tests.helpers import act
from tests.manage.clients import csrf_token, sign_in

LIST_FILE = "Courriel;Prénom\nclaire@example.org;Claire\n".encode()


@pytest.fixture
def world(db, factory) -> dict[str, int]:
    """An event with a confirmed person and one waiting, a draft campaign and the usual rules,
    a report link of a list, a reply to the event, and an admin account."""
    event_id = factory.event(capacity=1)
    people = factory.invitees(event_id, 2)
    for person in people:
        act(db, person.invitation_id, services.register, {})
    factory.user("admin@example.org", "admin")
    with db.transaction() as session:
        registration_id = session.scalar(select(func.min(Registration.id)))
        user_id = session.scalar(select(User.id))
        upload = uploads.upload(session, factory.settings, "CNCRES", "cncres.csv", LIST_FILE)
        contact_id = session.scalar(select(func.min(Contact.id)))
        mailing_list = MailingList(name="CNCRES")
        session.add(mailing_list)
        session.flush()
        session.add(Membership(list_id=mailing_list.id, contact_id=contact_id))
        list_id = mailing_list.id
        spec = CampaignSpec(event_id=event_id, kind=CampaignKind.REMINDER)
        campaign_id = campaigns.create(session, spec).id
        rule_id = rules.add_defaults(session, event_id)[0].id
        report_link, _ = report_links.create(session, factory.settings, event_id, list_id)
        reply = Reply(invitation_id=people[0].invitation_id, kind=ReplyKind.HUMAN, text="Merci")
        session.add(reply)
        session.flush()
    return {
        "event_id": event_id, "registration_id": registration_id, "user_id": user_id,
        "import_id": upload.id, "contact_id": contact_id, "list_id": list_id,
        "campaign_id": campaign_id, "rule_id": rule_id, "link_id": report_link.id,
        "reply_id": reply.id,
    }  # fmt: skip


def manage_rules(app, method: str, world: dict[str, int]) -> list[str]:
    """Every back-office URL answering `method`, its parts filled with the world's ids."""
    values = {"action": "cancel", "fmt": "csv", "step": "erase", "move": "pause", "name": "lists",
              **world}  # fmt: skip
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("manage.") and method in (rule.methods or ()):
            urls.append(rule.build(values, append_unknown=False)[1])
    assert len(urls) >= (10 if method == "GET" else 6), urls
    return sorted(urls)


def row_counts(db) -> dict[str, int]:
    with db.transaction(write=False) as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


def test_strangers_are_sent_to_sign_in_everywhere(db, world, app, client):
    before = row_counts(db)
    token = csrf_token(client, "/manage/login")
    for url in manage_rules(app, "GET", world):
        answer = client.get(url)
        assert answer.status_code == 302, url
        assert answer.headers["Location"].startswith("/manage/login"), url
    for url in manage_rules(app, "POST", world):
        assert client.post(url, data={"csrf_token": token}).status_code == 302, url
    assert row_counts(db) == before


def test_a_comms_account_changes_nothing_anywhere(db, world, app, client, factory):
    sign_in(client, "comms@example.org", factory.user("comms@example.org", "comms"))
    token = csrf_token(client, "/manage/")
    before = row_counts(db)
    # Comms may answer what people wrote back (DESIGN.md, "People and roles"): that one POST
    # is theirs; every other one is refused.
    answer_reply = f"/manage/replies/{world['reply_id']}/handled"
    for url in manage_rules(app, "POST", world):
        if url == answer_reply:
            continue
        form = {"csrf_token": token, "email": "x@example.org", "what": "register", "role": "admin"}
        assert client.post(url, data=form).status_code == 403, url
    assert row_counts(db) == before
    answered = client.post(answer_reply, data={"csrf_token": token, "handled": "1"})
    assert answered.status_code == 302
    with db.transaction(write=False) as session:
        assert session.get(Reply, world["reply_id"]).handled


def test_a_door_account_reaches_nothing_of_another_event(db, world, app, client, factory):
    other = factory.event(title="Une autre")
    sign_in(client, "porte@example.org", factory.user("porte@example.org", "door", (other,)))
    token = csrf_token(client, "/manage/")
    before = row_counts(db)
    for url in manage_rules(app, "GET", world):
        if url != "/manage/":  # the list of its own events: every other page is refused
            assert client.get(url).status_code == 403, url
    for url in manage_rules(app, "POST", world):
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert row_counts(db) == before
