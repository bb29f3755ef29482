"""Importing a network's mailing list in two phases, with memory flat in the file's size.

Phase 1 reads and checks every row before anything is written: the valid rows are kept by address
in a temporary SQLite file (contacts.staging), where rows of one address merge; rows in error are
reported by row number and column (the first MAX_LISTED_ERRORS listed, the others counted) and
skipped; a file that cannot be read at all (ParseError) writes nothing.

Phase 2 writes the valid rows a chunk at a time, each chunk in its own short transaction with
bulk statements (contacts.writing). On SQLite, where one writer at a time holds the database,
chunks last about a quarter of a second and a pause follows each, so that a registration waits
behind an import for one chunk at most. On PostgreSQL chunks of 5,000 are written two at a time,
on two connections. All bad input is caught in phase 1, so a chunk never fails because of it. If
the process dies during phase 2, the chunks already committed stay and the others are not
written: running the same import again completes it, because an import is idempotent (what is
already written counts as unchanged, and nobody joins a list twice).

A dry run does all of phase 2's reads and none of its writes, so it reports the same counts.
"""

from __future__ import annotations

import gc
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from contacts.cleaning import LIMITS, CleanContact, RowRefused, clean_row
from contacts.duplicates import Person, likely_duplicates
from contacts.models import Contact, MailingList
from contacts.parsing import ParsedTable, read_table
from contacts.sql import among
from contacts.staging import Staging
from contacts.suppression import suppressed_among
from contacts.writing import add_members, insert_contacts, members, update_contacts
from service.config import Settings
from service.db import Database, utcnow

CHUNK = 1000  # contacts of the first write transaction on SQLite
# On PostgreSQL a chunk locks only its own rows, so chunks can be larger: fewer statements and
# commits, and fewer reads of the contact table by address.
POSTGRES_CHUNK = 5000
CHUNK_WRITERS = 2  # chunks written at once on PostgreSQL
# On SQLite one writer at a time holds the database, and a writer that finds it taken tries
# again after a sleep that grows to 100 ms (SQLite's busy handler); so there chunks are sized to
# last about CHUNK_SECONDS, and each is followed by a pause longer than that sleep, which lets
# any registration waiting for the database in after one chunk at most.
CHUNK_SECONDS = 0.25
PAUSE_SECONDS = 0.12
CHUNK_RANGE = (100, 10_000)
MAX_LISTED_ERRORS = 1000  # refused rows listed one by one; the others are counted
KNOWN = (  # what is read of the contacts already known: plain rows, not ORM objects
    Contact.id, Contact.email, Contact.tags, Contact.extra,
    *(getattr(Contact, name) for name in (*LIMITS, "language")),
)  # fmt: skip
NAMES = ("first_name", "last_name", "organisation")  # what tells likely duplicates apart
Progress = Callable[[str, int, int | None], None]  # phase, done, total when known


@dataclass(frozen=True)
class RowError:
    """Why one row was not imported."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did, or would do (dry run)."""

    list_name: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged_duplicates: int = 0
    suppressed: int = 0
    added_to_list: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first MAX_LISTED_ERRORS
    unlisted_errors: int = 0  # refused rows beyond those listed
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def rejected(self) -> int:
        """Rows refused."""
        return len(self.errors) + self.unlisted_errors

    @property
    def imported_nothing(self) -> bool:
        """True when no row could be imported (the command then exits non-zero)."""
        return self.created + self.updated + self.unchanged == 0

    def refuse(self, error: RowError) -> None:
        """Count a refused row, and list it while the list is short."""
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(error)
        else:
            self.unlisted_errors += 1

    def summary(self) -> dict[str, int]:
        """The counts, for the CLI and the API."""
        return {
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "merged_duplicates": self.merged_duplicates,
            "suppressed": self.suppressed, "rejected": self.rejected,
            "added_to_list": self.added_to_list,
        }  # fmt: skip


class _Pace:
    """How many contacts the next chunk writes, and the pause before it (on SQLite)."""

    def __init__(self, sqlite: bool):
        self.sqlite = sqlite
        self.rows = CHUNK if sqlite else POSTGRES_CHUNK
        self.ended: float | None = None  # when the last chunk was committed

    def size(self) -> int:
        """The contacts of the next chunk."""
        return self.rows

    def pause(self) -> None:
        """On SQLite, leave the database free a while after the last chunk (not the first)."""
        if self.sqlite and self.ended is not None:
            time.sleep(max(0.0, PAUSE_SECONDS - (time.monotonic() - self.ended)))

    def record(self, rows: int, seconds: float) -> None:
        """A chunk of `rows` took `seconds`: on SQLite, size the next one to take CHUNK_SECONDS."""
        self.ended = time.monotonic()
        if self.sqlite and rows:
            wanted = int(rows * CHUNK_SECONDS / max(seconds, 0.001))
            self.rows = min(max(wanted, CHUNK_RANGE[0]), CHUNK_RANGE[1])


@dataclass(frozen=True)
class _Target:
    """Where and how a chunk is written."""

    settings: Settings
    list_name: str
    source: str
    overwrite: bool
    dry_run: bool


def _validate(
    table: ParsedTable, report: ImportReport, staging: Staging, progress: Progress | None
) -> None:
    """Phase 1: every row checked; valid rows kept by address, duplicates merged."""
    column_of = {name: column for column, name in table.mapping.items()}
    valid = 0
    for row in table.rows:
        report.rows += 1
        if progress and report.rows % CHUNK == 0:
            progress("checking", report.rows, None)
        try:
            contact = clean_row(row.values, row.extra)
        except RowRefused as refused:
            column = column_of.get(refused.field, refused.field)
            report.refuse(RowError(row.number, column, refused.reason))
            continue
        valid += 1
        staging.add(contact)
    report.merged_duplicates = valid - len(staging)
    if progress:
        progress("checking", report.rows, None)


def _changes(existing: Row[Any], new: CleanContact, overwrite: bool) -> dict[str, Any]:
    """The fields to write on an existing contact: empty ones filled, or all with `overwrite`."""
    changes: dict[str, Any] = {}
    for name in (*LIMITS, "language"):
        value = getattr(new, name)
        current = getattr(existing, name)
        if value and value != current and (overwrite or not current):
            changes[name] = value
    tags = existing.tags + [t for t in new.tags if t not in existing.tags]
    if tags != existing.tags:
        changes["tags"] = tags
    extra = {**existing.extra, **new.extra} if overwrite else {**new.extra, **existing.extra}
    if extra != existing.extra:
        changes["extra"] = extra
    return changes


def _list_id(session: Session, name: str, create: bool) -> int | None:
    """The id of the list, created when missing and `create`; None when missing otherwise."""
    list_id = session.scalar(select(MailingList.id).where(MailingList.name == name))
    if list_id is None and create:
        mailing_list = MailingList(name=name)
        session.add(mailing_list)
        session.flush()
        list_id = mailing_list.id
    return list_id


@dataclass
class _Written:
    """What one chunk did (or would do, in a dry run)."""

    rows: int
    seconds: float
    suppressed: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)
    people: list[Person] = field(default_factory=list)  # the new or renamed ones


def _write(
    db: Database,
    staging: Staging,
    target: _Target,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    """Phase 2: the contacts written chunk by chunk, each chunk committed on its own; the
    suppressed ones left out, and out of `staging` too.

    On PostgreSQL two chunks are written at once, each on its own connection, so that the
    database's work on one overlaps this process's work on the other (on SQLite one writer at
    a time holds the database anyway)."""
    total, done = len(staging), 0
    if not total:
        return
    with db.transaction(write=not target.dry_run) as session:
        list_id = _list_id(session, target.list_name, create=not target.dry_run)
    pace = _Pace(sqlite=db.is_sqlite and not target.dry_run)
    writers = 1 if db.is_sqlite else CHUNK_WRITERS

    def finish(written: _Written) -> None:
        nonlocal done
        pace.record(written.rows, written.seconds)
        _account(written, report, staging, target)
        done += written.rows
        if progress:
            progress("writing", done, total)

    pending: deque[Future[_Written]] = deque()
    with ThreadPoolExecutor(writers, thread_name_prefix="import-chunk") as pool:
        for chunk in staging.batches(pace.size):
            pace.pause()
            pending.append(pool.submit(_write_one, db, chunk, list_id, target))
            while len(pending) >= writers:
                finish(pending.popleft().result())
        while pending:
            finish(pending.popleft().result())


def _write_one(
    db: Database, chunk: list[CleanContact], list_id: int | None, target: _Target
) -> _Written:
    """One chunk in its own transaction, the suppressed addresses left out."""
    started = time.monotonic()
    with db.transaction(write=not target.dry_run) as session:
        emails = [contact.email for contact in chunk]
        suppressed = suppressed_among(session, target.settings, emails)
        kept = [contact for contact in chunk if contact.email not in suppressed]
        counts, people = _write_chunk(session, kept, list_id, target) if kept else (Counter(), [])
    return _Written(len(chunk), time.monotonic() - started, suppressed, counts, people)


def _account(written: _Written, report: ImportReport, staging: Staging, target: _Target) -> None:
    """A chunk's counts added to the report; its suppressed addresses forgotten, and in a dry
    run the names its people would carry remembered."""
    staging.discard(written.suppressed)
    report.suppressed += len(written.suppressed)
    for name, count in written.counts.items():
        setattr(report, name, getattr(report, name) + count)
    if target.dry_run:
        staging.keep_people(written.people)


def _write_chunk(
    session: Session, chunk: list[CleanContact], list_id: int | None, target: _Target
) -> tuple[Counter[str], list[Person]]:
    """One chunk created or completed and added to the list, in bulk (counted only, in a dry
    run): the report's counts, and the new or renamed ones with the names they carry once
    written."""
    emails = [contact.email for contact in chunk]
    known = session.execute(select(*KNOWN).where(among(session, Contact.email, emails)))
    existing = {row.email: row for row in known}
    now = utcnow()
    new, updates, people = [], [], []
    for contact in chunk:
        found = existing.get(contact.email)
        changes = _changes(found, contact, target.overwrite) if found is not None else {}
        if found is None:
            new.append(contact)
        elif changes:
            updates.append({"id": found.id, "updated_at": now, **changes})
        if found is None or changes.keys() & NAMES:
            people.append(_person(contact, found, changes))
    counts = Counter(created=len(new), updated=len(updates), unchanged=len(existing) - len(updates))
    if target.dry_run:
        listed = members(session, list_id, [row.id for row in existing.values()])
        counts["added_to_list"] = len(chunk) - len(listed)
    else:
        assert list_id is not None  # created before the chunks when not a dry run
        ids = [row.id for row in existing.values()]
        if new:
            ids += insert_contacts(session, new, now)
        update_contacts(session, updates)
        counts["added_to_list"] = add_members(session, list_id, ids, target.source, now)
    return counts, [person for person in people if person[1] and person[2]]


def _person(contact: CleanContact, found: Row[Any] | None, changes: dict[str, Any]) -> Person:
    """The address and the names its contact carries once written."""
    if found is None:
        return (contact.email, contact.first_name, contact.last_name, contact.organisation)
    first, last, organisation = (changes.get(name, getattr(found, name)) for name in NAMES)
    return (contact.email, first, last, organisation)


@contextmanager
def _older_objects_set_aside() -> Iterator[None]:
    """The garbage collector leaves the objects the process already holds alone meanwhile.

    An import allocates millions of short-lived objects, so the collector runs its full passes
    often, and each walked every object of the process (modules, mappers, caches): a sixth of
    the import's CPU time. Frozen, they are skipped; they are long-lived anyway. Another thread
    freezing or unfreezing meanwhile changes only how fast the collector runs, never what it
    frees."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def import_contacts(
    db: Database,
    settings: Settings,
    path: Path,
    list_name: str,
    mapping: Mapping[str, str] | None = None,
    *,
    dry_run: bool = False,
    overwrite: bool = False,
    sheet: str | None = None,
    progress: Progress | None = None,
    source: str | None = None,
) -> ImportReport:
    """Import a CSV or XLSX file into a list; ParseError when the file as a whole cannot be read."""
    table = read_table(path, mapping, sheet=sheet)
    report = ImportReport(list_name=list_name, dry_run=dry_run)
    target = _Target(settings, list_name, source or path.name, overwrite, dry_run)
    with _older_objects_set_aside(), Staging(settings.var_dir) as staging:
        _validate(table, report, staging, progress)
        _write(db, staging, target, report, progress)
        if report.imported_nothing:
            return report
        if not dry_run:
            with db.transaction() as session:
                session.execute(
                    update(MailingList)
                    .where(MailingList.name == list_name)
                    .values(imported_at=utcnow())
                )
        with db.transaction(write=False) as session:
            report.warnings.extend(likely_duplicates(session, staging, staging.people()))
    return report
