"""The four demo lists imported in a real browser (Debian's chromium), against the app under
gunicorn and a real Celery worker on the test broker: a cp1252 CSV with a title row whose address
column is named nothing known, the COORACE workbook and its two sheets, a column mapping fixed by
hand, a refused row read on the page, the same file again changing nothing, a segment counted
as it is built; axe-core on every page of the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from contacts.models import Contact, MailingList, Membership
from tests.browsers import axe_violations, wait_for_text, wait_until
from tests.conftest import TEST_ENV
from tests.manage.test_list_import import SAMPLES, TITLED
from tests.servers import celery_worker, live_server

pytestmark = pytest.mark.slow


def test_an_organiser_imports_the_four_demo_lists(db, factory, tmp_path, open_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    password = factory.user("orga@example.org", "organiser")
    titled = tmp_path / "annuaire-cncres.csv"
    titled.write_bytes(TITLED)

    def accessible(driver: Any) -> None:
        assert axe_violations(driver) == [], driver.current_url

    def press(label: str) -> None:
        browser.find_element(By.XPATH, f'//button[normalize-space()="{label}"]').click()

    def upload(path: Path, list_name: str) -> None:
        browser.find_element(By.LINK_TEXT, "Listes").click()
        wait_for_text(browser, "h1", "Listes de diffusion")
        browser.find_element(By.LINK_TEXT, "Importer un fichier").click()
        wait_for_text(browser, "h1", "Importer un fichier")
        browser.find_element(By.ID, "list").send_keys(list_name)
        browser.find_element(By.ID, "file").send_keys(str(path))
        press("Lire le fichier")
        wait_for_text(browser, "h1", f"dans la liste {list_name}")

    def check_and_import(refused: str, imported: str) -> None:
        press("Vérifier toutes les lignes")
        wait_for_text(browser, "#check", "Résultat de la vérification")  # the worker checked
        wait_for_text(browser, "#row-errors", refused)
        press_starting("Importer ")
        wait_for_text(browser, "#result", "Import terminé")
        wait_for_text(browser, "p.status", imported)

    def press_starting(label: str) -> None:
        browser.find_element(
            By.XPATH, f'//button[starts-with(normalize-space(), "{label}")]'
        ).click()

    with live_server(env=TEST_ENV) as base, celery_worker(TEST_ENV, concurrency=1):
        browser = open_browser("organiser")
        browser.get(f"{base}/manage/lists")
        browser.find_element(By.ID, "email").send_keys("orga@example.org")
        browser.find_element(By.ID, "password").send_keys(password, Keys.ENTER)
        wait_for_text(browser, "h1", "Listes de diffusion")
        accessible(browser)

        # CNCRES, as French Excel writes it: read, shown, its address column found by its cells.
        upload(titled, "CNCRES")
        page = browser.find_element(By.TAG_NAME, "main").text
        assert "cp1252" in page
        assert "point-virgule" in page
        accessible(browser)
        email = Select(browser.find_element(By.ID, "field-email"))
        assert email.first_selected_option.text == "Courriel pro"
        # A column chosen for two fields is refused, naming the field; the organiser fixes it.
        Select(browser.find_element(By.ID, "field-role")).select_by_visible_text("Structure")
        press("Revoir l’aperçu")
        wait_for_text(browser, "#form-errors", "Fonction : Cette colonne est déjà choisie")
        accessible(browser)
        Select(browser.find_element(By.ID, "field-organisation")).select_by_index(0)
        press("Revoir l’aperçu")
        feeds = '//th[contains(., "Structure")]/span[@class="feeds"]'
        wait_until(browser, lambda b: "Fonction" in b.find_element(By.XPATH, feeds).text)
        Select(browser.find_element(By.ID, "field-role")).select_by_index(0)
        Select(browser.find_element(By.ID, "field-organisation")).select_by_visible_text(
            "Structure"
        )
        press("Vérifier toutes les lignes")
        wait_for_text(browser, "#row-errors", "2 lignes refusées")
        accessible(browser)
        errors = browser.find_element(By.CSS_SELECTOR, "[aria-labelledby=check] table").text
        assert "4 Courriel pro" in errors
        assert "6 Courriel pro" in errors
        press_starting("Importer ")
        wait_for_text(browser, "p.status", "2 contacts ajoutés à la liste.")
        accessible(browser)

        # COORACE: a workbook whose header is on row 3, with a second sheet of notes.
        upload(SAMPLES / "coorace.xlsx", "COORACE")
        assert "Excel (.xlsx)" in browser.find_element(By.TAG_NAME, "main").text
        assert len(Select(browser.find_element(By.ID, "sheet")).options) == 2
        check_and_import("3 lignes refusées", "contacts ajoutés à la liste.")
        upload(SAMPLES / "rtes.csv", "RTES")
        check_and_import("2 lignes refusées", "contacts ajoutés à la liste.")
        upload(SAMPLES / "mes.csv", "MES")
        check_and_import("3 lignes refusées", "contacts ajoutés à la liste.")

        # The same file again changes nothing, and says so.
        upload(SAMPLES / "rtes.csv", "RTES")
        check_and_import("2 lignes refusées", "Rien n’a changé")

        # A segment counts its contacts as its criteria are chosen.
        browser.get(f"{base}/manage/segments")
        wait_for_text(browser, "h1", "Segments")
        browser.find_element(By.XPATH, '//label[normalize-space()="RTES"]').click()
        wait_for_text(browser, "#segment-count", "Contacts gardés par ce segment : 31")
        accessible(browser)

        browser.find_element(By.LINK_TEXT, "Listes").click()
        wait_for_text(browser, "h1", "Listes de diffusion")
        table = browser.find_element(By.CSS_SELECTOR, "#lists-heading + .table-wrap").text
        for name in ("CNCRES", "COORACE", "RTES", "MES"):
            assert name in table
        browser.find_element(By.LINK_TEXT, "RTES").click()
        wait_for_text(browser, "h1", "RTES")
        browser.find_element(By.ID, "q").send_keys("pelletier")
        wait_for_text(browser, "#members-count", "1 contact trouvé")
        accessible(browser)
        wait_until(browser, lambda b: b.find_element(By.LINK_TEXT, "Zoé Pelletier").click() or 1)
        wait_for_text(browser, "h1", "Zoé Pelletier")
        accessible(browser)

    with db.transaction(write=False) as session:
        lists = dict(
            session.execute(
                select(MailingList.name, func.count(Membership.id))
                .join(Membership, Membership.list_id == MailingList.id)
                .group_by(MailingList.name)
            ).all()
        )
        assert lists["CNCRES"] == 2
        assert lists["RTES"] == 31
        assert lists["MES"] == 36
        assert session.scalar(select(func.count()).select_from(Contact)) > 80
