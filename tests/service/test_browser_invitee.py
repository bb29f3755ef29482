"""The invitee's pages in a real browser, as a new invitee meets them: on a phone (375 px) and a
computer (1280 px), in French and in English, each page checked by axe-core and for nothing wider
than the screen. One web server for the module; each test its own browser and event."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from service.db import Database
from service.registrations import services
from service.registrations.models import RegistrationStatus as S
from tests.browsers import axe_violations, wait_for_text, wait_until
from tests.conftest import TEST_ENV
from tests.factories import Factory
from tests.helpers import act, statuses
from tests.registrations.test_pages import QUESTIONS, new_invitee
from tests.servers import live_server

pytestmark = pytest.mark.slow

VIEWS = (("fr", 375), ("en", 375), ("fr", 1280), ("en", 1280))
LABO = {"name": "Le Labo de l'ESS", "email": "contact@example.org"}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with live_server(env=TEST_ENV) as url:
        yield url


def look(browser: Any, url: str, lang: str, width: int) -> str:
    """Open `url` in `lang` at `width`; the page passes axe and fits the screen. Its text."""
    from selenium.webdriver.common.by import By

    browser.set_window_size(width, 900)
    browser.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
    assert axe_violations(browser) == []
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    return browser.find_element(By.TAG_NAME, "body").text


def button(browser: Any, label: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    path = f'//button[normalize-space()="{label}"]'
    return wait_until(browser, ec.element_to_be_clickable((By.XPATH, path)))


def test_a_full_event_says_so_before_the_click(db: Database, factory: Factory, open_browser, base):
    event_id = factory.event(capacity=1, organiser=LABO)
    seated, newcomer = factory.invitees(event_id, 2)
    act(db, seated.invitation_id, services.register, {})
    browser = open_browser("full")
    said = {
        (lang, width): look(browser, f"{base}/r/{newcomer.token}", lang, width)
        for lang, width in VIEWS
    }
    for width in (375, 1280):
        assert "La rencontre est complète." in said["fr", width]
        assert "The event is full." in said["en", width]
    button(browser, "Join the waiting list").click()  # the last view: English, computer
    wait_for_text(browser, "p.status", "waiting list, in position 1")
    assert statuses(db, event_id)[newcomer.invitation_id] is S.WAITLISTED


def test_each_step_is_asked_on_a_page_whose_one_button_takes_it(
    db: Database, factory: Factory, open_browser, base
):
    """Cancelling (point 2), the email's « Je ne pourrai pas venir » (3) and its « J'accepte la
    place » (10): one line saying what happens, one button."""
    from selenium.webdriver.common.by import By

    event_id = factory.event(
        capacity=1, organiser=LABO,
        registration={"waitlist_policy": "offer", "claim_window_hours": 48},
    )  # fmt: skip
    seated, offered, fresh = factory.invitees(event_id, 3)
    act(db, seated.invitation_id, services.register, {})
    act(db, offered.invitation_id, services.register, {})
    browser = open_browser("steps")
    pages = {
        f"/r/{seated.token}/cancel": ("Votre place ira aussitôt", "Your seat will go at once"),
        f"/r/{fresh.token}/decline": ("Un clic suffit", "One click"),
    }
    for path, (french, english) in pages.items():
        for lang, width in VIEWS:
            said = look(browser, f"{base}{path}", lang, width)
            assert (french if lang == "fr" else english) in said
            assert len(browser.find_elements(By.CSS_SELECTOR, "section.answer button")) == 1
    act(db, seated.invitation_id, services.cancel)  # the seat is offered to the next in line
    for lang, width in VIEWS:
        said = look(browser, f"{base}/r/{offered.token}/accept", lang, width)
        (only,) = browser.find_elements(By.CSS_SELECTOR, "section.answer button")
        assert only.text == ("J’accepte la place" if lang == "fr" else "Accept the place")
        # The line and the button in sight at once, on a phone too: no scrolling to find it.
        assert only.location["y"] + only.size["height"] <= 900
    only.click()
    wait_for_text(browser, "p.status", "your registration is confirmed")
    assert statuses(db, event_id)[offered.invitation_id] is S.CONFIRMED


def test_names_are_asked_for_beside_their_fields(
    db: Database, factory: Factory, open_browser, base
):
    from selenium.webdriver.common.by import By

    event_id = factory.event(organiser=LABO)
    browser = open_browser("names")
    for lang, width in (("fr", 375), ("en", 1280)):
        invitation_id, token = new_invitee(factory, event_id, f"{lang}@example.org", "")
        look(browser, f"{base}/r/{token}", lang, width)
        button(browser, "S’inscrire" if lang == "fr" else "Register").click()
        summary = wait_until(browser, lambda b: b.find_element(By.ID, "form-errors"))
        assert browser.switch_to.active_element == summary  # read first, by screen readers too
        assert axe_violations(browser) == []
        first = browser.find_element(By.ID, "first_name")
        assert first.get_attribute("aria-invalid") == "true"
        error = browser.find_element(By.ID, "first_name-error").text
        assert error == ("Merci de l’indiquer." if lang == "fr" else "Please fill this in.")
        assert invitation_id not in statuses(db, event_id)
        first.send_keys("Ada")
        browser.find_element(By.ID, "last_name").send_keys("Lovelace")
        button(browser, "S’inscrire" if lang == "fr" else "Register").click()
        greeting = "Ada Lovelace, votre inscription" if lang == "fr" else "Ada Lovelace, your"
        wait_for_text(browser, "p.status", greeting)
        assert statuses(db, event_id)[invitation_id] is S.CONFIRMED


def test_answers_are_said_back_and_changed_keeping_the_seat(
    db: Database, factory: Factory, open_browser, base
):
    from selenium.webdriver.common.by import By

    event_id = factory.event(capacity=1, organiser=LABO, questions=QUESTIONS)
    (person,) = factory.invitees(event_id, 1)
    act(db, person.invitation_id, services.register, {"diet": "végétarien"})
    browser = open_browser("answers")
    for lang, width in VIEWS:
        said = look(browser, f"{base}/r/{person.token}", lang, width)
        question = "Régime alimentaire" if lang == "fr" else "Dietary requirements"
        assert f"{question}\nvégétarien" in said
    look(browser, f"{base}/r/{person.token}", "fr", 375)
    browser.find_element(By.LINK_TEXT, "Modifier mes réponses").click()
    diet = wait_until(browser, lambda b: b.find_element(By.ID, "q_diet"))
    assert axe_violations(browser) == []
    diet.clear()
    diet.send_keys("sans gluten")
    button(browser, "Enregistrer mes réponses").click()
    wait_for_text(browser, "p.status", "Vos réponses sont enregistrées")
    assert "Régime alimentaire\nsans gluten" in browser.find_element(By.TAG_NAME, "body").text
    assert statuses(db, event_id) == {person.invitation_id: S.CONFIRMED}
    look(browser, f"{base}/r/{person.token}/answers", "en", 1280)
    button(browser, "Save my answers")


def test_after_handing_over_the_page_says_where_the_person_stands(
    db: Database, factory: Factory, open_browser, base
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    event_id = factory.event(organiser=LABO)
    person, other = factory.invitees(event_id, 2)
    browser = open_browser("handover")
    for (lang, width), who in zip((("fr", 375), ("en", 1280)), (person, other), strict=True):
        look(browser, f"{base}/r/{who.token}", lang, width)
        colleague = browser.find_element(By.ID, "colleague_email")
        colleague.send_keys(f"colleague-{lang}@example.org", Keys.ENTER)
        done = "C’est transmis" if lang == "fr" else "your colleague will get their own"
        wait_for_text(browser, "section.answer", done)
        stands = "ne pourrez pas venir" if lang == "fr" else "will not be able to attend"
        assert stands in browser.find_element(By.CSS_SELECTOR, "section.answer").text
        assert axe_violations(browser) == []
        come_back = browser.find_element(By.CSS_SELECTOR, "details.come-back")
        register = come_back.find_element(By.CSS_SELECTOR, "button[type=submit]")
        assert not register.is_displayed()  # the state first, not the whole form again
        summary = come_back.find_element(By.TAG_NAME, "summary")
        summary.send_keys(Keys.ENTER)  # the keyboard opens it
        wait_until(browser, lambda _, shown=register: shown.is_displayed())
    assert set(statuses(db, event_id).values()) == {S.DECLINED}


def test_the_organiser_invites_and_the_tool_keeps_to_the_footer(
    db: Database, factory: Factory, open_browser, base
):
    from selenium.webdriver.common.by import By

    from service.events.logos import set_logo
    from tests.events.logo_images import PNG

    event_id = factory.event(organiser=LABO)
    (person,) = factory.invitees(event_id, 1)
    with db.transaction() as session:
        set_logo(session, event_id, PNG, "test")
    browser = open_browser("brand")
    for lang, width in VIEWS:
        look(browser, f"{base}/r/{person.token}", lang, width)
        logo = browser.find_element(By.CSS_SELECTOR, "header.site img.logo")
        assert browser.execute_script("return arguments[0].naturalWidth", logo) > 0  # it loaded
        header = browser.find_element(By.CSS_SELECTOR, "header.site").text
        assert header.startswith("Le Labo de l'ESS")
        assert "Convier" not in header
        assert "Convier" not in browser.title
        assert "Convier" in browser.find_element(By.CSS_SELECTOR, "footer.site").text


def test_question_options_in_english_and_french_typography(
    db: Database, factory: Factory, open_browser, base
):
    """Point 8: the options of a question in the page's language; point 9: French set in its
    typography (’, and no-break spaces that keep « ? » and « : » with their words)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from tests.registrations.test_invitee_pages import BILINGUAL

    event_id = factory.event(organiser=LABO, questions=BILINGUAL)
    (person,) = factory.invitees(event_id, 1)
    browser = open_browser("options")
    for lang, width in VIEWS:
        look(browser, f"{base}/r/{person.token}", lang, width)
        shown = [option.text for option in Select(browser.find_element(By.ID, "q_sector")).options]
        assert shown == (
            ["—", "Réseau", "Collectivité"] if lang == "fr" else ["—", "Network", "Local authority"]
        )
        if lang == "fr":
            answer = browser.find_element(By.CSS_SELECTOR, "section.answer")
            # textContent: WebDriver's .text turns no-break spaces into plain ones.
            said = browser.execute_script("return arguments[0].textContent", answer)
            assert "Vous ne pourrez pas être des nôtres\u202f? Dites-le-nous\u00a0:" in said
            assert button(browser, "S’inscrire")
    Select(browser.find_element(By.ID, "q_sector")).select_by_visible_text("Local authority")
    button(browser, "Register").click()
    wait_for_text(browser, "section.answers", "Local authority")
    assert statuses(db, event_id) == {person.invitation_id: S.CONFIRMED}
