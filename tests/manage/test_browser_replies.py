"""The replies inbox in a real browser (Debian's chromium), against the app under gunicorn: a
comms person opens the inbox, narrows it to an event, reads a reply to its end and marks it
handled without the page being reloaded (the reply changes, its tab's count falls, the focus
stays on its button); axe-core finds nothing wrong on the way."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from service.audit.models import AuditEntry
from service.tracking.models import Reply
from tests.browsers import axe_violations, wait_for_text, wait_until
from tests.conftest import TEST_ENV
from tests.servers import live_server
from tests.tracking.test_inbox import make_mailbox

pytestmark = pytest.mark.slow


def test_a_comms_person_reads_a_reply_and_marks_it_handled(db, factory, open_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    mailbox = make_mailbox(db, factory)
    claire = mailbox.replies["claire"]
    password = factory.user("comms@example.org", "comms")

    def accessible(driver: Any) -> None:
        assert axe_violations(driver) == [], driver.current_url

    with live_server(env=TEST_ENV) as base:
        browser = open_browser("comms")
        browser.get(f"{base}/manage/")
        browser.find_element(By.ID, "email").send_keys("comms@example.org")
        browser.find_element(By.ID, "password").send_keys(password, Keys.ENTER)
        wait_for_text(browser, "h1", "Événements")
        browser.find_element(By.LINK_TEXT, "Réponses").click()
        wait_for_text(browser, "h1", "Réponses reçues")
        wait_for_text(browser, "#inbox-count", "À traiter : 4")  # every event's, and a stranger's
        accessible(browser)

        browser.execute_script("window.sameDocument = true")  # gone if the page reloads
        Select(browser.find_element(By.ID, "event")).select_by_value(str(mailbox.event_id))
        wait_for_text(browser, "#inbox-count", "À traiter : 2")
        wait_until(browser, lambda b: f"event={mailbox.event_id}" in b.current_url)
        row = f"#reply-{claire}"
        text = browser.find_element(By.CSS_SELECTOR, f"{row} .reply-text")
        assert "Bien à vous" not in text.text  # folded: its first lines show above it
        assert "Elle suit le pôle emploi." in browser.find_element(By.CSS_SELECTOR, row).text
        browser.find_element(By.CSS_SELECTOR, f"{row} summary").click()
        wait_for_text(browser, f"{row} .reply-text", "Bien à vous,\nClaire Martin")

        browser.find_element(By.ID, f"reply-{claire}-toggle").click()
        wait_for_text(browser, f"{row} .reply-state", "Traitée")
        wait_for_text(browser, "#reply-tabs [aria-current]", "Réponses des personnes (1)")
        wait_for_text(browser, "#inbox-count", "À traiter : 1 — traitées : 1")
        assert browser.find_element(By.ID, f"reply-{claire}-toggle").text.startswith("Rouvrir")
        assert (
            browser.execute_script("return document.activeElement.id") == f"reply-{claire}-toggle"
        )
        assert browser.execute_script("return window.sameDocument") is True
        accessible(browser)

    with db.transaction(write=False) as session:
        assert session.get(Reply, claire).handled
        actors = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "reply.handled")
        ).all()
    assert actors == ["comms@example.org"]
