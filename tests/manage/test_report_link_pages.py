"""Partner report links from the back office: an organiser creates and revokes them (audited,
back to the list's page with a message), comms and door accounts change nothing (403); the
partial the list's page includes shows the links, the new one ready to copy, and the form."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask import render_template
from flask_wtf.csrf import validate_csrf
from sqlalchemy import select

from contacts.models import MailingList
from service.audit.models import AuditEntry
from service.db import utcnow
from service.events.services import get_event
from service.tracking import report_links
from service.tracking.models import ReportLink
from tests.manage.clients import csrf_token, sign_in
from tests.tracking.test_stats import _setup


@pytest.fixture
def world(db, settings, factory, network) -> dict[str, int]:
    """The statistics fixture's event, two of its lists, and the event of another organiser."""
    event_id = _setup(db, settings, factory)
    with db.transaction(write=False) as session:
        ids = dict(session.execute(select(MailingList.name, MailingList.id)).all())
    return {
        "event_id": event_id, "cncres": ids["CNCRES"], "mes": ids["MES"],
        "other_event": factory.event(title="Une autre rencontre"),
    }  # fmt: skip


def sign_in_as(client, factory, role: str, events: tuple[int, ...] = ()) -> str:
    address = f"{role}@example.org"
    sign_in(client, address, factory.user(address, role, events))
    return csrf_token(client, "/manage/")


def links(db) -> list[ReportLink]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(ReportLink).order_by(ReportLink.id)))


def audit(db) -> list[tuple[str, str, int | None, str]]:
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.event_id, AuditEntry.subject)
            .where(AuditEntry.action.startswith("report_link"))
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


def create_url(world: dict[str, int], list_name: str = "cncres") -> str:
    return f"/manage/events/{world['event_id']}/lists/{world[list_name]}/report-links"


def test_an_organiser_creates_a_link_and_comes_back_to_the_lists_page(db, client, factory, world):
    token = sign_in_as(client, factory, "organiser")
    answer = client.post(create_url(world), data={"csrf_token": token, "days": "10"})
    assert answer.status_code == 302
    (link,) = links(db)
    list_page = f"/manage/events/{world['event_id']}/lists/{world['cncres']}"
    assert answer.headers["Location"] == f"{list_page}?report_link={link.id}#report-links"
    assert (link.event_id, link.list_id, link.created_by) == (
        world["event_id"], world["cncres"], "organiser@example.org",
    )  # fmt: skip
    assert link.expires_at - link.created_at == timedelta(days=10)
    assert link.created_at > utcnow() - timedelta(minutes=1)
    assert audit(db) == [
        ("organiser@example.org", "report_link.created", world["event_id"], "CNCRES")
    ]
    page = client.get(answer.headers["Location"])
    assert "Le lien de rapport est créé" in unescape(page.text)


@pytest.mark.parametrize("days", ["0", "367", "trente", ""])
def test_a_wrong_validity_creates_nothing_and_says_why(db, client, factory, world, days):
    token = sign_in_as(client, factory, "organiser")
    answer = client.post(create_url(world), data={"csrf_token": token, "days": days})
    assert answer.status_code == 302
    assert "report_link_error=days" in answer.headers["Location"]
    assert links(db) == []
    assert audit(db) == []


def test_an_organiser_revokes_a_link_of_the_event_only(db, settings, client, factory, world):
    with db.transaction() as session:
        link, url = report_links.create(session, settings, world["event_id"], world["mes"])
    token = sign_in_as(client, factory, "organiser")
    elsewhere = f"/manage/events/{world['other_event']}/report-links/{link.id}/revoke"
    assert client.post(elsewhere, data={"csrf_token": token}).status_code == 404
    assert links(db)[0].revoked_at is None
    revoke = f"/manage/events/{world['event_id']}/report-links/{link.id}/revoke"
    answer = client.post(revoke, data={"csrf_token": token})
    assert answer.status_code == 302
    list_page = f"/manage/events/{world['event_id']}/lists/{world['mes']}#report-links"
    assert answer.headers["Location"] == list_page
    (revoked,) = links(db)
    assert revoked.revoked_at is not None
    assert revoked.revoked_by == "organiser@example.org"
    assert client.get(url.removeprefix(settings.base_url)).status_code == 410
    assert client.post(revoke, data={"csrf_token": token}).status_code == 302  # twice: no change
    assert audit(db) == [
        ("cli", "report_link.created", world["event_id"], "MES"),
        ("organiser@example.org", "report_link.revoked", world["event_id"], "MES"),
    ]
    assert "est révoqué" in unescape(client.get(answer.headers["Location"]).text)


@pytest.mark.parametrize("role", ["comms", "door"])
def test_comms_and_door_accounts_change_nothing(db, settings, client, factory, world, role):
    with db.transaction() as session:
        link, _ = report_links.create(session, settings, world["event_id"], world["cncres"])
    token = sign_in_as(client, factory, role, (world["event_id"],) if role == "door" else ())
    created = client.post(create_url(world), data={"csrf_token": token, "days": "5"})
    revoke = f"/manage/events/{world['event_id']}/report-links/{link.id}/revoke"
    revoked = client.post(revoke, data={"csrf_token": token})
    assert (created.status_code, revoked.status_code) == (403, 403)
    assert [(item.id, item.revoked_at) for item in links(db)] == [(link.id, None)]
    assert [row[1] for row in audit(db)] == ["report_link.created"]


def partial(db, settings, world, list_name: str = "cncres", **extra: object) -> str:
    """The partial as the list's page includes it, in the current request."""
    with db.transaction(write=False) as session:
        event = get_event(session, world["event_id"])
        lines = report_links.of_list(session, settings, world["event_id"], world[list_name])
    return render_template(
        "manage/_report_links.html", event=event, list_id=world[list_name], links=lines, **extra
    )


def test_the_partial_lists_the_links_and_shows_the_new_one_to_copy(
    db, settings, client, factory, world
):
    with db.transaction() as session:
        old, _ = report_links.create(session, settings, world["event_id"], world["cncres"], 3)
        report_links.revoke(session, old.id, "organiser@example.org")
        fresh, fresh_url = report_links.create(
            session, settings, world["event_id"], world["cncres"]
        )
        report_links.create(session, settings, world["event_id"], world["mes"])  # another list
    sign_in_as(client, factory, "organiser")
    list_page = f"/manage/events/{world['event_id']}/lists/{world['cncres']}"
    with client:
        client.get(f"{list_page}?report_link={fresh.id}")
        html = unescape(partial(db, settings, world))
        shown = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert shown is not None
        validate_csrf(shown[1])  # the session's own token (signed at whatever second it was)
    assert (
        f'id="report-link-new" class="report-link-url" type="text" readonly value="{fresh_url}"'
        in html
    )
    assert html.count("report-link-url") == 2  # the new one above, and its row: not the revoked
    assert f"/manage/events/{world['event_id']}/report-links/{fresh.id}/revoke" in html
    assert f"/report-links/{old.id}/revoke" not in html
    assert "Révoqué le" in html
    assert "par organiser@example.org" in html
    assert f'action="{list_page}/report-links"' in html
    assert '<label for="report-link-days">' in html
    assert 'aria-invalid="true"' not in html
    with client:
        client.get(f"{list_page}?report_link_error=days")
        html = unescape(partial(db, settings, world))
    assert 'id="report-link-new"' not in html
    assert 'aria-invalid="true"' in html
    assert "aucun lien n’a été créé" in html


def test_the_partial_takes_the_new_link_given_and_shows_comms_no_controls(
    db, settings, client, factory, world
):
    with db.transaction() as session:
        _, url = report_links.create(session, settings, world["event_id"], world["cncres"])
    sign_in_as(client, factory, "comms")
    with client:
        client.get("/manage/")
        html = unescape(partial(db, settings, world, new_link_url=url))
        empty = unescape(partial(db, settings, world, list_name="mes"))
    assert (
        f'id="report-link-new" class="report-link-url" type="text" readonly value="{url}"' in html
    )
    assert "/revoke" not in html
    assert 'method="post"' not in html  # no form to create or revoke one
    assert 'name="days"' not in html
    assert "Aucun lien de rapport pour cette liste." in empty
