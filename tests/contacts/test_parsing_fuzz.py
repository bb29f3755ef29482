"""Properties of read_table: any file gives rows or a ParseError, never another exception;
and a table written by csv.writer, in any delimiter and encoding it supports, reads back as
it was written (cells stripped, blank rows skipped)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from contacts.headers import guess_field
from contacts.parsing import ParseError, read_table

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    # The file is rewritten for each example; the directory is shared on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Known headers without the email one, and headers no field claims (they land in extra).
OTHER_HEADERS = ("Prénom", "Nom", "Structure", "Fonction", "Région", "Téléphone", "Commentaire")
EMAIL_HEADERS = ("Courriel", "Email", "Adresse e-mail")
# Cells mix delimiters, quotes and line breaks (which csv.writer quotes) with any character
# a person can type; controls other than line breaks and tabs are what binary files hold.
SPECIAL = st.sampled_from([",", ";", "\t", '"', "\n", "\r", " ", "=", "é", "\u00a0"])


def _read_all(path: Path, mapping: dict[str, str] | None = None) -> int:
    """The number of rows read, or -1 for a ParseError; anything else fails the test."""
    try:
        return sum(1 for _ in read_table(path, mapping).rows)
    except ParseError:
        return -1


def _reads_as_written(data: bytes, text: str) -> bool:
    """False when cp1252 bytes are also valid UTF-8 saying something else.

    Such bytes are read as UTF-8, as they should: only a person could tell "Ã©" typed in
    cp1252 from "é" typed in UTF-8.
    """
    try:
        return data.decode("utf-8") == text
    except UnicodeDecodeError:
        return True


@SETTINGS
@given(content=st.binary(max_size=2048))
def test_any_bytes_give_rows_or_parse_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(content)
    _read_all(path)


@SETTINGS
@given(content=st.binary(max_size=1024))
def test_a_header_then_any_bytes_give_rows_or_parse_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(b"Courriel;Nom\r\n" + content)
    _read_all(path)


@SETTINGS
@given(content=st.text(max_size=1024))
def test_any_text_gives_rows_or_parse_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(content.encode("utf-8", "surrogatepass"))
    _read_all(path)


@SETTINGS
@given(
    content=st.text(max_size=1024),
    mapping=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)
def test_any_text_and_map_give_rows_or_parse_error(
    tmp_path: Path, content: str, mapping: dict[str, str]
) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(("Email;Nom;Structure\n" + content).encode("utf-8", "surrogatepass"))
    _read_all(path, mapping)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]], str, str]:
    """Headers (one of them an email column), rows of cells, a delimiter and an encoding."""
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    others = draw(st.lists(st.sampled_from(OTHER_HEADERS), unique=True, max_size=4))
    position = draw(st.integers(0, len(others)))
    headers = [*others[:position], draw(st.sampled_from(EMAIL_HEADERS)), *others[position:]]
    typed = st.characters(
        codec="cp1252" if encoding == "cp1252" else "utf-8",
        exclude_categories=("Cc", "Cs", "Cn", "Co"),
    )
    cell = st.text(st.one_of(typed, SPECIAL), max_size=12)
    rows = draw(st.lists(st.lists(cell, min_size=len(headers), max_size=len(headers)), max_size=8))
    delimiter = draw(st.sampled_from([";", ",", "\t"]))
    return headers, rows, delimiter, encoding


@SETTINGS
@given(table=tables())
def test_written_tables_read_back(
    tmp_path: Path, table: tuple[list[str], list[list[str]], str, str]
) -> None:
    headers, rows, delimiter, encoding = table
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    assume(encoding != "cp1252" or _reads_as_written(data, buffer.getvalue()))
    path = tmp_path / "table.csv"
    path.write_bytes(data)

    parsed = read_table(path)

    assert parsed.delimiter == delimiter or len(headers) == 1
    assert parsed.columns == headers
    fields = {h: guess_field(h) for h in headers}
    expected = [
        (
            number,
            {fields[h]: c.strip() for h, c in zip(headers, cells, strict=True) if fields[h]},
            {
                h: c.strip()
                for h, c in zip(headers, cells, strict=True)
                if not fields[h] and c.strip()
            },
        )
        for number, cells in enumerate(rows, start=2)
        if "".join(cells).strip()
    ]
    assert [(r.number, r.values, r.extra) for r in parsed.rows] == expected


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_round_trip_example(tmp_path: Path, delimiter: str) -> None:
    """The property above on a fixed example, so that a failure of it reads plainly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerows(
        [["Nom", "Courriel"], ['Le "Chêne";\n, ', " a@x.fr "], ["", ""], ["B", "b@x.fr"]]
    )
    path = tmp_path / "t.csv"
    path.write_bytes(buffer.getvalue().encode("cp1252"))
    parsed = read_table(path)
    assert [(r.number, r.values) for r in parsed.rows] == [
        (2, {"last_name": 'Le "Chêne";\n,', "email": "a@x.fr"}),
        (4, {"last_name": "B", "email": "b@x.fr"}),
    ]
