"""Attendee lists and the sign-in sheet: the confirmed people by name, formula-safe."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import update

from contacts.models import Contact
from service.cli import main
from service.registrations import services
from tests.helpers import act


def test_attendees_as_csv_xlsx_and_a_printable_sign_in_sheet(db, factory, tmp_path):
    event_id = factory.event(capacity=2)
    people = factory.invitees(event_id, 3)
    with db.transaction() as session:  # a name a spreadsheet would run as a formula
        session.execute(
            update(Contact).where(Contact.email == people[1].email)
            .values(last_name='=HYPERLINK("http://x")', organisation="<b>Coop</b>")
        )  # fmt: skip
    for person in people:
        act(db, person.invitation_id, services.register, {})  # the third waits
    runner = CliRunner()
    as_csv = runner.invoke(main, ["attendees", "--event", str(event_id)])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.output.lstrip("\ufeff"))))
    # By last name ("0" before "=…"); the third person waits and is not on it.
    assert [row["email"] for row in rows] == [people[0].email, people[1].email]
    assert rows[1]["last_name"].startswith("'=")  # neutralised
    xlsx = tmp_path / "attendees.xlsx"
    runner.invoke(main, ["attendees", "--event", str(event_id), "--format", "xlsx",
                         "--out", str(xlsx)])  # fmt: skip
    sheet = load_workbook(xlsx).active
    assert sheet.max_row == 3
    sheet_html = tmp_path / "emargement.html"
    runner.invoke(main, ["attendees", "--event", str(event_id), "--format", "signin",
                         "--out", str(sheet_html)])  # fmt: skip
    page = sheet_html.read_text()
    assert "Feuille d'émargement" in page
    assert "2 inscrit·e·s" in page
    assert "&lt;b&gt;Coop&lt;/b&gt;" in page  # escaped
    assert people[2].email not in page
