"""Segments in the back office: the count follows the criteria as the form is filled, a segment
is saved under a name and opens again with its criteria, a wrong criterion is named, and the
saved segment is what a campaign's composer offers."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from contacts.imports import import_contacts
from contacts.models import Segment
from tests.manage.clients import csrf_token, sign_in
from tests.manage.test_list_import import SAMPLES


@pytest.fixture
def organiser(db, settings, client, factory):
    import_contacts(db, settings, SAMPLES / "cncres.csv", "CNCRES")
    import_contacts(db, settings, SAMPLES / "rtes.csv", "RTES")
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    return client


def kept(answer) -> int:
    match = re.search(
        r"Contacts gardés par ce segment\u00a0: ([\d\s\u202f]+)<", unescape(answer.text)
    )
    assert match is not None, answer.text
    return int(re.sub(r"\D", "", match.group(1)))


def test_the_count_follows_the_criteria(organiser):
    everyone = kept(organiser.get("/manage/segments/count"))
    cncres = kept(organiser.get("/manage/segments/count?lists=CNCRES"))
    both = kept(organiser.get("/manage/segments/count?lists=CNCRES&lists=RTES"))
    in_region = kept(organiser.get("/manage/segments/count?lists=CNCRES&regions=Bretagne"))
    assert cncres == 36
    assert cncres < both <= everyone
    assert 0 < in_region < cncres
    assert kept(organiser.get("/manage/segments/count?regions=Nulle+part")) == 0


def test_a_state_without_its_event_is_named(organiser):
    answer = organiser.get("/manage/segments/count?state=no_answer")
    assert "Choisissez l’événement de cet état." in unescape(answer.text)
    token = csrf_token(organiser, "/manage/segments")
    answer = organiser.post(
        "/manage/segments", data={"csrf_token": token, "name": "Relance", "state": "no_answer"}
    )
    assert answer.status_code == 422
    assert 'href="#event"' in answer.text


def test_a_segment_is_saved_and_opens_again(db, factory, organiser):
    event_id = factory.event(title="Rencontre des PTCE")
    token = csrf_token(organiser, "/manage/segments")
    form = {"csrf_token": token, "name": "Bretons de la CRESS", "lists": "CNCRES",
            "regions": "Bretagne, Pays de la Loire", "event": str(event_id),
            "state": "not_invited"}  # fmt: skip
    assert organiser.post("/manage/segments", data=form).status_code == 302
    page = unescape(organiser.get("/manage/segments").text)
    assert "Le segment «\u00a0Bretons de la CRESS\u00a0» est enregistré" in page
    with db.transaction(write=False) as session:
        rules = session.scalar(select(Segment.rules))
    assert rules == {"lists": ["CNCRES"], "regions": ["Bretagne", "Pays de la Loire"],
                     "event": event_id, "state": "not_invited"}  # fmt: skip
    again = unescape(organiser.get("/manage/segments?name=Bretons de la CRESS").text)
    assert 'value="Bretagne, Pays de la Loire"' in again
    assert '<option value="not_invited" selected>' in again
    composer = organiser.get("/manage/campaigns/new").text
    assert '<option value="Bretons de la CRESS"' in unescape(composer)


def test_a_segment_needs_a_name(organiser):
    token = csrf_token(organiser, "/manage/segments")
    answer = organiser.post("/manage/segments", data={"csrf_token": token, "name": " "})
    assert answer.status_code == 422
    assert "Donnez-lui un nom" in unescape(answer.text)


def test_a_comms_account_counts_and_cannot_save(client, factory, organiser):
    organiser.post("/manage/logout", data={"csrf_token": csrf_token(organiser, "/manage/")})
    sign_in(client, "comms@example.org", factory.user("comms@example.org", "comms"))
    page = client.get("/manage/segments")
    assert page.status_code == 200
    assert "Enregistrer le segment" not in page.text
    assert kept(client.get("/manage/segments/count?lists=RTES")) == 31
    token = csrf_token(client, "/manage/lists")
    answer = client.post("/manage/segments", data={"csrf_token": token, "name": "x"})
    assert answer.status_code == 403
