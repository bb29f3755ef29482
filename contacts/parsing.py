"""Reading a mailing-list export (CSV or XLSX) into rows of named contact fields.

Only the file is read here: addresses are neither checked nor normalised (contacts.cleaning
does that). Rows come from a generator, so a 200,000-row export is never held in memory; an
error met while reading them (a damaged sheet, an unclosed quote) is a ParseError too.

Row numbers are those a spreadsheet shows when it opens the file: the header row has its own
number, blank rows count, and in a CSV each record counts once, so a quoted cell spanning
three lines is still one row (Excel and LibreOffice number a CSV the same way).

What one row may hold is bounded, so that memory stays flat however large the file: a cell holds
at most 32,767 characters, as in Excel and LibreOffice (a longer one is refused naming its row
and column), a CSV record at most MAX_RECORD_CHARS characters, and a workbook is checked by
contacts.inflation before openpyxl unzips it.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from contacts.headers import FIELDS, guess_field, normalise_header
from contacts.inflation import inflation_problem
from service.errors import DomainError

# ';' first: Excel in French writes it, and the order breaks ties between equal candidates.
DELIMITERS = (";", ",", "\t")
HEADER_SEARCH_ROWS = 10
SAMPLE_CHARS = 64 * 1024
SAMPLE_RECORDS = 200
CHUNK_BYTES = 1 << 20
IGNORED = ("", "-")
KEPT = "+"  # mapped to no field, the column is kept as extra data (what it would guess is not)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and .xlsx saved with a password
SAVE_AS = "save it from the spreadsheet as CSV or as Excel workbook (.xlsx)"
TEXT_CONTROLS = frozenset("\t\n\r")
EMPTY_CHARS = ' \t\r\n\f\v;,"'  # a file of nothing but these has no cell to read
NOT_TEXT = frozenset(("Cc", "Cn", "Co", "Cs"))  # controls, unassigned, private use, surrogates
MAX_CELL_CHARS = 32_767  # the most a cell of Excel or LibreOffice holds
MAX_COLUMNS = 16_384  # the widest sheet of Excel (column XFD)
# A CSV record is read whole before its cells are seen: beyond this, it is a quote opened and
# never closed, or no table at all.
MAX_RECORD_CHARS = 1 << 20


class ParseError(DomainError):
    """The file as a whole cannot be read; the message tells the organiser why and what to do,
    naming the import's parameters (`map`, `sheet`) as the CLI and the API both call them."""

    status = 422
    code = "unreadable"
    # When no header names an email column: the header of a column whose cells are addresses.
    address_column: str | None = None


@dataclass(frozen=True, slots=True)
class SheetRow:
    """A data row: its number as a spreadsheet shows it, its fields and its other cells."""

    number: int
    values: dict[str, str]  # field -> stripped cell text, "" when the cell is empty or missing
    extra: dict[str, str]  # unmapped column -> stripped cell text, non-empty cells only


@dataclass
class ParsedTable:
    """What was found in the file; `rows` is read lazily, once."""

    format: str  # "csv" or "xlsx"
    encoding: str | None  # codec of a CSV: "utf-8", "utf-8-sig" (with BOM), "cp1252"…
    delimiter: str | None
    sheet: str | None
    header_row: int
    columns: list[str]  # headers as written, stripped; blank ones "column C", repeats suffixed
    mapping: dict[str, str]  # column -> field
    rows: Iterator[SheetRow]


@dataclass(frozen=True)
class _Override:
    """One --map COLUMN=FIELD pair as typed, with its field checked ("" to ignore the column)."""

    column: str
    typed: str
    field: str


@dataclass(frozen=True)
class _Layout:
    """The columns of the header row and where each field and unmapped column sits."""

    columns: list[str]
    mapping: dict[str, str]
    fields: tuple[tuple[str, int], ...]
    extras: tuple[tuple[str, int], ...]


Overrides = dict[str, _Override]  # keyed by the normalised column header


def read_table(
    path: Path,
    mapping_overrides: Mapping[str, str] | None = None,
    sheet: str | None = None,
    *,
    find_addresses: bool = False,
) -> ParsedTable:
    """The table of a CSV or XLSX export (told apart by content), with its rows read lazily.

    With `find_addresses`, a file whose headers name no email column is read with the column
    whose cells are addresses as its email column (for a page that shows the choice to confirm;
    the CLI and the API ask for `map` instead)."""
    path = Path(path)
    overrides = _check_overrides(mapping_overrides or {})
    try:
        return _read(path, overrides, sheet)
    except ParseError as refused:
        if not (find_addresses and refused.address_column):
            raise
        found = _check_overrides({refused.address_column: "email"})
        return _read(path, {**overrides, **found}, sheet)


def _read(path: Path, overrides: Overrides, sheet: str | None) -> ParsedTable:
    magic = _magic(path)
    if magic.startswith(ZIP_MAGIC):
        return _read_xlsx(path, overrides, sheet)
    if magic.startswith(OLE_MAGIC):
        raise ParseError(_not_a_table("it is an old .xls workbook or a password-protected one"))
    if sheet is not None:
        raise ParseError(f"sheet {sheet}: this file is a CSV file, which has no sheets")
    return _read_csv(path, overrides)


# --- Mapping columns to fields ---------------------------------------------------------------


def _check_overrides(pairs: Mapping[str, str]) -> Overrides:
    """The --map pairs keyed by normalised column; ParseError for an unknown field."""
    checked: Overrides = {}
    for column, typed in pairs.items():
        field = typed.strip().lower()
        if field in IGNORED:
            field = ""
        elif field != KEPT and field not in FIELDS:
            raise ParseError(
                f"map {column}={typed}: unknown field {typed!r}; fields are: {', '.join(FIELDS)}"
                f" (or - to ignore the column, {KEPT} to keep it as it is)"
            )
        checked[normalise_header(column)] = _Override(column, typed, field)
    return checked


def _cell_field(cell: str, overrides: Overrides) -> str | None:
    """The field a header cell names, --map first; None when unknown or ignored."""
    override = overrides.get(normalise_header(cell))
    if override is not None:
        return override.field or None
    return guess_field(cell)


ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def _address_column(rows: Sequence[Sequence[str]]) -> str | None:
    """The header of the first column whose cell below its header is an address, among the
    first rows; None when there is none."""
    rows = [row for row in rows[: HEADER_SEARCH_ROWS + 1] if "".join(row).strip()]
    for header, below in itertools.pairwise(rows):
        for index, cell in enumerate(header):
            title = cell.strip()
            if title and index < len(below) and ADDRESS.fullmatch(below[index].strip()):
                return None if ADDRESS.fullmatch(title) else title
    return None


def _find_header(rows: Sequence[Sequence[str]], overrides: Overrides) -> int | None:
    """Index of the first of the first rows that has an email column, or None."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(cell.strip() and _cell_field(cell, overrides) == "email" for cell in row):
            return index
    return None


def _column_label(index: int) -> str:
    """The spreadsheet name of a 0-based column index: 0 -> "column A", 27 -> "column AB"."""
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"column {letters}"


def _column_names(header: Sequence[str]) -> list[str]:
    """Headers as written, stripped; blank ones named by letter, repeats given their letter."""
    cells = list(header)
    while cells and not cells[-1].strip():  # spreadsheets pad rows with empty cells
        cells.pop()
    names: list[str] = []
    for index, cell in enumerate(cells):
        name = cell.strip() or _column_label(index)
        if name in names:  # two "Email" columns must stay two distinct keys
            name = f"{name} ({_column_label(index)})"
        names.append(name)
    return names


def _layout(header: Sequence[str], overrides: Overrides, header_row: int) -> _Layout:
    """Which column holds which field: --map first, then known headers, first column wins."""
    _check_cells(header_row, header, ())
    columns = _column_names(header)
    if len(columns) > MAX_COLUMNS:
        raise ParseError(
            f"row {header_row}: the header has {len(columns):,} columns, more than the "
            f"{MAX_COLUMNS:,} a spreadsheet can have"
        )
    first_of: dict[str, int] = {}
    for index, column in enumerate(columns):
        first_of.setdefault(normalise_header(column), index)
    for key, override in overrides.items():
        if key not in first_of:
            raise ParseError(
                f"map {override.column}={override.typed}: no column {override.column!r} "
                f"in the header (row {header_row}); the columns are: {_names(columns)}"
            )
    overridden = {first_of[key]: override.field for key, override in overrides.items()}
    chosen: dict[int, str] = {}  # column index -> field, "" when ignored
    # A column named with --map wins its field over one that merely has a known header;
    # among equals the leftmost column wins, and the others go to extra.
    for index, field in sorted(overridden.items()):
        if field != KEPT and (not field or field not in chosen.values()):
            chosen[index] = field
    for index, column in enumerate(columns):
        guessed = guess_field(column)
        if index not in overridden and guessed and guessed not in chosen.values():
            chosen[index] = guessed
    fields = tuple((field, index) for index, field in sorted(chosen.items()) if field)
    extras = tuple((column, i) for i, column in enumerate(columns) if i not in chosen)
    mapping = {columns[index]: field for field, index in fields}
    return _Layout(columns, mapping, fields, extras)


def _rows(records: Iterable[tuple[int, Sequence[str]]], layout: _Layout) -> Iterator[SheetRow]:
    """SheetRows from numbered records; blank ones skipped, surplus cells in extra."""
    fields, extras, width = layout.fields, layout.extras, len(layout.columns)
    for number, cells in records:
        text = "".join(cells)
        if len(text) > MAX_CELL_CHARS:  # a cell may be too long: never so when all are short
            _check_cells(number, cells, layout.columns)
        if not text.strip():
            continue
        count = len(cells)
        values = {field: cells[index].strip() if index < count else "" for field, index in fields}
        extra: dict[str, str] = {}
        for column, index in extras:
            if index < count and (text := cells[index].strip()):
                extra[column] = text
        for index in range(width, count):
            if text := cells[index].strip():
                extra[_column_label(index)] = text
        yield SheetRow(number, values, extra)


def _check_cells(number: int, cells: Sequence[str], columns: Sequence[str]) -> None:
    """ParseError naming the row and column of a cell longer than a spreadsheet cell can be."""
    if max(map(len, cells), default=0) <= MAX_CELL_CHARS:
        return
    index = next(i for i, cell in enumerate(cells) if len(cell) > MAX_CELL_CHARS)
    column = columns[index] if index < len(columns) else _column_label(index)
    raise ParseError(
        f"row {number}, column {_names([column])}: the cell holds {len(cells[index]):,} "
        f"characters, more than the {MAX_CELL_CHARS:,} a spreadsheet cell can hold; shorten it "
        "or delete the column"
    )


# --- Messages --------------------------------------------------------------------------------


def _names(names: Sequence[str], limit: int = 20) -> str:
    """Names quoted for a message, shortened when there are many or long ones."""
    shown = [repr(n if len(n) <= 40 else n[:39] + "…") for n in names[:limit]]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return (", ".join(shown) + more) or "none"


def _not_a_table(why: str) -> str:
    """The message for a file that is not a spreadsheet export at all."""
    return f"the file is neither a CSV nor an XLSX file ({why}); {SAVE_AS}"


def _no_email(
    seen: Sequence[str],
    overrides: Overrides,
    sheet: str | None = None,
    titles: Sequence[str] = (),
    address_column: str | None = None,
) -> ParseError:
    """No header row with an email column: a --map naming a missing column, or the general case."""
    in_sheet = f" in sheet {sheet!r}" if sheet is not None else ""
    keys = {normalise_header(column) for column in seen}
    for key, override in overrides.items():
        if key not in keys:
            return ParseError(
                f"map {override.column}={override.typed}: no column {override.column!r}"
                f"{in_sheet}; the columns are: {_names(seen)}"
            )
    searched, also = "", ""
    if len(titles) > 1:
        searched, also = f" of any sheet ({_names(titles)})", ", and which sheet with sheet NAME"
    elif sheet is not None:
        searched, in_sheet = f" of sheet {sheet!r}", ""
    refused = ParseError(
        f"no column of email addresses found in the first {HEADER_SEARCH_ROWS} rows{searched}; "
        f"columns seen{in_sheet}: {_names(seen)}. Say which column holds the addresses with "
        f"map COLUMN=email{also}"
    )
    refused.address_column = address_column
    return refused


# --- CSV -------------------------------------------------------------------------------------


def _magic(path: Path) -> bytes:
    """The first bytes of the file, which tell a workbook from text."""
    try:
        with path.open("rb") as file:
            return file.read(8)
    except OSError as exc:
        raise ParseError(f"cannot open the file: {exc.strerror or exc}") from exc


def _read_csv(path: Path, overrides: Overrides) -> ParsedTable:
    """A CSV export: encoding, delimiter and header row found from its first lines."""
    encoding = _detect_encoding(path)
    sample, complete = _sample(path, encoding)
    if not sample.strip(EMPTY_CHARS):
        raise ParseError("the file is empty")
    if _looks_binary(sample):
        raise ParseError(_not_a_table("it holds binary data, not text"))
    delimiter, index, header = _choose_delimiter(sample, complete, overrides)
    header_row = index + 1
    layout = _layout(header, overrides, header_row)
    records = _csv_records(path, encoding, delimiter, header_row + 1)
    return ParsedTable(
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        sheet=None,
        header_row=header_row,
        columns=layout.columns,
        mapping=layout.mapping,
        rows=_rows(records, layout),
    )


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else cp1252 as Excel writes in France, else latin-1."""
    with path.open("rb") as file:
        head = file.read(4)
    candidates = []
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates.append("utf-16")  # Excel's "Unicode text" export
    candidates.append("utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8")
    candidates.append("cp1252")
    for encoding in candidates:
        if _decodes(path, encoding):
            return encoding
    _decodes(path, "latin-1")  # decodes any byte, but NUL bytes must still be refused
    return "latin-1"


def _decodes(path: Path, encoding: str) -> bool:
    """True when the whole file decodes; ParseError on a NUL character (binary data)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as file:
            while chunk := file.read(CHUNK_BYTES):
                if "\x00" in decoder.decode(chunk):
                    raise ParseError(_not_a_table("it holds binary data, not text"))
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _open_text(path: Path, encoding: str) -> IO[str]:
    """The file as text; newline="" so that the csv module sees quoted line breaks as written."""
    return path.open(encoding=encoding, newline="")


def _sample(path: Path, encoding: str) -> tuple[str, bool]:
    """The first characters of the file, and whether they are the whole file."""
    with _open_text(path, encoding) as file:
        sample = file.read(SAMPLE_CHARS)
        return sample, not file.read(1)


def _looks_binary(sample: str) -> bool:
    """True when more than 1% of the text is control or unassigned characters."""
    counts = Counter(sample)
    odd = sum(
        count
        for char, count in counts.items()
        if char not in TEXT_CONTROLS and unicodedata.category(char) in NOT_TEXT
    )
    return odd > max(2, len(sample) // 100)


def _sample_records(sample: str, complete: bool, delimiter: str) -> list[list[str]]:
    """The first records of the sample, the last dropped when the sample cut it short."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        records = list(itertools.islice(reader, SAMPLE_RECORDS))
        cut = not complete and next(reader, None) is None
    except csv.Error as exc:
        raise ParseError(f"the first rows cannot be read as CSV: {exc}") from exc
    return records[:-1] if cut else records


def _choose_delimiter(
    sample: str, complete: bool, overrides: Overrides
) -> tuple[str, int, list[str]]:
    """The delimiter that shows an email column with the most consistent row widths."""
    best: tuple[tuple[int, int], str, int, list[str]] | None = None
    seen: list[str] = []
    address_column = None
    for delimiter in DELIMITERS:
        records = _sample_records(sample, complete, delimiter)
        index = _find_header(records, overrides)
        if index is None:
            address_column = address_column or _address_column(records)
            first = next((r for r in records[:HEADER_SEARCH_ROWS] if "".join(r).strip()), [])
            if len(first) > len(seen):
                seen = _column_names(first)
            continue
        header = records[index]
        data = [r for r in records[index + 1 :] if "".join(r).strip()]
        score = (sum(len(r) == len(header) for r in data), len(header))
        if best is None or score > best[0]:
            best = (score, delimiter, index, header)
    if best is None:
        raise _no_email(seen, overrides, address_column=address_column)
    return best[1], best[2], best[3]


class _RecordTooLong(Exception):
    """A CSV record went past MAX_RECORD_CHARS."""


class _Lines:
    """The lines of a text file for csv.reader, at most MAX_RECORD_CHARS characters for one
    record; a line is read by pieces, so that a file with no line break is never read whole."""

    def __init__(self, file: IO[str]):
        self.file = file
        self.record_chars = 0  # read since the last record ended

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.file.readline(MAX_RECORD_CHARS + 1)
        if not line:
            raise StopIteration
        self.record_chars += len(line)
        if self.record_chars > MAX_RECORD_CHARS:
            raise _RecordTooLong
        return line


def _csv_records(
    path: Path, encoding: str, delimiter: str, first: int
) -> Iterator[tuple[int, list[str]]]:
    """Numbered records from row `first` on; csv errors become ParseErrors naming the row."""
    with _open_text(path, encoding) as file:
        lines = _Lines(file)
        reader = csv.reader(lines, delimiter=delimiter)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                lines.record_chars = 0
                if number >= first:
                    yield number, cells
        except csv.Error as exc:
            raise ParseError(_csv_problem(number + 1, exc)) from exc
        except _RecordTooLong:
            raise ParseError(
                f"row {number + 1} is longer than {MAX_RECORD_CHARS:,} characters, usually "
                'because a quote (") is opened and never closed'
            ) from None


def _csv_problem(number: int, exc: csv.Error) -> str:
    """What a csv module error means for the organiser."""
    if "field larger than field limit" in str(exc):
        return (
            f"row {number}: a cell is longer than {csv.field_size_limit():,} characters, "
            'usually because a quote (") is opened and never closed'
        )
    return f"row {number}: {exc}"


# --- XLSX ------------------------------------------------------------------------------------


def _read_xlsx(path: Path, overrides: Overrides, wanted: str | None) -> ParsedTable:
    """An XLSX workbook: the sheet asked for, or the first one that has an email column."""
    with path.open("rb") as file:
        _check_inflation(file)
        workbook = _load_workbook(file)
        try:
            title, index, header = _choose_sheet(workbook, overrides, wanted)
        finally:
            workbook.close()
    header_row = index + 1
    layout = _layout(header, overrides, header_row)
    records = _workbook_records(path, title, header_row + 1)
    return ParsedTable(
        format="xlsx",
        encoding=None,
        delimiter=None,
        sheet=title,
        header_row=header_row,
        columns=layout.columns,
        mapping=layout.mapping,
        rows=_rows(records, layout),
    )


def sheet_titles(path: Path) -> list[str]:
    """The titles of a workbook's sheets, in order; none for a CSV file."""
    if not _magic(Path(path)).startswith(ZIP_MAGIC):
        return []
    with Path(path).open("rb") as file:
        _check_inflation(file)
        workbook = _load_workbook(file)
        try:
            return list(workbook.sheetnames)
        finally:
            workbook.close()


def _check_inflation(file: IO[bytes]) -> None:
    """ParseError when the workbook would inflate beyond what an import reads."""
    try:
        with zipfile.ZipFile(file) as archive:
            problem = inflation_problem(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a readable archive: openpyxl refuses it, and _zip_kind says what it is
    if problem:
        raise ParseError(problem)


def _load_workbook(file: IO[bytes]) -> Any:
    """The workbook opened read-only with cached values; ParseError when it is no workbook."""
    import openpyxl  # here: CSV imports need not pay for it

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it drops; values are unaffected.
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a foreign or damaged archive
        raise ParseError(_not_a_table(_zip_kind(file))) from exc


def _zip_kind(file: IO[bytes]) -> str:
    """What a ZIP file that openpyxl refused is, for the message."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
                return "it is an OpenDocument file (.ods); open it and save it as .xlsx"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return "it is a damaged ZIP archive"
    return "it is a ZIP archive that is not an Excel workbook"


def _choose_sheet(
    workbook: Any, overrides: Overrides, wanted: str | None
) -> tuple[str, int, list[str]]:
    """The sheet's title, its header's index and header cells; ParseError when none fits."""
    sheets = list(workbook.worksheets)
    titles = [sheet.title for sheet in sheets]
    if wanted is not None:
        sheets = [_find_sheet(sheets, titles, wanted)]
    seen: list[str] = []
    seen_in = sheets[0].title if sheets else ""
    address_column = None
    for sheet in sheets:
        sheet.reset_dimensions()  # the stored size is sometimes wrong and would cut rows off
        head = [cells for _, cells in _guarded(_sheet_records(sheet, 1, HEADER_SEARCH_ROWS))]
        index = _find_header(head, overrides)
        if index is not None:
            return sheet.title, index, head[index]
        address_column = address_column or _address_column(head)
        first = next((r for r in head if "".join(r).strip()), [])
        if first and not seen:  # the first sheet with cells, to show what was found
            seen, seen_in = _column_names(first), sheet.title
    if not seen:
        where = f"sheet {sheets[0].title!r}" if len(sheets) == 1 else "the workbook"
        raise ParseError(f"{where} is empty: no cell in its first {HEADER_SEARCH_ROWS} rows")
    titles = [sheet.title for sheet in sheets]
    raise _no_email(seen, overrides, seen_in, titles, address_column)


def _find_sheet(sheets: list[Any], titles: list[str], wanted: str) -> Any:
    """The sheet titled `wanted` (exactly, else ignoring case and spaces); ParseError if none."""
    for sheet in sheets:
        if sheet.title == wanted:
            return sheet
    for sheet in sheets:
        if sheet.title.strip().casefold() == wanted.strip().casefold():
            return sheet
    raise ParseError(f"sheet {wanted}: no such sheet; the sheets are: {_names(titles)}")


def _sheet_records(
    sheet: Any, first: int, last: int | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Numbered rows of cell texts; openpyxl fills missing rows, so numbers stay right."""
    rows = sheet.iter_rows(min_row=first, max_row=last, values_only=True)
    for number, values in enumerate(rows, start=first):
        yield number, [_cell_text(value) for value in values]


def _guarded(records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """The records, any error of a damaged sheet turned into a ParseError naming the row."""
    number = 0
    while True:
        try:
            number, cells = next(records)
        except StopIteration:
            return
        except Exception as exc:  # lxml, zipfile and openpyxl errors alike
            raise ParseError(f"after row {number}: the sheet is damaged ({exc})") from exc
        yield number, cells


def _workbook_records(path: Path, title: str, first: int) -> Iterator[tuple[int, list[str]]]:
    """The rows of a sheet from row `first` on, the workbook opened only while they are read."""
    with path.open("rb") as file:
        workbook = _load_workbook(file)
        try:
            sheet = workbook[title]
            sheet.reset_dimensions()
            yield from _guarded(_sheet_records(sheet, first))
        finally:
            workbook.close()


def _cell_text(value: object) -> str:
    """A cell value as the text a person reads in the spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # A phone typed as a number is stored as 612345678.0; Excel shows 15 digits at most.
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, datetime):
        return _datetime_text(value)
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _datetime_text(value: datetime) -> str:
    """ISO date, with the time to the second when there is one (Excel stores fractions)."""
    rounded = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
    if rounded.time() == time(0):
        return rounded.date().isoformat()
    return rounded.isoformat(sep=" ")
