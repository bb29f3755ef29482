"""A list file imported from the back office in two steps, as pretix does: the file is uploaded and
read (its format, header and first rows shown, each column mapped to a field), then a worker
checks every row and, once asked, imports the valid ones (contacts.imports does both), writing
its progress and its report on the upload's row for the page to show.

The file is kept in the database until it is imported, so that any worker can read it, and
deleted then: it holds personal data. The columns mapped at the last import of a list are
remembered and applied to the next file of that list (those of its columns the file has).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from contacts.headers import FIELDS, guess_field, normalise_header
from contacts.imports import ImportReport, import_contacts
from contacts.models import ImportState, ListImport, MailingList
from contacts.parsing import KEPT, ParsedTable, ParseError, read_table, sheet_titles
from service.config import Settings
from service.db import Database, utcnow
from service.errors import Conflict, Invalid, NotFound
from service.text import CONTROLS

PREVIEW_ROWS = 5
PROGRESS_SECONDS = 0.5  # the least time between two writes of an import's progress
State = ImportState
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Detected:
    """What was found in a file: how it is written, its columns and its first rows."""

    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: list[str]
    header_row: int
    columns: list[str]
    mapping: dict[str, str]  # column -> field, for the mapped columns
    rows: list[list[str]]  # the first rows, a cell per column


@contextmanager
def _file(settings: Settings, data: bytes) -> Iterator[Path]:
    """The bytes in a scratch file, removed afterwards (the parser reads files)."""
    folder = settings.var_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix="upload-") as file:
        file.write(data)
        file.flush()
        yield Path(file.name)


def _cells(table: ParsedTable, count: int) -> list[list[str]]:
    """The first `count` rows, one cell per column."""
    rows = []
    for _, row in zip(range(count), table.rows, strict=False):
        rows.append(
            [
                row.values.get(table.mapping[c], "") if c in table.mapping else row.extra.get(c, "")
                for c in table.columns
            ]
        )
    return rows


def _applying(path: Path, mapping: dict[str, str], sheet: str | None) -> ParsedTable:
    """The table read with those of `mapping`'s columns the file has."""
    try:
        return read_table(path, mapping, sheet, find_addresses=True)
    except ParseError:
        table = read_table(path, None, sheet, find_addresses=True)  # the file's own problem
    present = {normalise_header(column) for column in table.columns}
    kept = {k: v for k, v in mapping.items() if normalise_header(k) in present}
    return read_table(path, kept, sheet, find_addresses=True) if kept else table


def detect(path: Path, mapping: dict[str, str], sheet: str | None = None) -> Detected:
    """What the file holds, read with `mapping`; ParseError when it cannot be read."""
    table = _applying(path, mapping, sheet)
    return Detected(
        format=table.format, encoding=table.encoding, delimiter=table.delimiter,
        sheet=table.sheet, sheets=sheet_titles(path), header_row=table.header_row,
        columns=table.columns, mapping=table.mapping, rows=_cells(table, PREVIEW_ROWS),
    )  # fmt: skip


def detected(settings: Settings, upload: ListImport) -> Detected:
    """What the uploaded file holds, read with the upload's mapping and sheet."""
    with _file(settings, upload.data) as path:
        return detect(path, upload.mapping, upload.sheet or None)


def _list_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("list", "required: the name of the list the file fills")
    if len(name) > 200 or CONTROLS.search(name):
        raise Invalid("list", "one line of at most 200 characters")
    return name


def upload(
    session: Session,
    settings: Settings,
    list_name: str,
    source: str,
    data: bytes,
    *,
    network: str = "",
    user_id: int | None = None,
) -> ListImport:
    """Keep an uploaded file once it is read, with the list's remembered mapping; Invalid or
    ParseError (nothing kept) when the list's name or the file is wrong."""
    list_name = _list_name(list_name)
    remembered = session.scalar(
        select(MailingList.column_mapping).where(MailingList.name == list_name)
    )
    with _file(settings, data) as path:
        found = detect(path, remembered or {})
    mapping = overrides(found.columns, found.mapping)
    item = ListImport(
        list_name=list_name, network=" ".join(network.split())[:200], source=source[:300],
        data=data, mapping=mapping, sheet=found.sheet or "", user_id=user_id,
    )  # fmt: skip
    session.add(item)
    session.flush()
    return item


def get(session: Session, import_id: int) -> ListImport:
    """The upload, or NotFound."""
    item = session.get(ListImport, import_id)
    if item is None:
        raise NotFound(f"no import {import_id}")
    return item


def overrides(columns: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """What the parser is told: the columns mapped to a field, and those it would guess a field
    for but that feed none, kept as extra data like the other columns."""
    kept = {c: KEPT for c in columns if c not in mapping and guess_field(c) is not None}
    return {**mapping, **kept}


def set_mapping(
    session: Session, settings: Settings, import_id: int, columns_of: dict[str, str], sheet: str
) -> ListImport:
    """Choose the column each field is read from (field -> column, "" for none) and the sheet;
    the file is read again with them. Invalid, naming the field, for an unknown field or column,
    a column chosen twice, or no column for the address."""
    item = _in_state(session, import_id, (State.UPLOADED, State.CHECKED))
    with _file(settings, item.data) as path:
        if sheet != item.sheet:  # another sheet has other columns: its own guesses first
            found = detect(path, {}, sheet or None)
        else:
            columns = detect(path, item.mapping, sheet or None).columns
            found = detect(path, _chosen(columns, columns_of), sheet or None)
    item.mapping = overrides(found.columns, found.mapping)
    item.sheet = found.sheet or ""
    item.state, item.report = State.UPLOADED, {}
    return item


def _chosen(columns: list[str], columns_of: dict[str, str]) -> dict[str, str]:
    """column -> field from field -> column, every choice checked."""
    mapping: dict[str, str] = {}
    for field, column in columns_of.items():
        if field not in FIELDS:
            raise Invalid(field, "unknown field")
        if not column:
            continue
        if column not in columns:
            raise Invalid(field, f"no column {column!r} in the file")
        if column in mapping:
            raise Invalid(field, f"column {column!r} already feeds {mapping[column]!r}")
        mapping[column] = field
    if "email" not in mapping.values():
        raise Invalid("email", "choose the column that holds the email addresses")
    return overrides(columns, mapping)


def _in_state(session: Session, import_id: int, allowed: tuple[State, ...]) -> ListImport:
    item = get(session, import_id)
    if item.state not in allowed:
        raise Conflict(f"import {import_id} is {item.state}")
    return item


def start(session: Session, import_id: int, dry_run: bool) -> None:
    """Hand the check (dry run), or the import of a checked file, to a worker's `run`."""
    allowed = (State.UPLOADED, State.CHECKED) if dry_run else (State.CHECKED,)
    item = _in_state(session, import_id, allowed)
    item.state = State.CHECKING if dry_run else State.IMPORTING
    item.phase, item.done, item.total = "", 0, None


def _progress(db: Database, import_id: int) -> Any:
    """A progress callback writing to the upload's row, at most every PROGRESS_SECONDS."""
    last = 0.0

    def note(phase: str, done: int, total: int | None) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_SECONDS:
            return
        last = time.monotonic()
        with db.transaction() as session:
            session.execute(
                update(ListImport)
                .where(ListImport.id == import_id)
                .values(phase=phase, done=done, total=total)
            )

    return note


def _report(report: ImportReport) -> dict[str, Any]:
    return {
        **report.summary(),
        "errors": [[e.row, e.column, e.reason] for e in report.errors],
        "unlisted_errors": report.unlisted_errors,
        "warnings": report.warnings,
    }


def run(db: Database, settings: Settings, import_id: int) -> str:
    """Check or import an upload as `start` asked (a worker's task); its state once done."""
    with db.transaction(write=False) as session:
        item = get(session, import_id)
        if item.state not in (State.CHECKING, State.IMPORTING):
            return item.state.value  # done already, or never started: nothing to do
        dry_run = item.state is State.CHECKING
        data, mapping, sheet = item.data, dict(item.mapping), item.sheet or None
        list_name, source, network = item.list_name, item.source, item.network
    values: dict[str, Any] = {"finished_at": utcnow()}
    try:
        with _file(settings, data) as path:
            report = import_contacts(
                db, settings, path, list_name, mapping, dry_run=dry_run, sheet=sheet,
                progress=_progress(db, import_id), source=source,
            )  # fmt: skip
    except ParseError as refused:
        values.update(state=State.FAILED, problem=refused.message)
    except Exception:  # a lost database, a full disk: the page says so, never "checking" forever
        log.exception("import %s failed", import_id)
        values.update(state=State.FAILED, problem="the import stopped on an unexpected error")
    else:
        values.update(report=_report(report), state=State.CHECKED if dry_run else State.DONE)
    with db.transaction() as session:
        if values["state"] is State.DONE:
            values["data"] = b""
            _remember(session, list_name, network, mapping)
        session.execute(update(ListImport).where(ListImport.id == import_id).values(**values))
    return str(values["state"])


def _remember(session: Session, list_name: str, network: str, mapping: dict[str, str]) -> None:
    """The list's mapping for its next file, and its network when it had none."""
    mailing_list = session.scalar(select(MailingList).where(MailingList.name == list_name))
    if mailing_list is None:  # a file of nothing but refused rows creates no list
        return
    mailing_list.column_mapping = mapping
    if network and not mailing_list.network:
        mailing_list.network = network
