"""Importing a network's mailing list in two phases: every row is checked first, then everything
valid is written in one transaction with bulk statements. Rows in error are reported by row number
and column and skipped; re-importing the same file changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Insert,
    Row,
    String,
    Table,
    any_,
    bindparam,
    literal,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from contacts.cleaning import LIMITS, CleanContact, RowRefused, clean_row
from contacts.duplicates import likely_duplicates
from contacts.models import Contact, MailingList, Membership
from contacts.parsing import ParsedTable, read_table
from contacts.suppression import suppressed_among
from service.config import Settings
from service.db import Database, UTCDateTime, insert_ignoring_duplicates, utcnow

CHUNK = 1000
CONTACTS = cast(Table, Contact.__table__)  # inserted with Core: no ORM bookkeeping per row
KNOWN = (  # what is read of the contacts already known: plain rows, not ORM objects
    Contact.id, Contact.email, Contact.tags, Contact.extra,
    *(getattr(Contact, name) for name in (*LIMITS, "language")),
)  # fmt: skip
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
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def rejected(self) -> int:
        """Rows refused."""
        return len(self.errors)

    @property
    def imported_nothing(self) -> bool:
        """True when no row could be imported (the command then exits non-zero)."""
        return self.created + self.updated + self.unchanged == 0

    def summary(self) -> dict[str, int]:
        """The counts, for the CLI and the API."""
        return {
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "merged_duplicates": self.merged_duplicates,
            "suppressed": self.suppressed, "rejected": self.rejected,
            "added_to_list": self.added_to_list,
        }  # fmt: skip


def _validate(
    table: ParsedTable, report: ImportReport, progress: Progress | None
) -> dict[str, CleanContact]:
    """Phase 1: every row checked; valid rows kept by address, duplicates merged."""
    column_of = {name: column for column, name in table.mapping.items()}
    contacts: dict[str, CleanContact] = {}
    for row in table.rows:
        report.rows += 1
        if progress and report.rows % CHUNK == 0:
            progress("checking", report.rows, None)
        try:
            contact = clean_row(row.values, row.extra)
        except RowRefused as refused:
            report.errors.append(
                RowError(row.number, column_of.get(refused.field, refused.field), refused.reason)
            )
            continue
        if contact.email in contacts:
            report.merged_duplicates += 1
            contacts[contact.email].fill_from(contact)
        else:
            contacts[contact.email] = contact
    if progress:
        progress("checking", report.rows, None)
    return contacts


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


def _get_list(session: Session, name: str) -> MailingList:
    mailing_list = session.scalar(select(MailingList).where(MailingList.name == name))
    if mailing_list is None:
        mailing_list = MailingList(name=name)
        session.add(mailing_list)
        session.flush()
    return mailing_list


def _write(
    session: Session,
    contacts: dict[str, CleanContact],
    list_name: str,
    source: str,
    overwrite: bool,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    """Phase 2: contacts created or completed and added to the list, in bulk.

    New contacts are inserted by a plain executemany, which psycopg pipelines; an INSERT with
    RETURNING would be sent as one statement of 12,000 parameters per chunk, that psycopg parses
    anew each time. Their ids are not needed: the list's memberships are inserted from a SELECT
    of the chunk's addresses."""
    mailing_list = _get_list(session, list_name)
    emails = list(contacts)
    members = set(
        session.scalars(select(Membership.contact_id).where(Membership.list_id == mailing_list.id))
    )
    now = utcnow()
    for start in range(0, len(emails), CHUNK):
        chunk = emails[start : start + CHUNK]
        known = session.execute(select(*KNOWN).where(_among(session, Contact.email, chunk)))
        existing = {row.email: row for row in known}
        new_rows, updates = [], []
        for email in chunk:
            contact = contacts[email]
            if email not in existing:
                new_rows.append({**_fields(contact), "created_at": now, "updated_at": now})
            elif changes := _changes(existing[email], contact, overwrite):
                updates.append({"id": existing[email].id, "updated_at": now, **changes})
        if new_rows:
            # A concurrent import or invitation may create the same address: theirs is kept.
            session.execute(insert_ignoring_duplicates(session, CONTACTS, Contact.email), new_rows)
        if updates:
            session.execute(update(Contact), updates)
        joining = [e for e in chunk if e not in existing or existing[e].id not in members]
        if joining:
            session.execute(_memberships(session, mailing_list.id, joining, source, now))
        report.created += len(new_rows)
        report.updated += len(updates)
        report.unchanged += len(existing) - len(updates)
        report.added_to_list += len(joining)
        if progress:
            progress("writing", start + len(chunk), len(emails))


def _memberships(
    session: Session, list_id: int, emails: list[str], source: str, now: datetime
) -> Insert:
    """INSERT of the memberships of the contacts of these addresses in the list."""
    contacts = select(
        literal(list_id), Contact.id, literal(source, String), literal(now, UTCDateTime)
    ).where(_among(session, Contact.email, emails))
    columns = ["list_id", "contact_id", "source", "added_at"]
    membership = insert_ignoring_duplicates(
        session, Membership, Membership.list_id, Membership.contact_id
    )
    return membership.from_select(columns, contacts)


def _among(
    session: Session, column: InstrumentedAttribute[str], values: list[str]
) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `column = ANY(array)`, one parameter instead of one
    per value, that SQLAlchemy would render and psycopg parse again in every statement."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(String)))
    return column.in_(values)


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
    contacts = _validate(table, report, progress)
    with db.transaction() as session:
        suppressed = suppressed_among(session, settings, contacts)
        for email in suppressed:
            del contacts[email]
        report.suppressed = len(suppressed)
        if not contacts:
            return report  # nothing to import: not even the list is created
        _write(session, contacts, list_name, source or path.name, overwrite, report, progress)
        report.warnings.extend(likely_duplicates(session, contacts))
        if dry_run:
            session.rollback()
    return report
