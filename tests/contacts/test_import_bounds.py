"""What one file may hold: a workbook that inflates without end, a cell longer than a spreadsheet
cell, a CSV record without end are refused with a message saying the bound. No database."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from contacts import inflation
from contacts.parsing import MAX_CELL_CHARS, MAX_RECORD_CHARS, ParseError, read_table
from tests.contacts.workbooks import excel_workbook

MB = 1024 * 1024
HEADER = ["Courriel", "Nom", "Commentaire"]


def rows_of(path: Path) -> list[dict[str, str]]:
    """The mapped values of every row."""
    return [row.values for row in read_table(path).rows]


def test_an_excel_workbook_with_a_table_of_texts_reads(tmp_path: Path) -> None:
    path = excel_workbook(tmp_path / "a.xlsx", [HEADER, ["a@x.fr", "Bé & <Co>", "c"]])
    assert rows_of(path) == [{"email": "a@x.fr", "last_name": "Bé & <Co>"}]


def test_a_zip_bomb_is_refused_before_it_is_unzipped(tmp_path: Path) -> None:
    path = excel_workbook(tmp_path / "bomb.xlsx", [HEADER, ["a@x.fr", "A", ""]], 50 * MB)
    assert path.stat().st_size < 100_000  # 50 MB of XML in under 100 kB
    with pytest.raises(ParseError) as raised:
        read_table(path)
    message = str(raised.value)
    assert "'xl/worksheets/sheet1.xml'" in message
    assert "inflate at most 100 times" in message
    assert "ZIP bomb" in message


def test_a_workbook_inflating_past_the_total_bound_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inflation, "MAX_INFLATED_BYTES", 2 * MB)
    rows = [HEADER] + [[f"p{i}@x{i % 97}.fr", f"Nom {i}", ""] for i in range(40_000)]
    path = excel_workbook(tmp_path / "big.xlsx", rows)
    with pytest.raises(ParseError, match=r"inflates to \d+ MB when unzipped, more than the 2 MB"):
        read_table(path)


def test_a_large_table_of_texts_is_refused_but_a_large_sheet_is_streamed(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(inflation, "MAX_WHOLE_PART_BYTES", 1 * MB)
    many_rows = [HEADER] + [["a@x.fr", "A", ""]] * 20_000  # a 2 MB sheet of 3 texts
    path = excel_workbook(tmp_path / "sheet.xlsx", many_rows)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 1 * MB
    assert len(rows_of(path)) == 20_000
    many_texts = [HEADER] + [[f"p{i}@x{i % 97}.fr", f"Nom {i}", ""] for i in range(40_000)]
    path = excel_workbook(tmp_path / "texts.xlsx", many_texts)
    with pytest.raises(ParseError) as raised:
        read_table(path)
    message = str(raised.value)
    assert message.startswith("the workbook as a whole cannot be read: its table of texts")
    assert "'xl/sharedStrings.xml', which is read whole" in message
    assert "more than 1 MB" in message


def test_a_table_of_texts_disguised_as_a_sheet_is_still_bounded(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(inflation, "MAX_WHOLE_PART_BYTES", 1 * MB)
    rows = [HEADER] + [[f"p{i}@x{i % 97}.fr", f"Nom {i}", ""] for i in range(40_000)]
    source = excel_workbook(tmp_path / "texts.xlsx", rows)
    disguised = tmp_path / "disguised.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(disguised, "w") as copy:
        for part in original.infolist():
            data = original.read(part)
            # The table of texts moved where sheets live, under a sheet's name.
            name = part.filename.replace("xl/sharedStrings.xml", "xl/worksheets/sheet2.xml")
            copy.writestr(
                name, data.replace(b"/xl/sharedStrings.xml", b"/xl/worksheets/sheet2.xml")
            )
    with pytest.raises(ParseError, match=r"'xl/worksheets/sheet2\.xml', which is read whole"):
        read_table(disguised)


def test_a_cell_of_the_table_of_texts_longer_than_excel_allows_names_row_and_column(
    tmp_path: Path,
) -> None:
    rows = [HEADER, ["a@x.fr", "A", "court"], ["b@x.fr", "B", "x" * 40_000]]
    table = read_table(excel_workbook(tmp_path / "long.xlsx", rows))
    with pytest.raises(ParseError) as raised:
        list(table.rows)
    assert str(raised.value).startswith(
        "row 3, column 'Commentaire': the cell holds 40,000 characters, more than the 32,767"
    )


def test_a_csv_cell_longer_than_excel_allows_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(f"Courriel;Nom;Commentaire\na@x.fr;A;\nb@x.fr;B;{'x' * 40_000}\n")
    with pytest.raises(ParseError) as raised:
        rows_of(path)
    assert str(raised.value).startswith(
        "row 3, column 'Commentaire': the cell holds 40,000 characters, more than the 32,767"
    )


def test_a_cell_of_excel_s_largest_size_is_read(tmp_path: Path) -> None:
    path = tmp_path / "full.csv"
    path.write_text(f"Courriel;Nom\na@x.fr;{'x' * MAX_CELL_CHARS}\n")
    assert rows_of(path) == [{"email": "a@x.fr", "last_name": "x" * MAX_CELL_CHARS}]


def test_a_long_cell_beyond_the_header_columns_is_named_by_its_letter(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(f"Courriel;Nom\na@x.fr;A;;{'x' * 40_000}\n")
    with pytest.raises(ParseError, match=r"^row 2, column 'column D': the cell holds 40,000"):
        rows_of(path)


def test_a_csv_without_line_breaks_is_never_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "one-line.csv"
    path.write_text("Courriel;Nom\na@x.fr;A\n" + "b@x.fr;" * (MAX_RECORD_CHARS // 7 + 1))
    with pytest.raises(ParseError, match=r"^row 3 is longer than 1,048,576 characters"):
        rows_of(path)


def test_many_short_cells_in_one_record_are_bounded_too(tmp_path: Path) -> None:
    # Quoted line breaks keep each line short: the bound is on the record, not the line.
    path = tmp_path / "tall.csv"
    path.write_text("Courriel;Nom\n" + '"\n";' * (MAX_RECORD_CHARS // 4 + 1) + "\n")
    with pytest.raises(ParseError, match=r"^row 2 is longer than 1,048,576 characters"):
        rows_of(path)


def test_a_header_wider_than_a_spreadsheet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("Courriel;" + ";".join("c" * 17_000) + "\na@x.fr\n")
    with pytest.raises(ParseError, match=r"^row 1: the header has 17,001 columns, more than"):
        read_table(path)
