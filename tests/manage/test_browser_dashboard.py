"""The communications officer's pages in a real browser (Debian's chromium) against the app under
gunicorn, on the statistics fixture: the event home's tiles change when a registration arrives,
without a reload; the charts are drawn from their tables; a list opens its own page; axe-core
finds nothing wrong on the way."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from contacts.models import Contact
from service.registrations import services as registrations
from service.registrations.models import Invitation
from tests.browsers import axe_violations, wait_for_text, wait_until
from tests.campaigns.conftest import email
from tests.conftest import TEST_ENV
from tests.helpers import act
from tests.servers import live_server
from tests.tracking.test_stats import _setup

pytestmark = pytest.mark.slow


def test_a_comms_officer_watches_the_figures_move(db, settings, factory, network, open_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    event_id = _setup(db, settings, factory)
    password = factory.user("comms@example.org", "comms")
    with db.transaction(write=False) as session:
        newcomer = session.scalar(
            select(Invitation.id)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Contact.email == email(2))
        )

    def accessible(driver: Any) -> None:
        assert axe_violations(driver) == [], driver.current_url

    def tile(name: str) -> str:
        return browser.find_element(By.CSS_SELECTOR, f'[data-tile="{name}"]').text

    with live_server(env=TEST_ENV) as base:
        browser = open_browser("comms")
        browser.get(f"{base}/manage/events/{event_id}")
        browser.find_element(By.ID, "email").send_keys("comms@example.org")
        browser.find_element(By.ID, "password").send_keys(password, Keys.ENTER)
        wait_for_text(browser, "h1", "Rencontre de test")
        assert (tile("seats"), tile("waitlist"), tile("rate")) == ("1 / 1", "1", "22 %")
        accessible(browser)

        browser.execute_script("window.sameDocument = true;")  # gone if the page reloads
        act(db, newcomer, registrations.register, {})
        wait_until(browser, lambda b: tile("waitlist") == "2")
        assert tile("rate") == "28 %"  # 5 of the 18 people reached have answered
        assert browser.execute_script("return window.sameDocument === true;")

        browser.find_element(By.LINK_TEXT, "Statistiques").click()
        wait_for_text(browser, "h1", "Statistiques")
        drawn = wait_until(
            browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, ".chart-box canvas")) == 4
        )
        assert drawn
        cells = browser.find_elements(By.CSS_SELECTOR, "#lists-table tbody tr:first-child td")
        assert [cell.text for cell in cells][:3] == ["10", "9", "8"]  # CNCRES
        accessible(browser)

        browser.find_element(By.LINK_TEXT, "Listes invitées").click()
        wait_for_text(browser, "h1", "Listes invitées")
        wait_until(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".chart-box canvas"))
        accessible(browser)
        browser.find_element(By.LINK_TEXT, "CNCRES").click()
        wait_for_text(browser, "h1", "CNCRES")
        rate = browser.find_element(By.CSS_SELECTOR, '[data-step="rate"]').text
        assert rate == "62 %"  # 5 of 8, rounded half to even
        accessible(browser)
