"""An event's page in the back office: counts, waitlist in order, and the registrations table
searched, filtered and sorted, whole or as the rows htmx asks for."""

from __future__ import annotations

import codecs
import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook

from contacts.models import MailingList
from service.campaigns.models import InvitationList
from service.registrations import services
from service.registrations.invitations import invite
from tests.helpers import act
from tests.manage.clients import sign_in

PEOPLE = [  # name, organisation, answer to "lunch"
    ("Claire Martin", "Le Labo de l'ESS", True),
    ("Karim Benali", "COORACE", False),
    ("Odile Kirchner", "RTES", True),
    ("Jean Dupont", "Le Labo de l'ESS", None),
    ("Amina Diallo", "CNCRES", True),
]
QUESTIONS = [{"key": "lunch", "label": "Déjeunerez-vous sur place ?", "kind": "yes_no"}]


@pytest.fixture
def event_id(db, factory, settings) -> int:
    """Two seats, five registrations in PEOPLE's order: two confirmed, three waiting; the first
    three came through the COORACE list."""
    event_id = factory.event(title="Rencontre à deux places", capacity=2, questions=QUESTIONS)
    invitation_ids = []
    with db.transaction() as session:
        network = MailingList(name="COORACE")
        session.add(network)
        for name, organisation, _ in PEOPLE:
            email = name.lower().replace(" ", ".") + "@example.org"
            invitation = invite(session, settings, event_id, email, name)
            invitation.contact.organisation = organisation
            invitation_ids.append(invitation.id)
        session.flush()
        session.add_all(
            InvitationList(invitation_id=i, list_id=network.id) for i in invitation_ids[:3]
        )
    for invitation_id, (_, _, lunch) in zip(invitation_ids, PEOPLE, strict=True):
        answers = {} if lunch is None else {"lunch": lunch}
        act(db, invitation_id, services.register, answers)
    return event_id


@pytest.fixture
def organiser(client, factory):
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    return client


def names_in_table(html: str) -> list[str]:
    """The names of the table's rows, in order."""
    body = html.split('<table class="registrations">', 1)[1]
    return re.findall(r'<th scope="row">([^<]+)</th>', body)


def test_the_page_shows_counts_and_the_waitlist_in_order(db, event_id, organiser):
    page = organiser.get(f"/manage/events/{event_id}").text
    assert "2 places prises sur 2" in page
    waitlist = page.split('id="waitlist"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<th scope="row">([^<]+)</th>', waitlist) == [
        "Odile Kirchner", "Jean Dupont", "Amina Diallo",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", ["Karim Benali", "Amina Diallo", "Jean Dupont", "Odile Kirchner", "Claire Martin"]),
        ("?q=labo", ["Jean Dupont", "Claire Martin"]),
        ("?q=claire%20mar", ["Claire Martin"]),
        ("?q=karim.benali@", ["Karim Benali"]),
        ("?q=100%25", []),
        ("?status=confirmed", ["Karim Benali", "Claire Martin"]),
        ("?status=waitlisted&q=labo", ["Jean Dupont"]),
        ("?list={list}", ["Karim Benali", "Odile Kirchner", "Claire Martin"]),
        ("?sort=oldest", ["Claire Martin", "Karim Benali", "Odile Kirchner", "Jean Dupont",
                          "Amina Diallo"]),
        ("?sort=organisation", ["Amina Diallo", "Karim Benali", "Jean Dupont", "Claire Martin",
                                "Odile Kirchner"]),
    ],
)  # fmt: skip
def test_the_table_is_searched_filtered_and_sorted(db, event_id, organiser, query, names):
    with db.transaction(write=False) as session:
        list_id = session.query(MailingList.id).scalar()
    page = organiser.get(f"/manage/events/{event_id}{query.format(list=list_id)}")
    assert page.status_code == 200
    assert names_in_table(page.text) == names


def test_htmx_gets_the_rows_alone(db, event_id, organiser):
    rows = organiser.get(f"/manage/events/{event_id}?q=coorace", headers={"HX-Request": "true"})
    assert rows.status_code == 200
    assert "<html" not in rows.text
    assert names_in_table(rows.text) == ["Karim Benali"]
    assert "1 inscription trouvée" in rows.text


def test_answers_are_readable_columns(db, event_id, organiser):
    page = organiser.get(f"/manage/events/{event_id}?q=claire").text
    assert "Déjeunerez-vous sur place ?" in page
    row = page.split('<th scope="row">Claire Martin</th>', 1)[1].split("</tr>", 1)[0]
    assert "<td>oui</td>" in row


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?status=maybe", "status"),
        ("?list=coorace", "list"),
        ("?list=²", "list"),
        ("?sort=height", "sort"),
    ],
)
def test_a_parameter_not_understood_is_named_and_ignored(db, event_id, organiser, query, parameter):
    page = organiser.get(f"/manage/events/{event_id}{query}")
    assert page.status_code == 200
    assert f"(paramètre {parameter})" in page.text
    assert len(names_in_table(page.text)) == len(PEOPLE)


def test_the_page_speaks_english_when_asked(db, event_id, organiser):
    page = organiser.get(f"/manage/events/{event_id}?lang=en").text
    assert '<html lang="en">' in page
    assert "Waiting list" in page


def test_the_csv_opens_in_french_excel_with_the_tables_rows(db, event_id, organiser):
    answer = organiser.get(f"/manage/events/{event_id}/registrations.csv?status=waitlisted")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].endswith('-inscriptions.csv"')
    assert answer.data.startswith(codecs.BOM_UTF8)
    lines = answer.data.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Nom;Prénom;Organisation;Adresse email;État;Inscrit le;N° d’attente;"
        "Réponse attendue avant;Déjeunerez-vous sur place ?"
    )
    cells = [line.split(";") for line in lines[1:]]
    assert [(row[0], row[4], row[8]) for row in cells] == [
        ("Diallo", "En liste d’attente", "oui"),
        ("Dupont", "En liste d’attente", "non"),  # an unticked box is a no
        ("Kirchner", "En liste d’attente", "oui"),
    ]


def test_the_xlsx_has_english_headers_when_the_page_is_english(db, event_id, organiser):
    answer = organiser.get(f"/manage/events/{event_id}/registrations.xlsx?lang=en&sort=oldest")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:5] == ["Last name", "First name", "Organisation", "Email address", "State"]
    assert [row[0] for row in rows[1:]] == ["Martin", "Benali", "Kirchner", "Dupont", "Diallo"]
    assert rows[1][4] == "Confirmed"
    assert rows[1][8] == "yes"


def test_the_sign_in_sheet_lists_the_seats_held_and_counts_the_answers(db, event_id, organiser):
    sheet = organiser.get(f"/manage/events/{event_id}/sign-in-sheet")
    assert sheet.status_code == 200
    assert "Martin" in sheet.text
    assert "Benali" in sheet.text
    assert "Kirchner" not in sheet.text
    assert "<dd>1 oui, 1 non</dd>" in sheet.text
    # Styles linked, not inline: the Content-Security-Policy refuses inline styles.
    assert "<style>" not in sheet.text
    assert '<link rel="stylesheet" href="/static/print.css">' in sheet.text


def test_exports_are_for_staff_who_may_export(db, event_id, client, factory):
    sign_in(client, "porte@example.org", factory.user("porte@example.org", "door", (event_id,)))
    assert "Télécharger" not in client.get(f"/manage/events/{event_id}").text
    assert client.get(f"/manage/events/{event_id}/registrations.csv").status_code == 403
    assert client.get(f"/manage/events/{event_id}/sign-in-sheet").status_code == 403


def test_the_answers_are_counted_among_the_people_holding_a_seat(db, event_id, organiser):
    page = unescape(organiser.get(f"/manage/events/{event_id}").text)
    answers = page.split('id="answers"', 1)[1].split("</section>", 1)[0]
    assert "Déjeunerez-vous sur place ?" in answers
    assert "1 oui, 1 non" in answers  # Claire yes, Karim no; the three waiting are not counted


def test_the_counters_are_served_alone_for_the_page_to_refresh_them(
    db, event_id, organiser, factory
):
    before = organiser.get(f"/manage/events/{event_id}/seats").text
    assert '<dd data-state="waitlisted">3</dd>' in before
    late = factory.invitees(event_id, 1, prefix="late")[0]
    act(db, late.invitation_id, services.register, {})
    after = organiser.get(f"/manage/events/{event_id}/seats").text
    assert "<html" not in after
    assert '<dd data-state="waitlisted">4</dd>' in after


STRUCTURE = {"key": "structure", "label": "Vous venez au titre de", "kind": "choice",
             "choices": ["Collectivité", "Réseau"],
             "choices_en": ["Local authority", "Network"]}  # fmt: skip


@pytest.fixture
def chose_network(db, factory) -> int:
    """An event whose one registration answered « Réseau » to a question with English options."""
    event_id = factory.event(questions=[STRUCTURE])
    [person] = factory.invitees(event_id, 1)
    act(db, person.invitation_id, services.register, {"structure": "Réseau"})
    return event_id


@pytest.mark.parametrize(("lang", "option"), [("fr", "Réseau"), ("en", "Network")])
def test_chosen_options_are_read_in_the_pages_language(db, chose_network, organiser, lang, option):
    page = unescape(organiser.get(f"/manage/events/{chose_network}?lang={lang}").text)
    answers = page.split('id="answers"', 1)[1].split("</section>", 1)[0]
    assert f"{option} : 1" in answers
    row = page.split('<th scope="row">Personne 0</th>', 1)[1].split("</tr>", 1)[0]
    assert f"<td>{option}</td>" in row
    export = organiser.get(f"/manage/events/{chose_network}/registrations.csv?lang={lang}")
    assert export.data.decode("utf-8-sig").splitlines()[1].split(";")[8] == option
