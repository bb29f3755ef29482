"""The door page in a real browser (Debian's chromium) against the app under gunicorn: a ticket's
QR code read by Chromium's fake camera (a .y4m video the test draws), the field of handheld
scanners (AZERTY's mangled digits too), the name search, two devices scanning the same ticket at
the same moment, scans made offline and sent when the network is back, the tickets refused and
their words, walk-ins; axe-core finds nothing wrong on the way (phone and laptop widths)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import segno
from sqlalchemy import select, update

from contacts.models import Contact
from service.checkin import services as door
from service.db import Database, utcnow
from service.registrations import services as registrations
from service.registrations.invitations import invite
from service.registrations.models import Invitation, Registration, RegistrationStatus
from service.registrations.tickets import registration_ticket
from tests.browsers import axe_violations, wait_until
from tests.conftest import TEST_ENV
from tests.helpers import act
from tests.servers import live_server

pytestmark = pytest.mark.slow

DOOR = "porte@example.org"
SEATED = ["Hélène Dupré", "Marc Lefèvre", "Awa Diallo", "Jean Martin", "Chloé Bernard"]
CANCELLED, WAITING = "Paul Annulé", "Inès Attente"
AZERTY = str.maketrans("1234567890", "&é\"'(-è_çà")
PANEL = "door-result"


@dataclass(frozen=True)
class World:
    """An event with five confirmed people, one who cancelled (their seat free again: the
    waitlist policy is manual), one waiting; a ticket of another event; a door account."""

    event_id: int
    password: str
    codes: dict[str, str]
    other_event_code: str
    personal_link: str
    waiting: int  # the invitation of the person waiting


@pytest.fixture(scope="module")
def server(db: Database) -> Iterator[str]:
    """One web server for the whole module; each test makes its own world."""
    with live_server(env=TEST_ENV) as base:
        yield base


@pytest.fixture
def world(db, settings, factory) -> World:
    event_id = factory.event(
        title="Rencontre nationale des PTCE",
        capacity=len(SEATED) + 1,
        registration={"waitlist_policy": "manual"},
    )
    other_id = factory.event(title="Une autre rencontre")
    names = [*SEATED, CANCELLED, WAITING]
    invitations: dict[str, int] = {}
    with db.transaction() as session:
        for number, name in enumerate(names):
            invitation = invite_person(session, settings, event_id, number, name)
            invitations[name] = invitation
        stranger = invite_person(session, settings, other_id, 99, "Sam Ailleurs")
        session.execute(update(Contact).values(organisation="Réseau des PTCE"))
    for name in [*SEATED, CANCELLED, WAITING]:
        act(db, invitations[name], registrations.register, {})
    act(db, invitations[CANCELLED], registrations.cancel)
    act(db, stranger, registrations.register, {})
    people = factory.invitees(event_id, 1, prefix="lien")  # the personal link of an old QR
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(Registration, Contact.first_name, Contact.last_name)
            .join(Invitation, Invitation.id == Registration.invitation_id)
            .join(Contact, Contact.id == Invitation.contact_id)
        ).all()
        codes = {f"{first} {last}": registration_ticket(settings, r) for r, first, last in rows}
        statuses = {f"{first} {last}": r.status for r, first, last in rows}
    assert statuses[WAITING] is RegistrationStatus.WAITLISTED
    assert statuses[CANCELLED] is RegistrationStatus.CANCELLED
    password = factory.user(DOOR, "door", (event_id,))
    return World(
        event_id,
        password,
        codes,
        codes.pop("Sam Ailleurs"),
        f"{settings.base_url}/r/{people[0].token}",
        invitations[WAITING],
    )


def invite_person(session, settings, event_id: int, number: int, name: str) -> int:
    """An invitation of a named person (the factory's are all "Personne N")."""
    return invite(session, settings, event_id, f"personne{number}@example.org", name).id


def forge(code: str) -> str:
    """A ticket's shape, its signature wrong (the last character holds five bits of it)."""
    return code[:-1] + ("B" if code.endswith("A") else "A")


def attended(db: Database, event_id: int) -> dict[str, str]:
    """Name → the device that let them in, for the people inside."""
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(Contact.first_name, Contact.last_name, Registration.attended_by)
            .join(Invitation, Invitation.id == Registration.invitation_id)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.ATTENDED,
            )
        ).all()
    return {f"{first} {last}": device for first, last, device in rows}


def fake_camera(path: Path, code: str) -> Path:
    """A few frames (640×480, YUV 4:2:0) of the ticket's QR code, black on white with its quiet
    zone: what Chromium's fake camera shows, looping."""
    width, height, scale = 640, 480, 10
    matrix = segno.make(code, error="m", micro=False).matrix
    side = len(matrix) * scale
    left, top = (width - side) // 2, (height - side) // 2
    luma = bytearray(b"\xff" * (width * height))
    for row, modules in enumerate(matrix):
        for column, dark in enumerate(modules):
            if dark:
                for line in range(scale):
                    start = (top + row * scale + line) * width + left + column * scale
                    luma[start : start + scale] = b"\x00" * scale
    chroma = b"\x80" * (width * height // 2)  # both half-size planes, no colour
    frame = b"FRAME\n" + bytes(luma) + chroma
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * 3)
    return path


def sign_in_at_door(open_browser: Callable[..., Any], base: str, world: World, device: str,
                    arguments: tuple[str, ...] = ()) -> Any:  # fmt: skip
    """A browser on the door page, signed in as the door account, the ticket list downloaded,
    the device named."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser = open_browser(device, arguments)
    browser.get(f"{base}/manage/events/{world.event_id}/checkin")
    browser.find_element(By.ID, "email").send_keys(DOOR)
    browser.find_element(By.ID, "password").send_keys(world.password, Keys.ENTER)
    wait_until(browser, lambda b: b.find_elements(By.ID, "door-code"))
    stored = f"return localStorage.getItem('convier.door.{world.event_id}.tickets') !== null;"
    wait_until(browser, lambda b: b.execute_script(stored))
    field = browser.find_element(By.ID, "door-device")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(device, Keys.TAB)
    return browser


def result(browser: Any) -> tuple[str, str]:
    """The result panel's state (welcome, already_in, refused…) and its text."""
    from selenium.webdriver.common.by import By

    panel = browser.find_element(By.ID, PANEL)
    return panel.get_attribute("data-state"), panel.text


def answered(browser: Any) -> tuple[str, str]:
    """Waits for the panel to show an answer, and returns it."""
    wait_until(browser, lambda b: result(b)[0] not in ("idle", "checking"))
    return result(browser)


def shows(answer: tuple[str, str], state: str, *words: str) -> None:
    """The panel is in `state` and says each of `words`."""
    seen, text = answer
    assert seen == state, text
    assert [word for word in words if word not in text] == [], text


def scan(browser: Any, text: str) -> tuple[str, str]:
    """Types a code into the scanner field with Enter, as a handheld scanner does; the answer."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.find_element(By.ID, "door-next").click()  # the panel cleared first
    browser.find_element(By.ID, "door-code").send_keys(text, Keys.ENTER)
    return answered(browser)


def accessible(browser: Any) -> None:
    assert axe_violations(browser) == [], result(browser)


def phone(browser: Any) -> None:
    """The page as a phone held in portrait shows it."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True},
    )


def paris_clock(moment: Any) -> str:
    return moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")


def test_the_camera_reads_a_ticket_green_then_orange(db, world, server, open_browser, tmp_path):
    from selenium.webdriver.common.by import By

    name = "Awa Diallo"
    video = fake_camera(tmp_path / "ticket.y4m", world.codes[name])
    camera = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              f"--use-file-for-fake-video-capture={video}")  # fmt: skip
    wasm = requests.get(f"{server}/static/vendor/zxing_reader.wasm", timeout=10)
    assert wasm.headers["Content-Type"] == "application/wasm"  # compiled as it streams

    browser = sign_in_at_door(open_browser, server, world, "Porte caméra", camera)
    accessible(browser)
    browser.find_element(By.ID, "door-camera").click()
    shows(answered(browser), "welcome", "Bienvenue", name, "Réseau des PTCE")
    assert attended(db, world.event_id) == {name: "Porte caméra"}
    wait_until(browser, lambda b: b.find_element(By.ID, "door-inside").text == "1")
    assert browser.find_element(By.ID, "door-expected").text == "5"
    accessible(browser)

    # Still in view, the code is not read again; "next person" lets the camera read it anew.
    browser.find_element(By.ID, "door-next").click()
    state, text = answered(browser)
    assert state == "already_in", text
    with db.transaction(write=False) as session:
        moment = session.scalar(
            select(Registration.attended_at).where(Registration.attended_by == "Porte caméra")
        )
    assert f"Arrivée enregistrée à {paris_clock(moment)} par « Porte caméra »." in text
    accessible(browser)

    # The decoder came from our server, nothing from a CDN.
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);"
    )
    assert f"{server}/static/vendor/zxing_reader.wasm" in loaded
    assert all(url.startswith(server) for url in loaded), loaded
    browser.find_element(By.ID, "door-camera").click()  # off
    assert not browser.find_element(By.ID, "door-video").is_displayed()


def test_the_scanner_field_and_the_name_search(db, world, server, open_browser):
    from selenium.webdriver.common.by import By

    browser = sign_in_at_door(open_browser, server, world, "Porte 1")
    phone(browser)
    accessible(browser)

    shows(scan(browser, world.codes["Marc Lefèvre"]), "welcome", "Marc Lefèvre")
    # A QWERTY scanner typing into an AZERTY computer: digits as &é"'(-è_çà, lower case.
    mangled = world.codes["Jean Martin"].lower().translate(AZERTY)
    assert mangled != world.codes["Jean Martin"].lower()
    shows(scan(browser, mangled), "welcome", "Jean Martin")
    accessible(browser)
    shows(scan(browser, world.codes["Marc Lefèvre"]), "already_in", "« Porte 1 »")
    accessible(browser)
    wait_until(browser, lambda b: b.find_element(By.ID, "door-inside").text == "2")

    # The name, without its accent, among the people of the downloaded list.
    browser.find_element(By.ID, "door-next").click()
    browser.find_element(By.ID, "door-search").send_keys("helene")
    found = browser.find_elements(By.CSS_SELECTOR, "#door-search-results button")
    assert [button.text.split("\n")[0] for button in found] == ["Hélène Dupré"]
    assert "Personnes trouvées : 1" in browser.find_element(By.ID, "door-search-count").text
    accessible(browser)
    found[0].click()
    shows(answered(browser), "welcome", "Hélène Dupré")
    assert set(attended(db, world.event_id)) == {"Marc Lefèvre", "Jean Martin", "Hélène Dupré"}

    # Undo: the last check-in of this device only.
    undo = browser.find_element(By.ID, "door-undo")
    assert undo.text == "Annuler l’entrée : Hélène Dupré"
    undo.click()
    wait_until(browser, lambda b: result(b)[0] == "undone")
    assert set(attended(db, world.event_id)) == {"Marc Lefèvre", "Jean Martin"}
    assert not browser.find_element(By.ID, "door-undo").is_enabled()
    accessible(browser)


def test_two_devices_scanning_one_ticket_let_the_person_in_once(db, world, server, open_browser):
    from selenium.webdriver.common.by import By

    code = world.codes["Chloé Bernard"]
    doors = [sign_in_at_door(open_browser, server, world, f"Porte {n}") for n in (1, 2)]
    for browser in doors:
        browser.find_element(By.ID, "door-code").send_keys(code)
    # Both forms sent at the same instant of the shared clock.
    at = doors[0].execute_script("return Date.now() + 400;")
    for browser in doors:
        browser.execute_script(
            "setTimeout(() => document.getElementById('door-code-form').requestSubmit(),"
            " arguments[0] - Date.now());",
            at,
        )
    answers = [answered(browser) for browser in doors]
    states = sorted(state for state, _ in answers)
    assert states == ["already_in", "welcome"], answers
    first = next(n for n, (state, _) in zip((1, 2), answers, strict=True) if state == "welcome")
    assert attended(db, world.event_id) == {"Chloé Bernard": f"Porte {first}"}
    orange = next(text for state, text in answers if state == "already_in")
    assert f"« Porte {first} »" in orange


def test_scans_made_offline_are_sent_when_the_network_is_back(
    db, settings, world, server, open_browser
):
    from selenium.webdriver.common.by import By

    browser = sign_in_at_door(open_browser, server, world, "Porte 1")
    browser.set_network_conditions(
        offline=True, latency=0, download_throughput=-1, upload_throughput=-1
    )
    for name in ("Hélène Dupré", "Marc Lefèvre", "Awa Diallo"):
        shows(scan(browser, world.codes[name]), "welcome", name, "Vérifié hors ligne")
    shows(scan(browser, world.codes["Awa Diallo"]), "already_in", "« Porte 1 »")
    shows(scan(browser, world.codes[WAITING]), "refused", "En liste d’attente")
    unknown = "Billet inconnu de la liste téléchargée à"  # a forged code is in no list
    shows(scan(browser, forge(world.codes["Jean Martin"])), "refused", unknown)

    banner = browser.find_element(By.ID, "door-offline")
    assert banner.is_displayed()
    for words in ("Hors ligne depuis", "Entrées en attente d’envoi : 3", "liste téléchargée à"):
        assert words in banner.text
    assert browser.find_element(By.ID, "door-inside").text == "3"
    assert attended(db, world.event_id) == {}
    accessible(browser)

    # Meanwhile another device let Awa in, earlier: the earliest scan is the one kept.
    with db.transaction() as session:
        earlier = utcnow() - timedelta(minutes=1)
        scan_ = door.check_in(
            session, settings, world.event_id, world.codes["Awa Diallo"], "Porte 2", DOOR, earlier
        )
        assert scan_.verdict is door.Verdict.WELCOME

    browser.set_network_conditions(
        offline=False, latency=0, download_throughput=-1, upload_throughput=-1
    )
    wait_until(browser, lambda b: len(attended(db, world.event_id)) == 3)
    assert attended(db, world.event_id) == {
        "Hélène Dupré": "Porte 1", "Marc Lefèvre": "Porte 1", "Awa Diallo": "Porte 2",
    }  # fmt: skip
    wait_until(browser, lambda b: not b.find_element(By.ID, "door-offline").is_displayed())
    conflicts = browser.find_element(By.ID, "door-conflicts")
    assert conflicts.is_displayed()
    assert f"Awa Diallo : scanné aussi par « Porte 2 » à {paris_clock(earlier)}" in conflicts.text
    accessible(browser)


def test_refused_tickets_say_why_and_walk_ins(db, world, server, open_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser = sign_in_at_door(open_browser, server, world, "Porte 1")
    page = browser.current_url
    refusals = {
        forge(world.codes["Jean Martin"]): "Faux billet",
        world.codes[CANCELLED]: "Inscription annulée.",
        world.codes[WAITING]: "En liste d’attente : pas de place confirmée.",
        world.other_event_code: "Billet d’un autre événement.",
        world.personal_link: "C’est le lien personnel d’inscription, pas le billet",
    }
    for typed, words in refusals.items():
        shows(scan(browser, typed), "refused", "Refusé", words)
    # The personal link opened nothing: the same page, the same single window.
    assert (browser.current_url, len(browser.window_handles)) == (page, 1)
    accessible(browser)
    phone(browser)
    accessible(browser)
    assert attended(db, world.event_id) == {}

    # A walk-in: a bad address is said beside its field; then the free seat; then none left.
    # (Nobody waits any more: the waitlist is served before newcomers, at the door too.)
    act(db, world.waiting, registrations.cancel)
    name = browser.find_element(By.ID, "door-walk-in-name")
    email = browser.find_element(By.ID, "door-walk-in-email")
    name.send_keys("Zoé Nouvelle")
    email.send_keys("zoe@", Keys.ENTER)
    error = browser.find_element(By.ID, "door-walk-in-email-error")
    wait_until(browser, lambda b: error.is_displayed())
    assert error.text == "Indiquez une adresse email valide."
    assert email.get_attribute("aria-invalid") == "true"
    accessible(browser)
    browser.find_element(By.ID, "door-next").click()
    email.clear()
    email.send_keys("zoe@example.org", Keys.ENTER)
    shows(answered(browser), "welcome", "Zoé Nouvelle")
    assert attended(db, world.event_id) == {"Zoé Nouvelle": "Porte 1"}
    browser.find_element(By.ID, "door-walk-in-name").send_keys("Léo Tard")
    browser.find_element(By.ID, "door-walk-in-email").send_keys("leo@example.org", Keys.ENTER)
    full = browser.find_element(By.ID, "door-walk-in-error")
    wait_until(browser, lambda b: full.is_displayed())
    assert full.text == "Plus aucune place libre : la personne ne peut pas être inscrite."
    accessible(browser)
