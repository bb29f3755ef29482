"""End to end, in a real browser (Debian's chromium, driven by selenium through chromedriver),
against the application under gunicorn: two people, one seat, the waitlist and the seat offer.

Without chromium this test is skipped with the reason, except under CI (CI=true), where it fails:
.ci/run installs chromium and chromium-driver.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.db import Database
from service.registrations.models import RegistrationStatus
from tests.browsers import axe_violations, wait_for_text, wait_until
from tests.conftest import TEST_ENV
from tests.factories import Factory
from tests.helpers import statuses
from tests.registrations.test_pages import new_invitee
from tests.servers import live_server

pytestmark = pytest.mark.slow


def test_two_people_one_seat_waitlist_offer_and_acceptance(
    db: Database, factory: Factory, open_browser
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec

    # gunicorn runs with the test environment: the database written here is the one it reads.
    assert TEST_ENV["DATABASE_URL"] == factory.settings.database_url == db.url
    event_id = factory.event(
        title="Rencontre à une place",
        capacity=1,
        registration={"waitlist_policy": "offer", "claim_window_hours": 48},
    )
    _, token_a = new_invitee(factory, event_id, "claire@example.org", "Claire Martin")
    _, token_b = new_invitee(factory, event_id, "karim@example.org", "Karim Benali")

    def status_says(driver: Any, words: str) -> None:
        wait_for_text(driver, "p.status", words)

    def button(driver: Any, label: str) -> Any:
        return wait_until(
            driver, ec.element_to_be_clickable((By.XPATH, f'//button[normalize-space()="{label}"]'))
        )

    with live_server(env=TEST_ENV) as base:
        a = open_browser("a")
        b = open_browser("b")

        # A opens the link and registers with the keyboard alone.
        a.get(f"{base}/r/{token_a}")
        wait_until(a, ec.element_to_be_clickable((By.ID, "first_name")))
        assert a.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
        assert "Rencontre à une place" in a.find_element(By.TAG_NAME, "h1").text
        assert a.find_element(By.ID, "first_name").get_attribute("value") == "Claire"
        organisation = a.find_element(By.ID, "organisation")
        organisation.send_keys("Le Labo de l'ESS")
        organisation.send_keys(Keys.TAB)
        focused = a.switch_to.active_element
        assert focused.text == "S’inscrire"
        # The keyboard focus is visible: a solid 3px ring.
        assert focused.value_of_css_property("outline-style") == "solid"
        assert focused.value_of_css_property("outline-width") == "3px"
        focused.send_keys(Keys.ENTER)
        status_says(a, "Claire Martin, votre inscription est confirmée.")
        assert a.find_element(By.CSS_SELECTOR, "p.status").get_attribute("role") == "status"

        # B sees that the seat is taken before the click, and joins the waitlist: first in line.
        b.get(f"{base}/r/{token_b}")
        wait_for_text(b, "#full", "La rencontre est complète.")
        button(b, "M’inscrire sur la liste d’attente").click()
        status_says(b, "vous êtes inscrit·e sur la liste d’attente, en position 1.")

        # A cancels: a page says first what it means (the seat goes on; coming back means
        # waiting), on a phone as on a computer; A confirms there.
        a.get(f"{base}/r/{token_a}")
        wait_until(a, ec.element_to_be_clickable((By.LINK_TEXT, "Annuler mon inscription"))).click()
        wait_for_text(a, "section.answer", "Votre place ira aussitôt à la personne suivante")
        a.set_window_size(375, 812)
        assert axe_violations(a) == []
        button(a, "Oui, annuler mon inscription").click()
        status_says(a, "Votre inscription est annulée.")

        # B's page now offers the seat, until a deadline; B takes it.
        b.get(f"{base}/r/{token_b}")
        status_says(b, "Une place s’est libérée pour vous. Elle vous est réservée jusqu’au")
        button(b, "J’accepte la place").click()
        status_says(b, "Karim Benali, votre inscription est confirmée.")

        # And A's page, opened again, shows the cancellation and the form to come back: behind
        # the waitlist, as it says, since the one seat is B's.
        a.get(f"{base}/r/{token_a}")
        status_says(a, "Votre inscription est annulée.")
        a.find_element(
            By.XPATH, '//summary[normalize-space()="Finalement, je souhaite venir"]'
        ).click()
        button(a, "M’inscrire sur la liste d’attente")


def test_a_forwarded_link_sends_the_colleague_their_own_link(
    db: Database, factory: Factory, open_browser
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec

    event_id = factory.event(title="Rencontre ouverte", registration={"forwarding": "open"})
    _, token = new_invitee(factory, event_id, "claire@example.org", "Claire Martin")
    with live_server(env=TEST_ENV) as base:
        browser = open_browser("colleague")
        browser.get(f"{base}/r/{token}")
        address = wait_until(browser, ec.element_to_be_clickable((By.ID, "colleague_email")))
        label = browser.find_element(By.CSS_SELECTOR, "label[for=colleague_email]")
        assert label.text == "Votre adresse électronique"
        address.send_keys("lea@example.org", Keys.ENTER)
        status = wait_until(
            browser, ec.presence_of_element_located((By.CSS_SELECTOR, "p.status.ok"))
        )
        assert status.text.startswith("Consultez votre boîte de réception")
        assert status.get_attribute("role") == "status"
        assert "/r/" + token in browser.current_url  # the same page: no one else's
        for width in (375, 1280):
            browser.set_window_size(width, 900)
            # Nothing wider than the screen on a phone.
            scroll = browser.execute_script("return document.documentElement.scrollWidth")
            assert scroll <= width


def test_the_emails_decline_link_opens_the_one_button_that_declines(
    db: Database, factory: Factory, open_browser
):
    """« Je ne pourrai pas venir » of the invitation email (its link: the page's /decline), on a
    phone, in English: the page's one button declines, nothing on the way there did."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    event_id = factory.event(title="Rencontre ouverte")
    invitation_id, token = new_invitee(factory, event_id, "claire@example.org", "Claire Martin")
    with live_server(env=TEST_ENV) as base:
        browser = open_browser("decline")
        browser.set_window_size(375, 812)
        browser.get(f"{base}/r/{token}/decline?lang=en")
        (button,) = browser.find_elements(By.CSS_SELECTOR, "section.answer button")
        assert button.text == "I won’t be able to attend"
        assert button.location["y"] + button.size["height"] <= 812  # in sight, no scrolling
        assert axe_violations(browser) == []
        assert statuses(db, event_id) == {}  # opening the link declined nothing
        button.click()
        status = wait_until(browser, ec.presence_of_element_located((By.CSS_SELECTOR, "p.status")))
        assert status.text.startswith("You told us that you will not be able to attend.")
    assert statuses(db, event_id) == {invitation_id: RegistrationStatus.DECLINED}
