"""The communication pages on the statistics fixture (tests/tracking/test_stats.py), where every
figure is known: the event home's tiles and attention strip, the tables the charts are drawn
from, each export, the lists compared and one list's page; who may see them."""

from __future__ import annotations

import codecs
import csv
import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from contacts.models import Contact, MailingList
from service.db import utcnow
from service.registrations import services as registrations
from service.registrations.models import Invitation
from tests.campaigns.conftest import email
from tests.helpers import act
from tests.manage.clients import sign_in
from tests.tracking.test_stats import _setup

# invited, sent, delivered, opened, clicked, answered, registered, declined, wrote, bounced,
# unsubscribed, rate (%): as the page's tables and files write them
CNCRES = ["10", "9", "8", "3", "1", "4", "2", "1", "1", "1", "1", "50"]
TOTAL = ["20", "19", "18", "3", "1", "4", "2", "1", "1", "1", "1", "22,2"]


@pytest.fixture
def event_id(db, settings, factory, network) -> int:
    return _setup(db, settings, factory)


@pytest.fixture
def organiser(client, factory):
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    return client


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def tile(html: str, name: str) -> str:
    found = re.search(rf'data-tile="{name}">([^<]*)<', html)
    assert found is not None, name
    return " ".join(unescape(found[1]).split())


def table_rows(html: str, table: str) -> dict[str, list[str]]:
    """A table of figures as its row labels → the text of its cells."""
    body = re.search(rf'<table id="{table}-table".*?<tbody>(.*?)</tbody>', html, re.S)
    assert body is not None, table
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body[1], re.S):
        cells = [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def test_the_event_home_shows_the_tiles_and_what_needs_attention(organiser, event_id):
    page = organiser.get(f"/manage/events/{event_id}").text
    assert tile(page, "seats") == "1 / 1"
    assert tile(page, "waitlist") == "1"
    assert tile(page, "today") == "2"  # persons 0 and 1 registered; 4 declined
    assert tile(page, "rate") == "22 %"  # 4 people answered of the 18 reached
    assert tile(page, "failed") == "0"
    assert tile(page, "replies") == "1"  # person 5 wrote; 6's automatic reply does not count
    strip = text_of(page[page.index('class="attention"') :])
    assert "1 réponse attend d’être traitée" in strip
    assert "1 adresse rejette nos emails" in strip  # person 9 bounced
    assert "1 personne s’est désinscrite ou a signalé un spam" in strip  # person 8
    assert "échec" not in strip.split("Inscriptions")[0]  # no failed email: not listed
    assert f'href="/manage/events/{event_id}?status=waitlisted#registrations"' in page
    assert f'href="/manage/replies?event={event_id}"' in page  # the replies tile opens the inbox


def test_the_tiles_follow_a_registration_as_it_arrives(organiser, db, event_id):
    tiles = f"/manage/events/{event_id}/tiles"
    assert tile(organiser.get(tiles).text, "waitlist") == "1"
    with db.transaction(write=False) as session:
        invitation_id = session.scalar(
            select(Invitation.id)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Contact.email == email(2))
        )
    act(db, invitation_id, registrations.register, {})
    after = organiser.get(tiles).text
    assert tile(after, "waitlist") == "2"
    assert tile(after, "today") == "3"
    assert tile(after, "rate") == "28 %"  # 5 of 18


def test_the_statistics_page_has_each_chart_s_numbers_in_a_table(organiser, event_id):
    page = organiser.get(f"/manage/events/{event_id}/statistics").text
    lists = table_rows(page, "lists")
    assert lists["CNCRES"] == [*CNCRES[:-1], "50 %"]
    assert lists["RTES"] == ["10", "10", "10", "0", "0", "0", "0", "0", "0", "0", "0", "0 %"]
    assert lists["Total (chaque personne une fois)"] == [*TOTAL[:-1], "22 %"]
    campaigns = table_rows(page, "campaigns")
    assert list(campaigns.values()) == [[*TOTAL[:-1], "22 %"]]
    (invitation,) = campaigns
    assert invitation.startswith("Invitation n° ")
    days = table_rows(page, "days")
    today = utcnow().astimezone(organiser.application.extensions["convier.settings"].tz).date()
    assert days == {today.isoformat(): ["2", invitation]}
    waits = table_rows(page, "waits")
    assert waits["1–6 h"] == ["3"]  # sent two hours before persons 0, 1 and 4 answered
    assert sum(int(count) for (count,) in waits.values()) == 3
    assert 'data-chart="timeline"' in page
    assert 'data-chart="grouped"' in page
    assert "vendor/chart.umd.min.js" in page
    assert "ne sont pas comptés" in page  # machine opens and scanner clicks, said in words


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_each_table_downloads_as_csv_for_excel_and_xlsx(organiser, event_id):
    answer = organiser.get(f"/manage/events/{event_id}/figures/lists.csv")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    rows = {row[0]: row[1:] for row in read_csv(answer.data)}
    assert rows["Liste"][-1] == "Taux de réponse (%)"
    assert rows["CNCRES"] == CNCRES
    assert rows["Total (chaque personne une fois)"] == TOTAL
    workbook = organiser.get(f"/manage/events/{event_id}/figures/lists.xlsx").data
    sheet = load_workbook(io.BytesIO(workbook)).active
    values = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True)}
    assert values["CNCRES"] == (10, 9, 8, 3, 1, 4, 2, 1, 1, 1, 1, 50.0)  # numbers, not text
    assert values["Total (chaque personne une fois)"][-1] == 22.2
    days = read_csv(organiser.get(f"/manage/events/{event_id}/figures/days.csv").data)
    assert days[0] == ["Jour", "Inscriptions", "Envois lancés"]
    assert [row[1] for row in days[1:]] == ["2"]
    waits = read_csv(organiser.get(f"/manage/events/{event_id}/figures/waits.csv").data)
    assert ["1–6 h", "3"] in waits
    assert organiser.get(f"/manage/events/{event_id}/figures/people.csv").status_code == 404


def test_the_lists_page_compares_the_lists_and_opens_each(organiser, db, event_id):
    page = organiser.get(f"/manage/events/{event_id}/lists").text
    compared = table_rows(page, "compared")
    # invited, delivered, answered, registered, rate, followed up, answered after, rate, before
    assert compared["CNCRES"] == ["10", "8", "4", "2", "50 %", "0", "0", "—", ""]
    assert compared["MES"][:5] == ["3", "3", "1", "1", "33 %"]
    with db.transaction(write=False) as session:
        cncres = session.scalar(select(MailingList.id).where(MailingList.name == "CNCRES"))
    assert f'href="/manage/events/{event_id}/lists/{cncres}"' in page
    one = organiser.get(f"/manage/events/{event_id}/lists/{cncres}").text
    assert re.search(r'data-step="rate">50\s%<', one)
    assert table_rows(one, "history") == {"Rencontre de test": [*CNCRES[:-1], "50 %"]}
    assert "n’a pas servi à un événement précédent" in one
    assert "Aucune relance" in one
    assert "Créer un lien de rapport" in one  # the partner network's report, from here
    listed = read_csv(organiser.get(f"/manage/events/{event_id}/lists/{cncres}.csv").data)
    assert listed[1] == ["Rencontre de test", *CNCRES]
    assert organiser.get(f"/manage/events/{event_id}/lists/999999").status_code == 404


def test_comms_sees_the_figures_and_a_door_account_does_not(app, client, factory, event_id):
    sign_in(client, "comms@example.org", factory.user("comms@example.org", "comms"))
    assert 'data-tile="rate"' in client.get(f"/manage/events/{event_id}").text
    assert client.get(f"/manage/events/{event_id}/statistics").status_code == 200
    assert client.get(f"/manage/events/{event_id}/figures/lists.xlsx").status_code == 200
    door = app.test_client()
    sign_in(door, "porte@example.org", factory.user("porte@example.org", "door", (event_id,)))
    home = door.get(f"/manage/events/{event_id}")
    assert home.status_code == 200
    assert 'data-tile="rate"' not in home.text
    for page in ("statistics", "tiles", "lists", "figures/lists.csv"):
        assert door.get(f"/manage/events/{event_id}/{page}").status_code == 403, page


def test_an_event_nobody_was_invited_to_has_empty_tables(organiser, factory):
    event_id = factory.event(title="Pas encore d'invitations")
    page = organiser.get(f"/manage/events/{event_id}/statistics").text
    assert page.count("Pas encore de chiffres.") == 4
    assert tile(organiser.get(f"/manage/events/{event_id}/tiles").text, "rate") == "—"
