"""Importing network lists: two phases, errors by row and column, idempotent, de-duplicated."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from contacts.imports import import_contacts
from contacts.models import Contact, MailingList, Membership, SuppressionReason
from contacts.suppression import suppress
from service.cli import main

CNCRES = (
    "Courriel;Prénom;Nom;Structure;Fonction;Région\r\n"
    "claire.martin@example.org;Claire;Martin;CRESS Bretagne;Chargée de mission;Bretagne\r\n"
    " Karim.Benali@Example.FR ;Karim;Benali;PTCE Sud Aquitain;Directeur;Nouvelle-Aquitaine\r\n"
    "pas-une-adresse;Jean;Dupont;;;\r\n"
    "karim.benali@example.fr;Karim;Benali;;;Nouvelle-Aquitaine\r\n"
    ";Sans;Adresse;;;\r\n"
    "sophie@example.net;Sophie;Lefèvre;Réseau MES;Présidente;Île-de-France\r\n"
)


def write(tmp_path: Path, name: str, text: str, encoding: str = "cp1252") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def count(db, model) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_valid_rows_are_imported_and_bad_rows_named_by_row_and_column(db, settings, tmp_path):
    report = import_contacts(db, settings, write(tmp_path, "cncres.csv", CNCRES), "CNCRES")
    assert report.summary() | {"rows": report.rows} == {
        "rows": 6, "created": 3, "updated": 0, "unchanged": 0, "merged_duplicates": 1,
        "suppressed": 0, "rejected": 2, "added_to_list": 3,
    }  # fmt: skip
    assert [(e.row, e.column) for e in report.errors] == [(4, "Courriel"), (6, "Courriel")]
    assert "no email address" in report.errors[1].reason
    with db.transaction(write=False) as session:
        karim = session.scalar(select(Contact).where(Contact.email == "karim.benali@example.fr"))
        assert (karim.first_name, karim.organisation, karim.role) == (
            "Karim",
            "PTCE Sud Aquitain",
            "Directeur",
        )
        sophie = session.scalar(select(Contact).where(Contact.email == "sophie@example.net"))
        assert (sophie.last_name, sophie.region) == ("Lefèvre", "Île-de-France")


def test_importing_the_same_file_again_changes_nothing(db, settings, tmp_path):
    path = write(tmp_path, "cncres.csv", CNCRES)
    import_contacts(db, settings, path, "CNCRES")
    again = import_contacts(db, settings, path, "CNCRES")
    assert (again.created, again.updated, again.unchanged, again.added_to_list) == (0, 0, 3, 0)
    assert (count(db, Contact), count(db, Membership)) == (3, 3)


def test_a_person_on_three_lists_is_one_contact_with_three_memberships(db, settings, tmp_path):
    for network in ("CNCRES", "COORACE", "RTES"):
        path = write(
            tmp_path,
            f"{network}.csv",
            f"E-mail,Nom\nClaire.Martin@example.org,Martin ({network})\n",
            "utf-8",
        )
        import_contacts(db, settings, path, network)
    assert (count(db, Contact), count(db, MailingList), count(db, Membership)) == (1, 3, 3)
    with db.transaction(write=False) as session:
        assert session.scalar(select(Contact.last_name)) == "Martin (CNCRES)"


def test_known_contacts_get_only_empty_fields_unless_update(db, settings, tmp_path):
    import_contacts(
        db, settings, write(tmp_path, "a.csv", "email;organisation\na@example.org;Ancienne\n"), "A"
    )
    second = write(
        tmp_path, "b.csv", "email;organisation;fonction\na@example.org;Nouvelle;Trésorière\n"
    )
    assert import_contacts(db, settings, second, "B").updated == 1
    with db.transaction(write=False) as session:
        assert session.execute(select(Contact.organisation, Contact.role)).one() == (
            "Ancienne",
            "Trésorière",
        )
    import_contacts(db, settings, second, "B", overwrite=True)
    with db.transaction(write=False) as session:
        assert session.scalar(select(Contact.organisation)) == "Nouvelle"


def test_a_suppressed_address_is_never_brought_back(db, settings, tmp_path):
    with db.transaction() as session:
        suppress(session, settings, "Sophie@Example.net", SuppressionReason.UNSUBSCRIBED)
    report = import_contacts(db, settings, write(tmp_path, "cncres.csv", CNCRES), "CNCRES")
    assert report.suppressed == 1
    with db.transaction(write=False) as session:
        assert session.scalar(select(Contact).where(Contact.email == "sophie@example.net")) is None


def test_dry_run_counts_everything_and_writes_nothing(db, settings, tmp_path):
    report = import_contacts(
        db, settings, write(tmp_path, "cncres.csv", CNCRES), "CNCRES", dry_run=True
    )
    assert (report.created, report.rejected) == (3, 2)
    assert (count(db, Contact), count(db, MailingList)) == (0, 0)


def test_command_reports_and_fails_when_nothing_could_be_imported(db, tmp_path):
    good = write(tmp_path, "cncres.csv", CNCRES)
    result = CliRunner().invoke(main, ["contacts", "import", str(good), "--list", "CNCRES"])
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    assert "row 4, column 'Courriel'" in result.output
    bad = write(tmp_path, "bad.csv", "Courriel\nnope\n")
    result = CliRunner().invoke(main, ["contacts", "import", str(bad), "--list", "CNCRES"])
    assert result.exit_code == 1
    unknown = CliRunner().invoke(
        main, ["contacts", "import", str(good), "--list", "X", "--map", "Courriel=mail"]
    )
    assert unknown.exit_code != 0
    assert "mail" in unknown.output
    assert count(db, Contact) == 3


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)"])
def test_formula_payloads_are_kept_as_plain_text(db, settings, tmp_path, payload):
    path = write(tmp_path, "f.csv", f"email;nom\nf@example.org;{payload}\n", "utf-8")
    import_contacts(db, settings, path, "F")
    with db.transaction(write=False) as session:
        assert session.scalar(select(Contact.last_name)) == payload


def test_unicode_forms_merge_and_look_alikes_are_refused(db, settings, tmp_path):
    import unicodedata

    rows = [
        "josé@example.org;Composé",
        unicodedata.normalize("NFD", "josé@example.org") + ";Décomposé",
        "ＣＬＡＩＲＥ@example.org;Pleine chasse",
        "claire@example.org;Claire",
        "cl\u0430ire@example.org;Cyrillique",
    ]
    path = write(tmp_path, "u.csv", "email;nom\n" + "\n".join(rows) + "\n", "utf-8")
    report = import_contacts(db, settings, path, "U")
    assert (report.created, report.merged_duplicates) == (2, 2)
    assert [(e.row, e.column) for e in report.errors] == [(6, "email")]
    assert "Cyrillic and Latin" in report.errors[0].reason


def test_likely_duplicates_across_lists_are_reported_not_merged(db, settings, tmp_path):
    first = write(
        tmp_path, "a.csv", "email;prénom;nom;structure\nclaire@example.org;Claire;Martin;CRESS\n"
    )
    import_contacts(db, settings, first, "A")
    second = write(
        tmp_path,
        "b.csv",
        "email;prénom;nom;structure\nc.martin@example.fr;CLAIRE;MARTIN;cress\nautre@example.net;Claire;Martin;SCIC\n",
    )
    report = import_contacts(db, settings, second, "B")
    assert report.warnings == [
        "likely the same person: c.martin@example.fr, claire@example.org (CLAIRE MARTIN, cress)"
    ]
    assert count(db, Contact) == 3


def test_a_file_with_nothing_valid_creates_no_list(db, settings, tmp_path):
    path = write(tmp_path, "bad.csv", "Courriel\nnope\n;\n")
    report = import_contacts(db, settings, path, "VIDE")
    assert (report.rejected, report.imported_nothing) == (2, True)
    assert count(db, MailingList) == 0


def test_control_characters_in_cells_are_removed_at_the_door(db, settings, tmp_path):
    # A quoted cell may hold a line break; an XLSX cell a vertical tab or an escape.
    text = (
        "Courriel;Prénom;Nom;Tags;Remarque\r\n"
        'eve@example.org;"Eve\r\nBcc: x@example.org";Mar\x0btin;"a\x1b,b";"note\x07"\r\n'
    ) + "".join(f"p{i}@example.org;Prénom;Nom;;\r\n" for i in range(20))  # a few controls only
    report = import_contacts(db, settings, write(tmp_path, "list.csv", text, "utf-8"), "L")
    assert report.created == 21
    with db.transaction(write=False) as session:
        eve = session.scalar(select(Contact).where(Contact.email == "eve@example.org"))
        assert (eve.first_name, eve.last_name, eve.tags) == (
            "Eve Bcc: x@example.org",
            "Mar tin",
            ["a", "b"],
        )
        assert eve.extra == {"Remarque": "note"}
