"""A campaign's build writing several pages at once: every person once, and a pause that waits
for the pages being written."""

from __future__ import annotations

import threading

from sqlalchemy import select, text

from service.campaigns import audience, services
from service.campaigns.models import Campaign, CampaignKind
from service.mail import outbox
from service.mail.models import Message
from tests.campaigns.conftest import PEOPLE, new_campaign

WAIT_S = 30  # at most, for a thread that is expected to get there at once


def test_pages_written_at_once_write_everyone_once(db, settings, factory, network, monkeypatch):
    monkeypatch.setattr(audience, "PAGE_SIZE", 2)  # several pages, two being written at a time
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION)
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda *_: None)
    assert services.build(db, settings, campaign_id) == PEOPLE
    with db.transaction(write=False) as session:
        people = session.scalars(select(Message.contact_id)).all()
        campaign = session.get(Campaign, campaign_id)
        assert (campaign.audience_count, campaign.built_at is not None) == (PEOPLE, True)
    assert len(people) == len(set(people)) == PEOPLE


def _waiting_on_a_lock(db, pause: threading.Thread) -> bool:
    """Whether the pause waits for a lock (PostgreSQL tells; on SQLite, where the page holds the
    whole database, it has not finished within a moment)."""
    if db.is_sqlite:
        pause.join(timeout=0.5)
        return pause.is_alive()
    for _ in range(WAIT_S * 20):
        with db.engine.connect() as connection:
            waiting = connection.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            )
        if waiting or not pause.is_alive():
            return bool(waiting)
        pause.join(timeout=0.05)  # polling the server's view of the lock, not synchronising
    return False


def test_a_pause_waits_for_the_page_being_written(db, settings, factory, network, monkeypatch):
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION)
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda *_: None)
    page_written, release = threading.Event(), threading.Event()
    write_page = services.write_page

    def held_open(*args, **kwargs):
        write_page(*args, **kwargs)
        page_written.set()  # the page's rows are written, not yet committed
        assert release.wait(WAIT_S)

    monkeypatch.setattr(services, "write_page", held_open)
    build = threading.Thread(target=services.build, args=(db, settings, campaign_id))
    build.start()
    assert page_written.wait(WAIT_S)

    def pause() -> None:
        with db.transaction() as session:
            services.pause(session, campaign_id)

    pausing = threading.Thread(target=pause)
    pausing.start()
    try:
        # The pause waits for the page; were it to go through now, its hold would miss the
        # page's rows, which would then leave although the campaign is paused.
        assert _waiting_on_a_lock(db, pausing)
    finally:
        release.set()
    build.join(WAIT_S)
    pausing.join(WAIT_S)
    with db.transaction() as session:
        assert outbox.claim_due(session, 100) == []  # every row of the page is held
