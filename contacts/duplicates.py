"""Likely duplicates: one person under several addresses (same name and organisation). They are
reported for a person to look at, never merged: two colleagues may share a name."""

from __future__ import annotations

import itertools
from collections.abc import Container, Iterable

from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    and_,
    exists,
    false,
    func,
    insert,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from contacts.models import Contact

CHUNK = 1000
Person = tuple[str, str, str, str]  # email, first name, last name, organisation


def _people_table() -> Table:
    """A temporary table of people not written yet: it lives in the session's connection only,
    so filling it takes no lock that other writers wait for."""
    return Table(
        "import_people",
        MetaData(),
        Column("email", String(320), primary_key=True),
        Column("first_name", String(200)),
        Column("last_name", String(200)),
        Column("organisation", String(300)),
        prefixes=["TEMPORARY"],
    )


def likely_duplicates(
    session: Session, imported: Container[str], pending: Iterable[Person] = ()
) -> list[str]:
    """One line per group of contacts sharing first name, last name and organisation (ignoring
    case) under different addresses, for the groups that include one of the `imported`
    addresses. `pending` are people of the import not written yet (a dry run), with the names
    they would carry: they stand in for their stored selves."""
    table = _people_table()
    connection = session.connection()
    table.create(connection)
    columns = ("email", "first_name", "last_name", "organisation")
    rows = iter(pending)
    while chunk := list(itertools.islice(rows, CHUNK)):
        connection.execute(insert(table), [dict(zip(columns, p, strict=True)) for p in chunk])
    found = _groups(session, table, imported)
    table.drop(connection)  # an error before this rolls the creation back with the rest
    return found


def _groups(session: Session, pending: Table, imported: Container[str]) -> list[str]:
    """The report lines: stored contacts, the pending people in place of their stored selves."""
    stored = select(
        Contact.email, Contact.first_name, Contact.last_name, Contact.organisation,
        false().label("pending"),
    ).where(~exists().where(pending.c.email == Contact.email))  # fmt: skip
    people = union_all(stored, select(*pending.c, true().label("pending"))).subquery()
    first, last, organisation = (
        func.lower(column)
        for column in (people.c.first_name, people.c.last_name, people.c.organisation)
    )
    groups = (
        select(first.label("first"), last.label("last"), organisation.label("organisation"))
        .where(people.c.first_name != "", people.c.last_name != "")
        .group_by(first, last, organisation)
        .having(func.count() > 1)
        .subquery()
    )
    rows = session.execute(
        select(people)
        .join(
            groups,
            and_(
                first == groups.c.first,
                last == groups.c.last,
                organisation == groups.c.organisation,
            ),
        )
        .order_by(groups.c.last, groups.c.first, groups.c.organisation, people.c.email)
    ).all()
    by_person: dict[tuple[str, str, str], list[str]] = {}
    names: dict[tuple[str, str, str], str] = {}
    wanted: set[tuple[str, str, str]] = set()
    for email, first_name, last_name, org, is_pending in rows:
        key = (first_name.lower(), last_name.lower(), org.lower())
        by_person.setdefault(key, []).append(email)
        names.setdefault(key, f"{first_name} {last_name}, {org or 'no organisation'}")
        if is_pending or email in imported:
            wanted.add(key)
    return [
        f"likely the same person: {', '.join(addresses)} ({names[key]})"
        for key, addresses in by_person.items()
        if key in wanted
    ]
