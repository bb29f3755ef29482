"""What the back office shows of the contact book: the lists with their sizes, a list's members
found by a search, the suppression list and the recent uploads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from contacts.models import Contact, ListImport, MailingList, Membership, Suppression
from service.errors import NotFound

PAGE_SIZE = 50
Found = TypeVar("Found", bound=Select)
# What the search box looks in.
SEARCHED = (
    Contact.email, Contact.first_name, Contact.last_name, Contact.organisation,
    Contact.first_name + " " + Contact.last_name,
)  # fmt: skip


@dataclass(frozen=True)
class ListLine:
    """A mailing list as the lists page shows it."""

    id: int
    name: str
    network: str
    imported_at: datetime | None
    members: int
    suppressed: int  # members whose address was suppressed since they joined


@dataclass(frozen=True)
class MemberLine:
    """A contact as a list's page shows it."""

    id: int
    email: str
    first_name: str
    last_name: str
    organisation: str
    suppressed_at: datetime | None


_MEMBER_LINE = (
    Contact.id, Contact.email, Contact.first_name, Contact.last_name, Contact.organisation,
    Contact.suppressed_at,
)  # fmt: skip


def list_lines(session: Session) -> list[ListLine]:
    """Every list with its members and suppressed members, by name. Each count is read from an
    index alone: the membership's, and the few contacts marked suppressed."""
    sizes = dict(
        session.execute(select(Membership.list_id, func.count()).group_by(Membership.list_id)).all()
    )
    suppressed = dict(
        session.execute(
            select(Membership.list_id, func.count())
            .join(Contact, Contact.id == Membership.contact_id)
            .where(Contact.suppressed_at.is_not(None))
            .group_by(Membership.list_id)
        ).all()
    )
    rows = session.execute(
        select(
            MailingList.id, MailingList.name, MailingList.network, MailingList.imported_at
        ).order_by(MailingList.name)
    )
    return [
        ListLine(*row, members=sizes.get(row.id, 0), suppressed=suppressed.get(row.id, 0))
        for row in rows
    ]


def get_list(session: Session, list_id: int) -> MailingList:
    """The list, or NotFound."""
    found = session.get(MailingList, list_id)
    if found is None:
        raise NotFound(f"no list {list_id}")
    return found


def like(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, lower case, its wildcards escaped with '\\'."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _searched(query: Found, text: str) -> Found:
    if text := text.strip():
        pattern = like(text)
        query = query.where(or_(*(func.lower(c).like(pattern, escape="\\") for c in SEARCHED)))
    return query


def members(
    session: Session, list_id: int, text: str = "", page: int = 0
) -> tuple[list[MemberLine], int]:
    """A page of the list's members matching `text`, the newest contacts first, and how many
    match in all. That order is the membership index's (list, contact), so a page of a list of
    100,000 reads its 50 rows and no more; the search box finds anyone by name."""
    query = _searched(
        select(*_MEMBER_LINE)
        .join(Membership, Membership.contact_id == Contact.id)
        .where(Membership.list_id == list_id),
        text,
    )
    if text.strip():
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    else:
        counted = select(func.count()).where(Membership.list_id == list_id)
        total = session.scalar(counted) or 0
    rows = session.execute(
        query.order_by(Membership.contact_id.desc())
        .offset(max(page, 0) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return [MemberLine(*row) for row in rows], total


def suppressions(session: Session, page: int = 0) -> tuple[list[Suppression], int]:
    """A page of the suppression list, newest first, and its length."""
    total = session.scalar(select(func.count()).select_from(Suppression)) or 0
    rows = session.scalars(
        select(Suppression)
        .order_by(Suppression.created_at.desc(), Suppression.id.desc())
        .offset(max(page, 0) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return list(rows), total


def recent_imports(session: Session, list_name: str | None = None) -> list[ListImport]:
    """The last uploads (of one list when named), newest first."""
    query = select(ListImport).order_by(ListImport.id.desc()).limit(10)
    if list_name is not None:
        query = query.where(ListImport.list_name == list_name)
    return list(session.scalars(query))
