"""Importing a network's mailing list in two phases, with memory flat in the file's size.

Phase 1 reads and checks every row before anything is written: the valid rows are kept by address
in a temporary SQLite file (contacts.staging), where rows of one address merge; rows in error are
reported by row number and column (the first MAX_LISTED_ERRORS listed, the others counted) and
skipped; a file that cannot be read at all (ParseError) writes nothing.

Phase 2 writes the valid rows a chunk at a time, each chunk in its own short transaction with
bulk statements. On SQLite, where one writer at a time holds the database, chunks last about a
quarter of a second and a pause follows each, so that a registration waits behind an import for
one chunk at most. All bad input is caught in phase 1, so a chunk never fails because of it. If
the process dies during phase 2, the chunks already committed stay and the others are not
written: running the same import again completes it, because an import is idempotent (what is
already written counts as unchanged, and nobody joins a list twice).

A dry run does all of phase 2's reads and none of its writes, so it reports the same counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Insert, Row, String, Table, literal, select, update
from sqlalchemy.orm import Session

from contacts.cleaning import LIMITS, CleanContact, RowRefused, clean_row
from contacts.duplicates import Person, likely_duplicates
from contacts.models import Contact, MailingList, Membership
from contacts.parsing import ParsedTable, read_table
from contacts.sql import among
from contacts.staging import Staging
from contacts.suppression import suppressed_among
from service.config import Settings
from service.db import Database, UTCDateTime, insert_ignoring_duplicates, utcnow

CHUNK = 1000  # contacts of a write transaction: the first one, and all on PostgreSQL
# On SQLite one writer at a time holds the database, and a writer that finds it taken tries
# again after a sleep that grows to 100 ms (SQLite's busy handler); so there chunks are sized to
# last about CHUNK_SECONDS, and each is followed by a pause longer than that sleep, which lets
# any registration waiting for the database in after one chunk at most.
CHUNK_SECONDS = 0.25
PAUSE_SECONDS = 0.12
CHUNK_RANGE = (100, 10_000)
MAX_LISTED_ERRORS = 1000  # refused rows listed one by one; the others are counted
CONTACTS = cast(Table, Contact.__table__)  # inserted with Core: no ORM bookkeeping per row
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
        self.rows = CHUNK
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


def _write(
    db: Database,
    staging: Staging,
    target: _Target,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    """Phase 2: the contacts written chunk by chunk, each chunk committed on its own; the
    suppressed ones left out, and out of `staging` too."""
    total, done = len(staging), 0
    pace = _Pace(sqlite=db.is_sqlite and not target.dry_run)
    for chunk in staging.batches(pace.size):
        pace.pause()
        started = time.monotonic()
        with db.transaction(write=not target.dry_run) as session:
            emails = [contact.email for contact in chunk]
            suppressed = suppressed_among(session, target.settings, emails)
            kept = [contact for contact in chunk if contact.email not in suppressed]
            people = _write_chunk(session, kept, target, report) if kept else []
        pace.record(len(chunk), time.monotonic() - started)
        staging.discard(suppressed)
        report.suppressed += len(suppressed)
        if target.dry_run:
            staging.keep_people(people)
        done += len(chunk)
        if progress:
            progress("writing", done, total)


def _write_chunk(
    session: Session, chunk: list[CleanContact], target: _Target, report: ImportReport
) -> list[Person]:
    """One chunk created or completed and added to the list, in bulk (counted only, in a dry
    run); the new or renamed ones with the names they carry once written.

    New contacts are inserted by a plain executemany, which psycopg pipelines; an INSERT with
    RETURNING would be sent as one statement of 12,000 parameters per chunk, that psycopg parses
    anew each time. Their ids are not needed: the list's memberships are inserted from a SELECT
    of the chunk's addresses."""
    list_id = _list_id(session, target.list_name, create=not target.dry_run)
    emails = [contact.email for contact in chunk]
    known = session.execute(select(*KNOWN).where(among(session, Contact.email, emails)))
    existing = {row.email: row for row in known}
    members = _members(session, list_id, [row.id for row in existing.values()])
    now = utcnow()
    new_rows, updates, joining, people = [], [], [], []
    for contact in chunk:
        found = existing.get(contact.email)
        changes = _changes(found, contact, target.overwrite) if found is not None else {}
        if found is None:
            new_rows.append({**_fields(contact), "created_at": now, "updated_at": now})
        elif changes:
            updates.append({"id": found.id, "updated_at": now, **changes})
        if found is None or found.id not in members:
            joining.append(contact.email)
        if found is None or changes.keys() & NAMES:
            people.append(_person(contact, found, changes))
    if not target.dry_run:
        _apply(session, new_rows, updates)
        if joining:
            assert list_id is not None  # created above when not a dry run
            session.execute(_memberships(session, list_id, joining, target.source, now))
    report.created += len(new_rows)
    report.updated += len(updates)
    report.unchanged += len(existing) - len(updates)
    report.added_to_list += len(joining)
    return [person for person in people if person[1] and person[2]]


def _apply(session: Session, new_rows: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
    """The chunk's new contacts inserted and known ones updated."""
    if new_rows:
        # A concurrent import or invitation may create the same address: theirs is kept.
        session.execute(insert_ignoring_duplicates(session, CONTACTS, Contact.email), new_rows)
    if updates:
        session.execute(update(Contact), updates)


def _person(contact: CleanContact, found: Row[Any] | None, changes: dict[str, Any]) -> Person:
    """The address and the names its contact carries once written."""
    if found is None:
        return (contact.email, contact.first_name, contact.last_name, contact.organisation)
    first, last, organisation = (changes.get(name, getattr(found, name)) for name in NAMES)
    return (contact.email, first, last, organisation)


def _members(session: Session, list_id: int | None, contact_ids: list[int]) -> set[int]:
    """Those of these contacts who are on the list already."""
    if list_id is None or not contact_ids:
        return set()
    in_list = Membership.list_id == list_id
    listed = among(session, Membership.contact_id, contact_ids)
    return set(session.scalars(select(Membership.contact_id).where(in_list, listed)))


def _memberships(
    session: Session, list_id: int, emails: list[str], source: str, now: datetime
) -> Insert:
    """INSERT of the memberships of the contacts of these addresses in the list."""
    contacts = select(
        literal(list_id), Contact.id, literal(source, String), literal(now, UTCDateTime)
    ).where(among(session, Contact.email, emails))
    columns = ["list_id", "contact_id", "source", "added_at"]
    membership = insert_ignoring_duplicates(
        session, Membership, Membership.list_id, Membership.contact_id
    )
    return membership.from_select(columns, contacts)


def _fields(contact: CleanContact) -> dict[str, Any]:
    return {
        "email": contact.email, "first_name": contact.first_name, "last_name": contact.last_name,
        "organisation": contact.organisation, "role": contact.role, "region": contact.region,
        "phone": contact.phone, "language": contact.language or "fr",
        "tags": contact.tags, "extra": contact.extra,
    }  # fmt: skip


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
    with Staging(settings.var_dir) as staging:
        _validate(table, report, staging, progress)
        _write(db, staging, target, report, progress)
        if report.imported_nothing:
            return report
        with db.transaction(write=False) as session:
            report.warnings.extend(likely_duplicates(session, staging, staging.people()))
    return report
