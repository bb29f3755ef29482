"""`convier contacts …`: lists, segments, exports and the GDPR commands."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner
from openpyxl import load_workbook

from service.cli import main

EXPORT = (
    "Courriel;Prénom;Nom;Région\n"
    'claire@example.org;Claire;=HYPERLINK("x");Bretagne\n'
    "karim@example.fr;Karim;Benali;Occitanie\n"
)


def run(*args: str, ok: bool = True, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    assert (result.exit_code == 0) is ok, result.output
    return result.output


def test_lists_segments_and_exports(db, tmp_path):
    path = tmp_path / "cncres.csv"
    path.write_text(EXPORT, encoding="utf-8")
    run("contacts", "import", str(path), "--list", "CNCRES")
    assert run("contacts", "lists").split() == ["2", "CNCRES"]
    assert "segment 'bretons': 1 contacts" in run(
        "contacts", "segment", "bretons", "--region", "Bretagne"
    )
    assert "1 contacts" in run("contacts", "segment", "bretons", "--show")
    assert "state: needs an event" in run(
        "contacts", "segment", "x", "--state", "invited", ok=False
    )
    rows = list(
        csv.DictReader(io.StringIO(run("contacts", "export", "--list", "CNCRES").lstrip("\ufeff")))
    )
    assert [r["email"] for r in rows] == ["claire@example.org", "karim@example.fr"]
    assert rows[0]["last_name"] == '\'=HYPERLINK("x")'
    out = tmp_path / "bretons.xlsx"
    run("contacts", "export", "--segment", "bretons", "--format", "xlsx", "--output", str(out))
    sheet = load_workbook(out).active
    assert [c.value for c in sheet[2]][:3] == ["claire@example.org", "Claire", '\'=HYPERLINK("x")']
    assert "exactly one of" in run("contacts", "export", ok=False)
    assert "no list called 'X'" in run("contacts", "export", "--list", "X", ok=False)


def test_export_person_then_erase_then_never_invited_again(db, factory, tmp_path):
    path = tmp_path / "cncres.csv"
    path.write_text(EXPORT, encoding="utf-8")
    run("contacts", "import", str(path), "--list", "CNCRES")
    record = json.loads(run("contacts", "export-person", "Claire@example.org"))
    assert record["contact"]["first_name"] == "Claire"
    run("contacts", "erase", "claire@example.org", stdin="n\n", ok=False)
    assert "erased" in run("contacts", "erase", "claire@example.org", "--yes")
    event_id = factory.event()
    refused = run("invite", "--event", str(event_id), "--email", "claire@example.org", ok=False)
    assert "suppression list" in refused
    again = run("contacts", "import", str(path), "--list", "CNCRES")
    assert "1 suppressed" in again


def test_manual_suppression_keeps_an_address_out(db, tmp_path):
    assert "suppressed" in run("contacts", "suppress", "Karim@Example.fr")
    assert "already suppressed" in run(
        "contacts", "suppress", "karim@example.fr", "--reason", "spam_report"
    )
    path = tmp_path / "cncres.csv"
    path.write_text(EXPORT, encoding="utf-8")
    assert "1 suppressed" in run("contacts", "import", str(path), "--list", "CNCRES")
