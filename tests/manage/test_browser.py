"""The back office in a real browser (Debian's chromium, selenium), against the application
under gunicorn: a new organiser sets a password from the link `convier user create` printed,
finds the event, searches its registrations (htmx), signs out and in again; a door account sees
its event only. axe-core finds nothing wrong on any page on the way."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from service.accounts import services
from service.accounts.models import Role
from service.events.models import Event
from service.mail.models import Message
from service.registrations import services as registrations
from tests import browsers
from tests.browsers import axe_violations, wait_for_text, wait_until
from tests.conftest import TEST_ENV
from tests.helpers import act
from tests.servers import live_server

pytestmark = pytest.mark.slow
PASSWORD = "une phrase assez longue"


def test_an_organiser_signs_up_finds_the_event_and_runs_its_waitlist(
    db, factory, settings, open_browser
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    event_id = factory.event(
        title="Rencontre nationale des PTCE",
        capacity=1,
        questions=[{"key": "lunch", "label": "Déjeunerez-vous sur place ?", "kind": "yes_no"}],
    )
    other_id = factory.event(title="Une autre rencontre")
    people = factory.invitees(event_id, 3)  # "Personne 0" holds the seat, 1 and 2 wait
    newcomer = factory.invitees(event_id, 1, prefix="newcomer")[0]
    for person in people:
        act(db, person.invitation_id, registrations.register, {"lunch": True})
    with db.transaction() as session:
        organiser = services.create_user(session, "orga@example.org", Role.ORGANISER)
        link = services.sign_in_link(settings, organiser).removeprefix(settings.base_url)
    door_password = factory.user("porte@example.org", "door", (event_id,))

    def accessible(driver: Any) -> None:
        assert axe_violations(driver) == [], driver.current_url

    with live_server(env=TEST_ENV) as base:
        browser = open_browser("organiser")
        browser.get(base + link)
        wait_for_text(browser, "h1", "Choisissez votre mot de passe")
        accessible(browser)
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "confirmation").send_keys(PASSWORD, Keys.ENTER)

        wait_for_text(browser, "h1", "Événements")
        accessible(browser)
        assert "1 places prises sur 1 · 2 en attente" in browser.find_element(By.ID, "main").text
        browser.find_element(By.LINK_TEXT, "Rencontre nationale des PTCE").click()

        wait_for_text(browser, "h1", "Rencontre nationale des PTCE")
        accessible(browser)
        wait_for_text(browser, "#table-count", "3 inscriptions trouvées")
        # The search answers as one types (htmx replaces the rows), and the address keeps it.
        browser.find_element(By.ID, "q").send_keys(people[1].email)
        wait_for_text(browser, "#table-count", "1 inscription trouvée")
        assert "q=" in browser.current_url
        rows = browser.find_elements(By.CSS_SELECTOR, "table.registrations tbody tr")
        assert [row.find_element(By.TAG_NAME, "td").text for row in rows] == [""]
        assert people[1].email in rows[0].text
        accessible(browser)

        # The last person waiting is put first, after a page that asks to confirm.
        browser.get(f"{base}/manage/events/{event_id}")
        waiting = "#waitlist + .table-wrap tbody th"
        names = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, waiting)]
        assert names == ["Personne 1", "Personne 2"]
        browser.find_element(
            By.XPATH, '//section[.//h2[@id="waitlist"]]//tr[2]//a[starts-with(., "Mettre en tête")]'
        ).click()
        wait_for_text(browser, "h1", "Faire passer en tête de la liste d’attente")
        accessible(browser)
        browser.find_element(By.CSS_SELECTOR, "form.actions button").click()
        wait_for_text(browser, "div.status", "Personne 2 est en tête de la liste d’attente.")
        names = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, waiting)]
        assert names == ["Personne 2", "Personne 1"]
        accessible(browser)

        # Someone registers meanwhile: the counters of the open page follow (htmx, every 5 s).
        visitor = open_browser("visitor")
        visitor.get(f"{base}/r/{newcomer.token}")
        # The event is full, people wait: the page says so, and its button too.
        join = '//button[normalize-space()="M’inscrire sur la liste d’attente"]'
        visitor.find_element(By.XPATH, join).click()
        wait_for_text(visitor, "p.status", "liste d’attente")
        wait_for_text(browser, 'dd[data-state="waitlisted"]', "3")

        # A guest is invited from the page; their link is shown to copy.
        browser.find_element(By.LINK_TEXT, "Ajouter une personne").click()
        wait_for_text(browser, "h1", "Ajouter une personne")
        accessible(browser)
        browser.find_element(By.ID, "email").send_keys("invitee@example.org")
        browser.find_element(By.ID, "what-invite").click()
        browser.find_element(By.XPATH, '//button[normalize-space()="Valider"]').click()
        wait_for_text(browser, "h1", "Invitation prête")
        assert "/r/" in browser.find_element(By.ID, "link").get_attribute("value")
        accessible(browser)

        browser.find_element(By.XPATH, '//button[normalize-space()="Se déconnecter"]').click()
        wait_for_text(browser, "h1", "Connexion à l’espace organisateur")
        accessible(browser)
        browser.get(base + link)  # the link served once
        wait_for_text(browser, "h1", "Ce lien de connexion ne fonctionne plus")
        accessible(browser)
        browser.get(f"{base}/manage/login")
        browser.find_element(By.ID, "email").send_keys("orga@example.org")
        browser.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
        wait_for_text(browser, "h1", "Événements")

        door = open_browser("door")
        door.get(f"{base}/manage/events/{event_id}")
        wait_for_text(door, "h1", "Connexion")
        door.find_element(By.ID, "email").send_keys("porte@example.org")
        door.find_element(By.ID, "password").send_keys(door_password, Keys.ENTER)
        wait_for_text(door, "h1", "Rencontre nationale des PTCE")  # the page asked for first
        door.get(f"{base}/manage/")
        wait_for_text(door, "h1", "Événements")
        assert "Une autre rencontre" not in door.find_element(By.ID, "main").text
        door.get(f"{base}/manage/events/{other_id}")
        wait_for_text(door, "h1", "Accès refusé")
        accessible(door)


def test_an_organiser_creates_an_event_then_moves_it_and_tells_the_people(
    db, factory, settings, open_browser
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec

    password = factory.user("orga@example.org", "organiser")

    def wait_for_text(selector: str, words: str) -> None:
        browsers.wait_for_text(browser, selector, words)

    def fill(field_id: str, text: str) -> None:
        field = browser.find_element(By.ID, field_id)
        field.clear()
        field.send_keys(text)

    def press(label: str) -> None:
        browser.find_element(
            By.XPATH, f'//button[starts-with(normalize-space(), "{label}")]'
        ).click()

    with live_server(env=TEST_ENV) as base:
        browser = open_browser("organiser")
        browser.get(f"{base}/manage/login")
        fill("email", "orga@example.org")
        browser.find_element(By.ID, "password").send_keys(password, Keys.ENTER)
        wait_for_text("h1", "Événements")
        browser.find_element(By.LINK_TEXT, "Nouvel événement").click()
        wait_for_text("h1", "Nouvel événement")
        assert axe_violations(browser) == []
        fill("title", "Rencontre des PTCE")
        # Typed into the browser's date field, day and month alike whatever its locale's order.
        browser.find_element(By.ID, "date").send_keys("07072031")
        browser.find_element(By.ID, "starts").send_keys("1430")
        browser.find_element(By.ID, "ends").send_keys("1730")
        fill("venue-name", "Auditorium de la Macif")
        fill("venue-address", "17-21 place Étienne Pernet, 75015 Paris")
        fill("capacity", "1")
        press("Ajouter une séance")
        wait_for_text("#programme ~ fieldset legend", "Séance 1")
        browser.find_element(By.ID, "programme-0-starts").send_keys("1430")
        fill("programme-0-title", "Ouverture")
        press("Ajouter une séance")
        wait_until(browser, ec.presence_of_element_located((By.ID, "programme-1-title")))
        browser.find_element(By.ID, "programme-1-starts").send_keys("1500")
        fill("programme-1-title", "Table ronde")
        press("Ajouter une question")
        wait_until(browser, ec.presence_of_element_located((By.ID, "questions-0-label")))
        fill("questions-0-label", "Resterez-vous pour le cocktail ?")
        assert axe_violations(browser) == []
        press("Enregistrer")
        wait_for_text("div.status", "L’événement est créé.")
        assert (
            "Lundi 7 juillet 2031, 14h30–17h30"
            in browser.find_element(By.CSS_SELECTOR, "p.when").text
        )
        assert axe_violations(browser) == []

        with db.transaction(write=False) as session:
            event = session.scalars(select(Event)).one()
            assert [s.title for s in event.sessions] == ["Ouverture", "Table ronde"]
            assert [q.label for q in event.questions] == ["Resterez-vous pour le cocktail ?"]
            event_id = event.id
        for person in factory.invitees(event_id, 2):  # one seat held, one waiting
            act(db, person.invitation_id, registrations.register, {"cocktail": True})

        browser.find_element(By.LINK_TEXT, "Modifier l’événement").click()
        wait_for_text("h1", "Modifier l’événement")
        fill("venue-name", "Salle des fêtes de la mairie")
        press("Enregistrer")
        wait_for_text("#notify legend", "prévenir par email les 2 personnes")
        assert axe_violations(browser) == []
        press("Enregistrer")  # "yes" is chosen first
        wait_for_text("div.status", "2 personnes prévenues")
        assert (
            "Salle des fêtes de la mairie" in browser.find_element(By.CSS_SELECTOR, "p.when").text
        )

    with db.transaction(write=False) as session:
        told = session.scalars(
            select(Message.contact_id).where(Message.template == "event_changed")
        ).all()
    assert len(told) == 2


def test_an_admin_makes_a_door_account_and_the_pages_on_the_way_pass_axe(
    db, factory, open_browser, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    event_id = factory.event(title="Rencontre de la porte", capacity=5)
    for person in factory.invitees(event_id, 2):
        act(db, person.invitation_id, registrations.register, {})
    password = factory.user("admin@example.org", "admin")

    def wait_for_text(selector: str, words: str) -> None:
        browsers.wait_for_text(browser, selector, words)

    with live_server(env=TEST_ENV) as base:
        browser = open_browser("admin")
        browser.get(f"{base}/manage/login/link")
        wait_for_text("h1", "Recevoir un lien de connexion")
        assert axe_violations(browser) == []
        browser.get(f"{base}/manage/login")
        browser.find_element(By.ID, "email").send_keys("admin@example.org")
        browser.find_element(By.ID, "password").send_keys(password, Keys.ENTER)
        wait_for_text("h1", "Événements")

        # The registrations, downloaded for Excel: French headers, ';' between the columns.
        browser.get(f"{base}/manage/events/{event_id}")
        browser.find_element(By.LINK_TEXT, "CSV (Excel)").click()
        downloads = tmp_path / "admin" / "downloads"
        wait_until(browser, lambda _: any(p.suffix == ".csv" for p in downloads.glob("*")))
        (csv_file,) = downloads.glob("*.csv")
        lines = csv_file.read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].startswith("Nom;Prénom;Organisation;Adresse email;État")
        assert len(lines) == 3

        browser.get(f"{base}/manage/events/{event_id}/cancel")
        wait_for_text("h1", "Annuler l’événement")
        assert axe_violations(browser) == []

        browser.find_element(By.LINK_TEXT, "Comptes").click()
        wait_for_text("h1", "Comptes")
        assert axe_violations(browser) == []
        browser.find_element(By.ID, "email").send_keys("porte@example.org")
        Select(browser.find_element(By.ID, "role")).select_by_value("door")
        Select(browser.find_element(By.ID, "events")).select_by_value(str(event_id))
        browser.find_element(By.ID, "send").click()  # untick: the link is handed over here
        browser.find_element(By.XPATH, '//button[normalize-space()="Créer le compte"]').click()
        wait_for_text("h1", "Compte créé")
        assert axe_violations(browser) == []
        link = browser.find_element(By.ID, "link").get_attribute("value")
        assert "/manage/link/" in link

        # A comms account sees the event and its registrations, and no control to change them.
        comms_password = factory.user("comms@example.org", "comms")
        comms = open_browser("comms")
        comms.get(f"{base}/manage/events/{event_id}")
        comms.find_element(By.ID, "email").send_keys("comms@example.org")
        comms.find_element(By.ID, "password").send_keys(comms_password, Keys.ENTER)
        browsers.wait_for_text(comms, "#table-count", "2 inscriptions")
        shown = comms.find_element(By.ID, "main").text
        for control in ("Modifier l’événement", "Annuler l’événement", "Ajouter une personne",
                        "Mettre en tête", "Renvoyer la confirmation"):  # fmt: skip
            assert control not in shown
        assert "CSV (Excel)" in shown
        assert comms.find_elements(By.CSS_SELECTOR, "main form[method=post]") == []

        browser.get(f"{base}/manage/users")
        browser.find_element(
            By.XPATH, '//a[starts-with(., "Désactiver")][contains(., "porte@")]'
        ).click()
        wait_for_text("h1", "Désactiver un compte")
        assert axe_violations(browser) == []
        browser.find_element(By.XPATH, '//button[normalize-space()="Désactiver le compte"]').click()
        wait_for_text("div.status", "Le compte porte@example.org est désactivé.")
