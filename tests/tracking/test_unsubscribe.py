"""Unsubscribing: the link of every campaign email (GET shows, POST acts) and RFC 8058's one-click
POST, sent by mail providers with no cookie and no CSRF token."""

from __future__ import annotations

from sqlalchemy import select

from contacts.models import Contact, Suppression
from contacts.suppression import is_suppressed
from service.campaigns import services
from service.campaigns.models import CampaignKind
from service.mail.models import Message, MessageStatus
from service.tracking import stats
from service.tracking.unsubscribe import unsubscribe_token
from tests.campaigns.conftest import email, new_campaign

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def contact_id(db, address: str) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(select(Contact.id).where(Contact.email == address))


def test_one_click_unsubscribes_without_cookie_and_no_campaign_mails_the_address_again(
    app, db, settings, factory, network
):
    token = unsubscribe_token(settings, contact_id(db, email(3)))
    provider = app.test_client(use_cookies=False)
    answer = provider.post(f"/u/{token}", data=ONE_CLICK)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    with db.transaction(write=False) as session:
        assert is_suppressed(session, settings, email(3))
    # The next invitation campaign records the address as suppressed and never sends to it.
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION)
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda *_: None)
    services.build(db, settings, campaign_id)
    with db.transaction(write=False) as session:
        row = session.scalar(select(Message.status).join(Contact).where(Contact.email == email(3)))
    assert row is MessageStatus.SUPPRESSED


def test_an_unsubscribe_counts_against_the_campaign_that_brought_it(
    app, db, settings, factory, network
):
    event_id = factory.event()
    campaign_id = new_campaign(db, event_id, CampaignKind.INVITATION)
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda *_: None)
    services.build(db, settings, campaign_id)
    token = unsubscribe_token(settings, contact_id(db, email(3)))
    provider = app.test_client(use_cookies=False)
    for _ in range(2):  # a second click counts once
        assert provider.post(f"/u/{token}", data=ONE_CLICK).status_code == 200
    with db.transaction(write=False) as session:
        assert stats.totals(session, event_id).unsubscribed == 1
        assert [c.unsubscribed for c in stats.by_campaign(session, event_id)] == [1]


def test_the_page_shows_the_masked_address_and_changes_nothing_until_the_button(
    client, db, settings, network
):
    token = unsubscribe_token(settings, contact_id(db, email(5)))
    for method in (client.get, client.head):
        assert method(f"/u/{token}").status_code == 200
    page = client.get(f"/u/{token}").get_data(as_text=True)
    assert "p•••@example.org" in page
    assert "Me désabonner" in page
    with db.transaction(write=False) as session:
        assert session.scalars(select(Suppression)).all() != []  # the fixture's one
        assert not is_suppressed(session, settings, email(5))
    done = client.post(f"/u/{token}").get_data(as_text=True)
    assert "ne recevra plus nos invitations" in done
    assert "ne recevra plus nos invitations" in client.get(f"/u/{token}").get_data(as_text=True)
    english = client.get(f"/u/{token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "will receive no more of our invitations" in english


def test_forged_or_tampered_links_are_refused_and_change_nothing(client, db, settings, network):
    token = unsubscribe_token(settings, contact_id(db, email(5)))
    # One character of the signature changed where it holds six whole bits (the last one also
    # holds padding: changing it may leave the signature as it was).
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    for bad in ("nimporte-quoi", tampered):
        assert client.post(f"/u/{bad}", data=ONE_CLICK).status_code == 404
    with db.transaction(write=False) as session:
        assert not is_suppressed(session, settings, email(5))
