"""Likely duplicates: one person under several addresses (same name and organisation). They are
reported for a person to look at, never merged: two colleagues may share a name."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from contacts.models import Contact


def likely_duplicates(session: Session, emails: Collection[str]) -> list[str]:
    """One line per group of contacts sharing first name, last name and organisation (ignoring
    case) under different addresses, for the groups that include one of `emails`."""
    first, last, organisation = (
        func.lower(column)
        for column in (Contact.first_name, Contact.last_name, Contact.organisation)
    )
    groups = (
        select(first.label("first"), last.label("last"), organisation.label("organisation"))
        .where(Contact.first_name != "", Contact.last_name != "")
        .group_by(first, last, organisation)
        .having(func.count() > 1)
        .subquery()
    )
    rows = session.execute(
        select(Contact.email, Contact.first_name, Contact.last_name, Contact.organisation)
        .join(
            groups,
            and_(
                first == groups.c.first,
                last == groups.c.last,
                organisation == groups.c.organisation,
            ),
        )
        .order_by(groups.c.last, groups.c.first, groups.c.organisation, Contact.email)
    ).all()
    by_person: dict[tuple[str, str, str], list[str]] = {}
    names: dict[tuple[str, str, str], str] = {}
    for email, first_name, last_name, org in rows:
        key = (first_name.lower(), last_name.lower(), org.lower())
        by_person.setdefault(key, []).append(email)
        names.setdefault(key, f"{first_name} {last_name}, {org or 'no organisation'}")
    wanted = set(emails)
    return [
        f"likely the same person: {', '.join(addresses)} ({names[key]})"
        for key, addresses in by_person.items()
        if wanted.intersection(addresses)
    ]
