"""One chunk of an import written in bulk: the new contacts, the changed ones and the list's new
members, each in one statement whose text is the same whatever the chunk's size.

On PostgreSQL the new contacts travel as one JSON parameter (`json_to_recordset`), which the
server parses in C, where an executemany costs a round of the protocol per row and arrays of text
cost more to parse than the rows to write. The list's memberships are inserted by contact id, the
ones already there skipped by the unique constraint, so that the contact table is not read by
address a second time: while its statistics still say it is small (it grows during the import
faster than autovacuum analyses it), PostgreSQL reads it whole for such a lookup.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, text, update
from sqlalchemy.orm import Session

from contacts.cleaning import CleanContact
from contacts.models import Contact, Membership
from contacts.sql import among
from service.db import insert_ignoring_duplicates

FIELDS = ("email", "first_name", "last_name", "organisation", "role", "region", "phone", "tags",
          "extra")  # fmt: skip
CONTACTS = cast(Table, Contact.__table__)
MEMBERSHIPS = cast(Table, Membership.__table__)
# The chunk as one JSON parameter: json_to_recordset is parsed by the server in C, where arrays of
# text sent by psycopg in text format cost 2 µs an element to parse.
_INSERT_RECORDS = text(
    "INSERT INTO contact (email, first_name, last_name, organisation, role, region, phone,"
    " language, tags, extra, created_at, updated_at)"
    " SELECT c.email, c.first_name, c.last_name, c.organisation, c.role, c.region, c.phone,"
    " c.language, c.tags, c.extra, :now, :now"
    " FROM json_to_recordset(CAST(:contacts AS json)) AS c (email text, first_name text,"
    " last_name text, organisation text, role text, region text, phone text, language text,"
    " tags json, extra json)"
    " ON CONFLICT (email) DO NOTHING RETURNING id"
)
_ADD_MEMBERS_UNNESTED = text(
    "INSERT INTO membership (list_id, contact_id, source, added_at)"
    " SELECT :list_id, contact_id, :source, :now FROM unnest(CAST(:contact_ids AS integer[]))"
    " AS c (contact_id)"
    " ON CONFLICT (list_id, contact_id) DO NOTHING"
)


def _record(contact: CleanContact) -> dict[str, Any]:
    return {
        **{name: getattr(contact, name) for name in FIELDS},
        "language": contact.language or "fr",
    }


def insert_contacts(session: Session, contacts: Sequence[CleanContact], now: datetime) -> list[int]:
    """The new contacts inserted, and their ids; an address that a concurrent import or
    invitation created in the meantime keeps that contact, whose id is read back."""
    if session.get_bind().dialect.name == "postgresql":
        records = json.dumps([_record(contact) for contact in contacts], ensure_ascii=False)
        ids = list(session.scalars(_INSERT_RECORDS, {"contacts": records, "now": now}))
        if len(ids) == len(contacts):
            return ids
    else:
        # A plain executemany, one statement text whatever the chunk's size: with RETURNING,
        # each size would be another statement kept in SQLite's cache, and memory would grow.
        rows = [{**_record(contact), "created_at": now, "updated_at": now} for contact in contacts]
        session.execute(insert_ignoring_duplicates(session, CONTACTS, Contact.email), rows)
    emails = [contact.email for contact in contacts]
    return list(session.scalars(select(Contact.id).where(among(session, Contact.email, emails))))


def update_contacts(session: Session, changes: list[dict[str, Any]]) -> None:
    """Known contacts given their changed fields (each dict holds the contact's id)."""
    if changes:
        session.execute(update(Contact), changes)


def add_members(
    session: Session, list_id: int, contact_ids: Sequence[int], source: str, now: datetime
) -> int:
    """These contacts put on the list, those already on it left as they are; how many joined."""
    if not contact_ids:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        values = {"list_id": list_id, "source": source, "now": now, "contact_ids": contact_ids}
        result = session.execute(_ADD_MEMBERS_UNNESTED, values)
    else:
        rows = [
            {"list_id": list_id, "contact_id": contact_id, "source": source, "added_at": now}
            for contact_id in contact_ids
        ]
        insert = insert_ignoring_duplicates(session, MEMBERSHIPS, "list_id", "contact_id")
        result = session.execute(insert, rows)
    return int(result.rowcount)  # type: ignore[attr-defined]


def members(session: Session, list_id: int | None, contact_ids: list[int]) -> set[int]:
    """Those of these contacts who are on the list already."""
    if list_id is None or not contact_ids:
        return set()
    in_list = Membership.list_id == list_id
    listed = among(session, Membership.contact_id, contact_ids)
    return set(session.scalars(select(Membership.contact_id).where(in_list, listed)))
