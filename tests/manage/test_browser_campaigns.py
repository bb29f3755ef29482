"""An invitation campaign run in a real browser (Debian's chromium), against the app under gunicorn,
a real Celery worker and the SendGrid stand-in: composed with a note in French and English,
previewed in both, tested on oneself, launched to the four demo lists, paused and resumed, its
counters followed until every person got exactly one email; a comms account sees it and has no
control over it; axe-core on every page of the way."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from contacts.imports import import_contacts
from contacts.models import Contact
from service.campaigns.audience import audience_size
from service.campaigns.models import Campaign
from tests.browsers import axe_violations, wait_for_text, wait_until
from tests.conftest import TEST_ENV
from tests.mail.conftest import sendgrid_env
from tests.manage.test_list_import import SAMPLES
from tests.servers import celery_worker, live_server

pytestmark = pytest.mark.slow
LISTS = {"CNCRES": "cncres.csv", "COORACE": "coorace.xlsx", "RTES": "rtes.csv", "MES": "mes.csv"}
NOTE_FR = "Nous comptons sur votre présence."
NOTE_EN = "We count on you being there."


def test_an_organiser_composes_previews_tests_launches_and_follows_a_campaign(
    db, settings, factory, standin, open_browser
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    from tasks.celery_app import get_celery

    for name, filename in LISTS.items():
        import_contacts(db, settings, SAMPLES / filename, name)
    factory.event(title="Rencontre nationale des PTCE")
    password = factory.user("orga@example.org", "organiser")
    comms_password = factory.user("comms@example.org", "comms")
    env = {**TEST_ENV, **sendgrid_env(standin)}

    def accessible(driver: Any) -> None:
        assert axe_violations(driver) == [], driver.current_url

    def sign_in(driver: Any, email: str, secret: str) -> None:
        driver.find_element(By.ID, "email").send_keys(email)
        driver.find_element(By.ID, "password").send_keys(secret, Keys.ENTER)

    def press(label: str) -> None:
        xpath = f'//button[starts-with(normalize-space(), "{label}")]'
        wait_until(browser, lambda b: b.find_element(By.XPATH, xpath)).click()

    def count(status: str) -> str:
        return browser.find_element(By.CSS_SELECTOR, f'dd[data-status="{status}"]').text

    with live_server(env=env) as base:
        browser = open_browser("organiser")
        browser.get(f"{base}/manage/campaigns")
        sign_in(browser, "orga@example.org", password)
        wait_for_text(browser, "h1", "Campagnes")
        browser.find_element(By.LINK_TEXT, "Nouvelle campagne").click()
        wait_for_text(browser, "h1", "Nouvelle campagne")
        Select(browser.find_element(By.ID, "event")).select_by_visible_text(
            "Rencontre nationale des PTCE"
        )
        Select(browser.find_element(By.ID, "kind")).select_by_value("invitation")
        for index in range(1, len(LISTS) + 1):
            browser.find_element(By.ID, f"list-{index}").click()
        browser.find_element(By.ID, "note").send_keys(NOTE_FR)
        browser.find_element(By.ID, "note_en").send_keys(NOTE_EN)
        accessible(browser)
        press("Enregistrer le brouillon")
        wait_for_text(browser, "main", "personnes distinctes")
        accessible(browser)
        with db.transaction(write=False) as session:
            campaign = session.scalars(select(Campaign)).one()
            people = audience_size(session, campaign)
        assert people > 100
        assert f"{people} personnes distinctes" in browser.find_element(By.TAG_NAME, "main").text

        # The email as sent, in French then in English.
        browser.find_element(By.LINK_TEXT, "Voir l’email").click()
        wait_for_text(browser, "h1", "L’email de la campagne")
        wait_for_text(browser, "section[aria-labelledby=text-part]", NOTE_FR)
        accessible(browser)
        browser.find_element(By.CSS_SELECTOR, "nav.switch a[lang=en]").click()
        wait_for_text(browser, "section[aria-labelledby=text-part]", NOTE_EN)
        browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.email-frame"))
        wait_for_text(browser, "body", NOTE_EN)
        browser.switch_to.default_content()
        # A test to oneself, through the provider.
        press("M’envoyer un test")
        wait_for_text(browser, "div.status", "Email de test envoyé à orga@example.org.")
        [test] = standin.deliveries()
        assert test.address == "orga@example.org"
        assert NOTE_FR in (test.text or "")

        # Launched with no worker running yet, then paused: the build writes held rows only.
        get_celery().control.purge()  # tasks of earlier tests; the launch's build stays
        browser.get(f"{base}/manage/campaigns/{campaign.id}")
        wait_for_text(browser, "main", "personnes distinctes")
        browser.find_element(By.LINK_TEXT, "Lancer…").click()
        wait_for_text(browser, "h1", "Lancer la campagne")
        accessible(browser)
        press(f"Envoyer à {people} personnes")
        press("Mettre en pause")
        wait_for_text(browser, "[data-state]", "En pause")

        # A comms account sees the campaign and has no control over it.
        comms = open_browser("comms")
        comms.get(browser.current_url)
        sign_in(comms, "comms@example.org", comms_password)
        wait_for_text(comms, "[data-state]", "En pause")
        assert not comms.find_elements(By.CSS_SELECTOR, "#campaign-progress button")
        accessible(comms)

        with celery_worker(env, concurrency=2, purge=False):
            wait_until(browser, lambda b: count("queued") == str(people))  # written, held
            assert count("sent") == "0"
            press("Reprendre l’envoi")
            wait_until(browser, lambda b: count("sent") == str(people))
            accessible(browser)

    mailed = Counter(d.address for d in standin.deliveries()[1:])
    assert len(mailed) == people
    assert set(mailed.values()) == {1}
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Contact)) >= people
