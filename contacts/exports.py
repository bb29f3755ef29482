"""Export of lists and attendees as CSV (UTF-8 with BOM, for Excel) and XLSX, with cells that
start with = + - @, tab or CR neutralised against spreadsheet formula injection.

A spreadsheet evaluates a cell whose text starts with one of those characters as a formula, so
an address book entry such as `=HYPERLINK("http://…")` would run in the organiser's Excel.
Following OWASP ("CSV Injection"), such a cell is written with a single quote in front: the
spreadsheet shows it as text. Leading spaces and control characters do not hide a trigger
(` =1` and `\\x00=1` are neutralised too). The quote is visible in the cell, which is the
accepted cost: a phone number written `+33 …` comes out as `'+33 …`.

Every cell is written as text, in both formats: XLSX cells are typed as strings, so Excel never
evaluates them nor reads them as numbers or dates (a phone number keeps its leading zero).

Rows come from list_rows (a mailing list) and segment_rows (a segment); the attendees of an event
(service/tracking/exports.py) go through the same writers.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from contacts.models import Contact, MailingList, Membership
from contacts.segments import EventFilter, SegmentRules, segment_query
from service.errors import NotFound

FORMULA_TRIGGERS = frozenset("=+-@\t\r")
# Characters XML 1.0 (so XLSX) cannot hold; removed from XLSX cells.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_TITLE_INVALID = re.compile(r"[\\*?:/\[\]]")
XLSX_TITLE_MAX = 31
CSV_CHUNK_CHARS = 64 * 1024

CONTACT_COLUMNS: tuple[str, ...] = (
    "email", "first_name", "last_name", "organisation", "role", "region", "phone", "language",
)  # fmt: skip
EXPORT_COLUMNS: tuple[str, ...] = (*CONTACT_COLUMNS, "tags", "lists", "added_at")


# --- Cells -------------------------------------------------------------------------------------


def _is_blank(char: str) -> bool:
    """Whitespace or a control character, which a spreadsheet may skip before a formula."""
    return char.isspace() or unicodedata.category(char) == "Cc"


def safe_cell(value: object) -> str:
    """The text of a cell, with a ' in front when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text:
        return text
    if text[0] in FORMULA_TRIGGERS:
        return "'" + text
    for char in text:
        if not _is_blank(char):
            return "'" + text if char in FORMULA_TRIGGERS else text
    return text


def write_csv(
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[str],
    out: BinaryIO,
    *,
    delimiter: str = ",",
) -> None:
    """The rows as CSV: UTF-8 with a BOM (Excel then reads the accents right), CRLF line ends,
    a header row of `columns`, a missing value written empty; every cell through safe_cell.

    `out` only needs a write method, and is left open. French Excel splits on ';' when the file
    is opened by a double click: pass delimiter=";" for it."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")

    def flush() -> None:
        out.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()

    out.write(codecs.BOM_UTF8)
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
        if buffer.tell() >= CSV_CHUNK_CHARS:
            flush()
    flush()


def xlsx_sheet_title(title: str) -> str:
    """A title Excel accepts: at most 31 characters, none of \\ * ? : / [ ], no edge quote."""
    cleaned = XLSX_TITLE_INVALID.sub("-", XLSX_ILLEGAL.sub("", title)).strip(" '")
    return cleaned[:XLSX_TITLE_MAX].strip(" '") or "Export"


def write_xlsx(
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[str],
    out: BinaryIO,
    sheet_title: str = "Export",
    numbers: bool = False,
) -> None:
    """The rows as an XLSX workbook of one sheet, written in streaming mode: a header row, then
    every cell as text (type 's'; with `numbers`, ints and floats as numbers), through
    safe_cell; characters XML cannot hold are removed and line breaks written as LF."""
    from openpyxl import Workbook  # here: CSV exports need not pay for it
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(xlsx_sheet_title(sheet_title))

    def cell(value: object) -> Any:
        if numbers and isinstance(value, int | float) and not isinstance(value, bool):
            return WriteOnlyCell(sheet, value=value)  # a number: nothing a spreadsheet would run
        text = XLSX_ILLEGAL.sub("", "" if value is None else str(value))
        # XML reads a CR back as LF anyway; Excel breaks lines in a cell with LF.
        text = safe_cell(text.replace("\r\n", "\n").replace("\r", "\n"))
        if not text:
            return None  # an empty cell is left out, as Excel does
        written = WriteOnlyCell(sheet, value=text)
        written.data_type = "s"  # never a formula ('f') nor an error code ('e', "#N/A")
        return written

    sheet.append([cell(c) for c in columns])
    for row in rows:
        sheet.append([cell(row.get(c)) for c in columns])
    workbook.save(out)


# --- Rows --------------------------------------------------------------------------------------


def iso(value: datetime | None) -> str:
    """A moment as a cell shows it, to the second; empty when there is none."""
    return value.isoformat(timespec="seconds") if value else ""


def fold(text: str) -> str:
    """A name without accents nor case, so that "Émile" sorts and matches with "emile"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def by_name(row: Mapping[str, Any]) -> tuple[str, str, str]:
    """Sort key of a row: last name, first name (accents and case ignored), address."""
    return (fold(row["last_name"]), fold(row["first_name"]), row["email"])


def contact_fields(contact: Contact) -> dict[str, Any]:
    """The CONTACT_COLUMNS of a contact."""
    return {column: getattr(contact, column) for column in CONTACT_COLUMNS}


def _lists_of(session: Session, contact_ids: Select[Any]) -> dict[int, list[str]]:
    """The names of the lists of each of these contacts."""
    lists: dict[int, list[str]] = {}
    for contact_id, name in session.execute(
        select(Membership.contact_id, MailingList.name)
        .join(MailingList, MailingList.id == Membership.list_id)
        .where(Membership.contact_id.in_(contact_ids))
        .order_by(MailingList.name)
    ):
        lists.setdefault(contact_id, []).append(name)
    return lists


def segment_rows(
    session: Session, rules: SegmentRules, event_filter: EventFilter
) -> list[dict[str, Any]]:
    """The contacts a segment keeps, as rows of EXPORT_COLUMNS, in the order of list_rows."""
    ids = segment_query(rules, event_filter)
    lists = _lists_of(session, ids)
    rows = [
        {
            **contact_fields(contact), "tags": ", ".join(contact.tags),
            "lists": ", ".join(lists.get(contact.id, [])), "added_at": "",
        }
        for contact in session.scalars(select(Contact).where(Contact.id.in_(ids)))
    ]  # fmt: skip
    return sorted(rows, key=by_name)


def list_rows(session: Session, list_name: str) -> list[dict[str, Any]]:
    """The members of a list, one row of EXPORT_COLUMNS each, by last name, first name, address
    (ignoring accents and case, the same on every database); NotFound for an unknown list."""
    list_id = session.scalar(select(MailingList.id).where(MailingList.name == list_name))
    if list_id is None:
        reason = f"no list called {list_name!r}"
        raise NotFound(reason, fields={"list": reason})
    members = session.execute(
        select(Contact, Membership.added_at)
        .join(Membership, Membership.contact_id == Contact.id)
        .where(Membership.list_id == list_id)
    ).all()
    lists = _lists_of(session, select(Membership.contact_id).where(Membership.list_id == list_id))
    rows = [
        {
            **contact_fields(contact),
            "tags": ", ".join(contact.tags),
            "lists": ", ".join(lists.get(contact.id, [])),
            "added_at": iso(added_at),
        }
        for contact, added_at in members
    ]
    return sorted(rows, key=by_name)
